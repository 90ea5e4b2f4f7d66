// SPDX-License-Identifier: GPL-2.0
/*
 * kpl-bench's helpers that every other file calls and that call none of
 * them: errors, the clock, sleeping, and reading a number the user gave.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

void bench_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("kpl-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void bench_sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull),
			       (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int bench_parse_int(const char *what, const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		bench_err("bad %s '%s': want a number from %d to %d", what, s,
			  min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}
