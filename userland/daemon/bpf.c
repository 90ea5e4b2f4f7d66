// SPDX-License-Identifier: GPL-2.0
/*
 * What hold.c and watch.c share to load their BPF objects.  libbpf's
 * messages still go to stderr, verifier log and all; from that log the
 * verifier's own complaint (its last line before "processed N insns") is
 * kept, so why a protection is missing can be said in one line, at
 * start-up and in `kpl status`, and not only in a page of log.
 *
 * KPLD_FAULT_BPF=hold,watchdog (for the tests) builds the named programs
 * to be refused by the verifier: each object has a read-only kpld_fault
 * which, when set, leads to a read through a scalar.  The refusal is a
 * real one, on whatever kernel runs the test.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/libbpf.h>

#include "kpld.h"

static char refused[160];	/* "PROG: the verifier's complaint" */

/* Keep @n bytes of @s in @out, printable ASCII only. */
static void keep(char *out, size_t len, const char *s, size_t n)
{
	size_t i;

	if (n >= len)
		n = len - 1;
	for (i = 0; i < n; i++)
		out[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	out[n] = '\0';
}

/*
 * libbpf prints a refused program's log in one message:
 * "prog 'NAME': -- BEGIN PROG LOAD LOG --\n...-- END PROG LOAD LOG --\n".
 */
static void note_refusal(const char *msg)
{
	const char *name, *log, *end, *line, *last = NULL, *next;
	size_t last_len = 0, name_len;
	char prog[64];

	name = strstr(msg, "prog '");
	log = strstr(msg, "-- BEGIN PROG LOAD LOG --\n");
	if (!name || !log || name > log)
		return;
	name += 6;
	name_len = strcspn(name, "'");
	end = strstr(log, "-- END PROG LOAD LOG --");
	if (!end)
		end = log + strlen(log);
	for (line = log + 26; line < end; line = next) {
		size_t n = strcspn(line, "\n");

		next = line + n + (line[n] == '\n');
		if (line + n > end)
			n = (size_t)(end - line);
		/* The statistics come after the complaint. */
		if (!strncmp(line, "processed ", 10))
			break;
		if (n) {
			last = line;
			last_len = n;
		}
	}
	if (!last)
		return;
	keep(prog, sizeof(prog), name, name_len);
	snprintf(refused, sizeof(refused), "%s: ", prog);
	keep(refused + strlen(refused), sizeof(refused) - strlen(refused),
	     last, last_len);
}

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL;
	va_list copy;
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	va_copy(copy, ap);
	n = vasprintf(&msg, fmt, copy);
	va_end(copy);
	if (n < 0)
		return vfprintf(stderr, fmt, ap);
	fputs(msg, stderr);
	note_refusal(msg);
	free(msg);
	return n;
}

void kpld_bpf_init(void)
{
	libbpf_set_print(print);
}

bool kpld_bpf_prepare(const char *feature)
{
	const char *s = getenv("KPLD_FAULT_BPF");
	size_t n = strlen(feature);

	refused[0] = '\0';
	while (s && *s) {
		size_t k = strcspn(s, ",");

		if (k == n && !strncmp(s, feature, n))
			return true;
		s += k + (s[k] == ',');
	}
	return false;
}

void kpld_bpf_why(int err, char *buf, size_t len)
{
	if (refused[0])
		snprintf(buf, len, "BPF: verifier refused %s", refused);
	else
		snprintf(buf, len, "BPF: %s", strerror(-err));
	refused[0] = '\0';
}

unsigned int kpld_bpf_pidns(void)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st))
		return 0;
	return (unsigned int)st.st_ino;
}

int kpld_bpf_ring(struct bpf_map *map,
		  int (*fn)(void *ctx, void *data, size_t size), void *ctx,
		  struct ring_buffer **out)
{
	*out = ring_buffer__new(bpf_map__fd(map), fn, ctx, NULL);
	if (!*out)
		return -errno;
	return ring_buffer__epoll_fd(*out);
}
