// SPDX-License-Identifier: GPL-2.0
/*
 * The journal: one record per line, appended and fdatasync'ed before the
 * daemon acts on it, so a kpld killed at any point restarts knowing
 * every transition it made.  Records are never rewritten.  Each line is
 * framed and checksummed:
 *
 *   kj1 <space> LEN <space> CKSUM <space> PAYLOAD <newline>
 *
 * LEN is the payload's length in bytes and CKSUM its POSIX cksum CRC
 * (what `printf %s PAYLOAD | cksum` prints first), both in decimal.  The
 * payload is tab-separated:
 *
 *   TIME_NS <tab> state <tab> ID <tab> VERSION <tab> STATE <tab> REASON
 *   TIME_NS <tab> set <tab> KEY <tab> VALUE
 *   TIME_NS <tab> event <tab> ID <tab> WHAT <tab> DETAIL
 *
 * At start a last line without its newline is a torn write: it is cut
 * off, so the next record starts on a line of its own.  Any other line
 * whose frame or checksum is wrong is rejected and reported, never
 * replayed.  The checksum detects damage, not forgery: what keeps
 * others from writing the journal is that kpld refuses one that anyone
 * but its owner may write.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpld.h"

#define MAGIC "kj1 "
#define PAYLOAD_MAX 1000

static off_t journal_size; /* where the next record starts */
static long kill_after = -1; /* KPLD_FAULT_KILL_AFTER_JOURNAL */
static long nr_writes;

static void path_of(const struct kpld *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/journal", d->cfg.state);
}

/* POSIX cksum: CRC-32 (0x04c11db7, MSB first) over the data, then over
 * its length, complemented. */
static uint32_t crc_byte(uint32_t crc, uint8_t b)
{
	int i;

	crc ^= (uint32_t)b << 24;
	for (i = 0; i < 8; i++)
		crc = crc & 0x80000000u ? (crc << 1) ^ 0x04c11db7u : crc << 1;
	return crc;
}

uint32_t kpld_cksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		crc = crc_byte(crc, p[i]);
	for (; len; len >>= 8)
		crc = crc_byte(crc, len & 0xff);
	return ~crc;
}

/* Tabs and newlines would break the line format: replace them. */
static void clean(char *s)
{
	for (; *s; s++)
		if (*s == '\t' || *s == '\n' || *s == '\r')
			*s = ' ';
}

static int append(struct kpld *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int append(struct kpld *d, const char *fmt, ...)
{
	char payload[PAYLOAD_MAX + 1], line[PAYLOAD_MAX + 64];
	size_t len, total, done = 0;
	va_list ap;
	int n, err = 0;

	if (d->journal_fd < 0)
		return -EBADF;
	va_start(ap, fmt);
	n = vsnprintf(payload, sizeof(payload), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	len = strlen(payload);
	n = snprintf(line, sizeof(line), MAGIC "%zu %u %s\n", len,
		     kpld_cksum(payload, len), payload);
	total = (size_t)n;
	/* A short write on a full disk: write the rest for the real errno. */
	while (done < total) {
		ssize_t w = write(d->journal_fd, line + done, total - done);

		if (w < 0) {
			err = -errno;
			break;
		}
		done += (size_t)w;
	}
	if (!err && fdatasync(d->journal_fd))
		err = -errno;
	if (err) {
		/* Cut what did get written: the next record must start on
		 * a clean line, and this one does not stand. */
		if (done && ftruncate(d->journal_fd, journal_size))
			fprintf(stderr,
				"kpld: journal: cannot cut a partial "
				"record at offset %lld: %s\n",
				(long long)journal_size, strerror(errno));
		fprintf(stderr,
			"kpld: journal write failed: %s (record not "
			"written: %.80s)\n",
			strerror(-err), payload);
		return err;
	}
	journal_size += (off_t)total;
	if (++nr_writes == kill_after)
		raise(SIGKILL);
	return 0;
}

int kpld_journal_state(struct kpld *d, const struct kpld_patch *p)
{
	char reason[sizeof(p->reason)];

	snprintf(reason, sizeof(reason), "%s", p->reason);
	clean(reason);
	return append(d, "%llu\tstate\t%s\t%u\t%s\t%s",
		      (unsigned long long)p->since_ns, p->id, p->version,
		      kpld_state_name(p->state), reason);
}

int kpld_journal_setting(struct kpld *d, const char *key, const char *val)
{
	return append(d, "%llu\tset\t%s\t%s",
		      (unsigned long long)kpld_realtime_ns(), key, val);
}

int kpld_journal_event(struct kpld *d, const char *id, const char *what,
		       const char *detail)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", detail);
	clean(buf);
	return append(d, "%llu\tevent\t%s\t%s\t%s",
		      (unsigned long long)kpld_realtime_ns(), id, what, buf);
}

/* Test-only (docs/kpld.md): SIGKILL kpld after its Nth record from now. */
void kpld_journal_arm_fault(void)
{
	const char *s = getenv("KPLD_FAULT_KILL_AFTER_JOURNAL");

	kill_after = s && *s ? strtol(s, NULL, 10) : -1;
	nr_writes = 0;
}

/*
 * Split a framed line of @n bytes (newline included) into its payload.
 * Return: the payload (NUL-terminated in place), or NULL with *@why set.
 */
static char *unframe(char *line, size_t n, const char **why)
{
	unsigned long len, sum;
	char *p, *end;

	*why = "no kj1 frame";
	if (n < sizeof(MAGIC) || memcmp(line, MAGIC, sizeof(MAGIC) - 1))
		return NULL;
	line[n - 1] = '\0';
	p = line + sizeof(MAGIC) - 1;
	*why = "bad frame";
	len = strtoul(p, &end, 10);
	if (end == p || *end != ' ')
		return NULL;
	p = end + 1;
	sum = strtoul(p, &end, 10);
	if (end == p || *end != ' ' || sum > 0xffffffffu)
		return NULL;
	p = end + 1;
	*why = "length does not match";
	if (len != (size_t)(line + n - 1 - p) || memchr(p, '\0', len))
		return NULL;
	*why = "bad checksum";
	if (kpld_cksum(p, len) != sum)
		return NULL;
	return p;
}

static enum kpld_state state_by_name(const char *s)
{
	int i;

	for (i = 0; i < KPLD_NR_STATES; i++)
		if (!strcmp(kpld_state_name(i), s))
			return i;
	return KPLD_NR_STATES;
}

static int replay_state(struct kpld *d, char **f, unsigned long long t)
{
	struct kpld_patch *p = kpld_find(d, f[2]);
	enum kpld_state s = state_by_name(f[4]);

	if (s == KPLD_NR_STATES || !*f[2] || strlen(f[2]) > KPL_ID_MAX)
		return -EINVAL;
	if (!p) {
		p = realloc(d->patches, (d->nr_patches + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		d->patches = p;
		p = &d->patches[d->nr_patches++];
		memset(p, 0, sizeof(*p));
		snprintf(p->id, sizeof(p->id), "%s", f[2]);
		p->prev = s;
	} else {
		p->prev = p->state;
	}
	p->version = (uint32_t)strtoul(f[3], NULL, 10);
	p->state = s;
	p->since_ns = t;
	p->replayed = true;
	/* Done once its fleet operation's report follows. */
	p->unfinished = s != p->prev;
	snprintf(p->reason, sizeof(p->reason), "%s", f[5]);
	return 0;
}

static int held_add(struct kpld *d, int pid)
{
	int *v = realloc(d->held, (d->nr_held + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	d->held = v;
	d->held[d->nr_held++] = pid;
	return 0;
}

static void held_del(struct kpld *d, int pid)
{
	size_t i;

	for (i = 0; i < d->nr_held; i++)
		if (d->held[i] == pid)
			d->held[i] = d->held[--d->nr_held];
}

/* One checked payload.  Return: 0, -EINVAL for a record not understood. */
static int replay_one(struct kpld *d, char *s)
{
	char *f[6] = { 0 };
	struct kpld_patch *p;
	int n = 0;

	while (n < 6 && (f[n] = strsep(&s, "\t")))
		n++;
	if (n == 6 && !strcmp(f[1], "state"))
		return replay_state(d, f, strtoull(f[0], NULL, 10));
	if (n >= 5 && !strcmp(f[1], "event")) {
		if (!strcmp(f[2], "-") && !strcmp(f[3], "held"))
			return held_add(d, atoi(f[4]));
		if (!strcmp(f[2], "-") && !strcmp(f[3], "released"))
			held_del(d, atoi(f[4]));
		p = kpld_find(d, f[2]);
		if (p && (!strcmp(f[3], "apply") || !strcmp(f[3], "revert")))
			p->unfinished = false;
		return 0;
	}
	if (n == 4 && !strcmp(f[1], "set")) {
		if (!strcmp(f[2], "auto_install"))
			d->auto_install = !strcmp(f[3], "on");
		return 0;
	}
	return -EINVAL;
}

/* Escape for the log: the journal may hold any bytes. */
static void show(char *out, size_t len, const char *s, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i < n && o + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static int replay(struct kpld *d, const char *path, FILE *f)
{
	char *line = NULL, esc[200];
	unsigned int nr = 0, good = 0, bad = 0;
	size_t cap = 0;
	off_t off = 0;
	ssize_t n;
	int err = 0;

	while (!err && (n = getline(&line, &cap, f)) > 0) {
		const char *why;
		char *payload;

		nr++;
		if (line[n - 1] != '\n') {
			/* Torn: cut it, or it would swallow the next record. */
			show(esc, sizeof(esc), line,
			     (size_t)n < 60 ? (size_t)n : 60);
			fprintf(stderr,
				"kpld: journal %s: torn last record "
				"(%zd bytes at offset %lld) cut: %s\n",
				path, n, (long long)off, esc);
			if (ftruncate(d->journal_fd, off))
				err = -errno;
			break;
		}
		payload = unframe(line, (size_t)n, &why);
		if (payload && replay_one(d, payload) == -EINVAL) {
			payload = NULL;
			why = "record not understood";
		}
		if (payload) {
			good++;
		} else {
			bad++;
			show(esc, sizeof(esc), line,
			     (size_t)n < 60 ? (size_t)n : 60);
			fprintf(stderr,
				"kpld: journal %s:%u: damaged record "
				"rejected (%s): %s\n",
				path, nr, why, esc);
		}
		off += n;
	}
	free(line);
	journal_size = off;
	d->journal_rejected = bad;
	if (!good)
		fprintf(stderr,
			"kpld: journal %s has no valid record: the "
			"state is taken from the store and the processes\n",
			path);
	return err;
}

int kpld_journal_open(struct kpld *d)
{
	char path[300];
	struct stat st;
	FILE *f;
	int fd, err;

	d->auto_install = d->cfg.auto_install;
	mkdir(d->cfg.state, 0700);
	path_of(d, path, sizeof(path));
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022)) {
		fprintf(stderr,
			"kpld: journal %s is not a regular file owned "
			"by kpld and writable only by it: refusing it\n",
			path);
		close(fd);
		return -EPERM;
	}
	d->journal_fd = fd;
	f = fdopen(dup(fd), "re");
	if (!f)
		return -errno;
	err = replay(d, path, f);
	fclose(f);
	return err;
}
