// SPDX-License-Identifier: GPL-2.0
/*
 * The process a builder fixture patches: it links the fixture library and
 * prints what kb_probe() returns each time a line arrives on stdin.  It
 * waits in read() in between, so no fixture function is ever on a stack
 * while kpl applies or reverts.
 *
 * A "t" line asks for kb_probe() in three threads, for the thread-local
 * storage cases: the main thread, a thread started with the process (so
 * alive before any patch), and a thread started for this line only.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

const char *kb_probe(void);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int asked, answered;
static char answer[256];

/* The thread that exists before the patch: probes when asked. */
static void *old_thread(void *arg)
{
	int seen = 0;

	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (asked == seen)
			pthread_cond_wait(&cond, &lock);
		seen = asked;
		snprintf(answer, sizeof(answer), "%s", kb_probe());
		answered = seen;
		pthread_cond_broadcast(&cond);
	}
	return NULL;
}

static void *new_thread(void *arg)
{
	snprintf(arg, sizeof(answer), "%s", kb_probe());
	return NULL;
}

static void probe_threads(void)
{
	char mine[256], fresh[256], old[256];
	pthread_t t;

	snprintf(mine, sizeof(mine), "%s", kb_probe());
	pthread_mutex_lock(&lock);
	asked++;
	pthread_cond_broadcast(&cond);
	while (answered != asked)
		pthread_cond_wait(&cond, &lock);
	memcpy(old, answer, sizeof(old));
	pthread_mutex_unlock(&lock);
	if (pthread_create(&t, NULL, new_thread, fresh) ||
	    pthread_join(t, NULL))
		snprintf(fresh, sizeof(fresh), "(no thread)");
	printf("main %s, old %s, new %s\n", mine, old, fresh);
}

int main(void)
{
	char line[64];
	pthread_t t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pthread_create(&t, NULL, old_thread, NULL))
		return 1;
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin) && line[0] != 'q') {
		if (line[0] == 't')
			probe_threads();
		else
			printf("%s\n", kb_probe());
	}
	return 0;
}
