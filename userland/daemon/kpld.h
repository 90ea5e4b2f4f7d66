/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpld: the patch daemon.  A store of patches on disk, each with a
 * lifecycle journaled to survive restarts, applied fleet-wide on request
 * or automatically, with processes started later covered and patches
 * that make processes crash taken back out.
 */
#ifndef KPLD_H
#define KPLD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "kpl/fleet.h"
#include "kpl/format.h"
#include "kpl/patch.h"

#define KPLD_CONF "/etc/kpatch-lite/kpld.conf"

#define KPLD_RULES_MAX 32

struct kpld_config {
	char store[256];	/* patch store directory */
	char state[256];	/* journal directory */
	char socket[256];	/* unix socket path */
	char keys[256];		/* trusted public keys */
	char metrics_dir[256];	/* node_exporter textfile directory, "" */
	char vex_file[256];	/* the OpenVEX document, rewritten, "" */
	bool auto_install;	/* initial setting; the journal overrides */
	bool allow_unsigned;	/* testing only */
	int watch_window_s;	/* crash within this long after patching */
	bool watch_anywhere;	/* crash anywhere, not only in patch code */
	int rescan_ms;		/* look for new processes this often */
	gid_t read_gid;		/* this group may read status; -1: none */
	int jobs;		/* fleet workers, 0 = one per CPU */
	/* "only = KEY=VALUE" and "never = KEY=VALUE" lines: which
	 * processes kpld patches (kpl_fleet__filter()) */
	struct kpl_fleet_rule rules[KPLD_RULES_MAX];
	char rule_text[KPLD_RULES_MAX][256];
	struct kpl_fleet_filter filter;
};


int kpld_config_load(const char *path, struct kpld_config *c);

/* Lifecycle of a patch in the store (a table in store.c). */
enum kpld_state {
	KPLD_AVAILABLE,		/* in the store, not applied */
	KPLD_INSTALLED,		/* verified and applied fleet-wide */
	KPLD_REVERTED,		/* taken out by an admin */
	KPLD_QUARANTINED,	/* taken out by the watchdog */
	KPLD_SUPERSEDED,	/* a newer version of the same id arrived */
	KPLD_INVALID,		/* malformed or badly signed */
	KPLD_NR_STATES,
};

struct kpld_patch {
	char id[KPL_ID_MAX + 1];
	char path[800];
	uint32_t version;
	enum kpld_state state;
	char reason[160];	/* why it is in its state */
	uint64_t since_ns;	/* CLOCK_REALTIME of the last transition */
	uint64_t installed_mono_ns;	/* for the watchdog window */
	bool present;		/* file still in the store */
	struct kpl_patch *kp;	/* the verified file, while present */
	char lib_path[512];	/* where its library was seen, or "" */
	char last[480];		/* the last fleet operation's outcome */
	/* From the journal replay, for the reconciliation at start: */
	bool replayed;		/* the journal has a record of it */
	bool unfinished;	/* its last transition's fleet report is missing */
	enum kpld_state prev;	/* the state before its last transition */
};

struct kpld {
	struct kpld_config cfg;
	/* Processes a hold stopped and no "released" line followed: a
	 * kpld that died in between left them stopped (journal replay). */
	int *held;
	size_t nr_held;
	struct kpld_patch *patches;
	size_t nr_patches;
	bool auto_install;
	int journal_fd;
	unsigned int journal_rejected;	/* damaged records found at start */
	/* What the watchdog does to a patch that crashed a process:
	 * kpld_revert(), set by main.  Called through the struct so that
	 * watch.c, which the store calls, does not call the store back. */
	int (*quarantine)(struct kpld *d, struct kpld_patch *p,
			  enum kpld_state to, const char *why);
	/* For the metrics (metrics.c), since kpld started: */
	uint64_t holds;		/* processes held by the BPF hold or a guard */
	uint64_t quarantines;	/* transitions to quarantined */
	uint64_t last_pause_ns;	/* longest stop of the last fleet apply */
	uint64_t last_apply_ns;	/* CLOCK_REALTIME of it, 0: none yet */
	/* The VEX document's version (vex.c): bumped when it changes. */
	uint32_t vex_version;
	uint32_t vex_cksum;
};

/*
 * util.c: a leaf every kpld file may call (it calls none of them).
 */
const char *kpld_state_name(enum kpld_state s);
/* @s as a JSON string, quotes included, valid for any bytes (util.c). */
void kpld_json_str(FILE *f, const char *s);
/* A fleet apply's results: the metrics' last apply pause (util.c). */
struct kpl_fleet_result;
void kpld_note_pause(struct kpld *d, const struct kpl_fleet_result *res,
		     size_t nr);

/*
 * vex.c: the OpenVEX document for every CVE the store's patches name,
 * or only @cve (NULL: all), as one line of JSON (docs/kpld.md).
 */
void kpld_vex(struct kpld *d, FILE *f, const char *cve);
/*
 * kpld_coverage() - the processes that map @p's library (*@mapping, *@nr,
 * whatever the filters say) and which of them have @p applied
 * (*@patched[i], *@nr_patched of them).  Arrays malloc'ed.
 * Return: 0, -ENOENT when @p's file is not read, -errno.
 */
int kpld_coverage(const struct kpld_patch *p, pid_t **mapping, size_t *nr,
		  bool **patched, size_t *nr_patched);
/* metrics.c: write metrics_dir/kpld.prom atomically, if configured. */
void kpld_metrics_write(struct kpld *d);
/*
 * kpld_publish() (util.c) - replace the file @path atomically with what @fill
 * writes (a hidden temporary beside it, renamed); a failure is logged
 * when it differs from *@last_err.  Return: 0 or -errno.
 */
int kpld_publish(struct kpld *d, const char *path,
		 void (*fill)(struct kpld *d, FILE *f), int *last_err);
/* vex.c: write vex_file (the whole document) atomically, if configured. */
void kpld_vex_write(struct kpld *d);
/*
 * kpld_filter() - keep those of @pids the configured filter takes; a
 * filter that cannot be evaluated (a user gone) takes none, loudly.
 */
void kpld_filter(struct kpld *d, pid_t *pids, size_t *nr);
/* Whether the filter takes @pid. */
bool kpld_takes(struct kpld *d, pid_t pid);

struct kpld_patch *kpld_find(struct kpld *d, const char *id);
uint64_t kpld_realtime_ns(void);
uint64_t kpld_mono_ns(void);
/*
 * @s escaped for a log line (libkpl's escaper): paths and details come
 * from processes, which may be hostile.  The result lives in one of two
 * per-thread buffers, used in turn: at most two per log line.
 */
const char *kpld_esc(const char *s);

/* store.c: open and verify @path with the daemon's keys. */
int kpld_open_patch(struct kpld *d, const char *path, struct kpl_patch **out);

/*
 * journal.c: every transition, framed, checksummed, appended and
 * fdatasync'ed.  Open replays it (cutting a torn tail, rejecting damaged
 * records).  Appends return 0 or -errno; a failed one leaves nothing.
 */
int kpld_journal_open(struct kpld *d);
int kpld_journal_state(struct kpld *d, const struct kpld_patch *p);
int kpld_journal_setting(struct kpld *d, const char *key, const char *val);
int kpld_journal_event(struct kpld *d, const char *id, const char *what,
		       const char *detail);
uint32_t kpld_cksum(const void *buf, size_t len);
/* Test only: KPLD_FAULT_KILL_AFTER_JOURNAL=N kills kpld after N records. */
void kpld_journal_arm_fault(void);
/* reconcile.c: at start, make the store's states and the processes agree */
void kpld_reconcile(struct kpld *d);

/*
 * store.c: move @p to @to for @reason, journaled.  Refuses (-EINVAL) a
 * transition the lifecycle table does not allow.
 */
int kpld_transition(struct kpld *d, struct kpld_patch *p, enum kpld_state to,
		    const char *reason);
int kpld_store_scan(struct kpld *d);
int kpld_install(struct kpld *d, struct kpld_patch *p, const char *why);
int kpld_revert(struct kpld *d, struct kpld_patch *p, enum kpld_state to,
		const char *why);
/* cover.c: patch processes that map an installed patch's library but
 * lack it. */
int kpld_cover_new(struct kpld *d);

/*
 * api.c: the unix socket.  Clients are non-blocking and live in main's
 * epoll set (@ep) with a deadline; api_io handles a client's event,
 * api_timeout_ms is how long epoll may wait for the next deadline, and
 * api_expire drops the clients past theirs.
 */
int kpld_api_listen(struct kpld *d);
void kpld_api_accept(struct kpld *d, int ep, int lfd);
void kpld_api_io(struct kpld *d, int ep, int fd, uint32_t events);
int kpld_api_timeout_ms(void);
void kpld_api_expire(int ep);

/*
 * protect.c: load the hold's and the watchdog's BPF objects one by one
 * and say which protections run.  open returns one fd to poll for both
 * (read with kpld_protect_read), -ENODEV when neither loaded, or -errno
 * when kpld cannot run safely (a hold nobody would hear about).
 */
struct kpld_protections {
	const char *hold;		/* "module", "bpf" or "none" */
	const char *hold_why;		/* what is missing and why, or "" */
	bool watchdog;
	const char *watchdog_why;	/* why it is off, or "" */
};
int kpld_protect_open(struct kpld *d);
void kpld_protect_read(struct kpld *d, int fd);
void kpld_protections(struct kpld_protections *p);
/* "hold=bpf watchdog=on", each missing one with its reason. */
void kpld_protections_line(char *buf, size_t len);

/*
 * bpf.c: for hold.c and watch.c.  init routes libbpf's messages (and
 * keeps the verifier's complaint); prepare starts loading @feature and
 * says whether KPLD_FAULT_BPF wants it refused; why writes why the load
 * failed with @err ("BPF: verifier refused PROG: ..." or "BPF: error").
 */
#define KPLD_WHY_MAX 200
void kpld_bpf_init(void);
bool kpld_bpf_prepare(const char *feature);
void kpld_bpf_why(int err, char *buf, size_t len);
/*
 * kpld_bpf_pidns() - the inode of kpld's own pid namespace, which the BPF
 * programs number processes in (pidns.bpf.h).  Return: it, or 0 when
 * /proc/self/ns/pid cannot be read (the programs then see no process).
 */
unsigned int kpld_bpf_pidns(void);
/*
 * kpld_bpf_ring() - a ring buffer on @map whose records go to @fn(@ctx),
 * in *@out.  Return: its epoll descriptor, or -errno.
 */
struct bpf_map;
struct ring_buffer;
int kpld_bpf_ring(struct bpf_map *map,
		  int (*fn)(void *ctx, void *data, size_t size), void *ctx,
		  struct ring_buffer **out);

/*
 * hold.c: stop processes that load a patched library until patched.
 * open loads the BPF hold, returns its ring buffer's fd or -errno; why
 * is NULL when it loaded, else the reason.
 */
int kpld_hold_open(struct kpld *d);
const char *kpld_hold_why(void);
void kpld_hold_read(void);
void kpld_hold_learn(struct kpld *d, struct kpld_patch *p, const pid_t *pids,
		     size_t nr);
void kpld_on_hold(struct kpld *d, int pid);
/* At start: let go of processes a previous kpld held and never released. */
void kpld_hold_release_leftovers(struct kpld *d);

/*
 * guard.c: with the kernel module, its guards hold new processes
 * instead of hold.c's BPF: open returns the device's fd (for events) or
 * -errno; learn guards @p's old functions in @path; forget deletes the
 * guard when @p leaves the installed state; close deletes every guard.
 */
int kpld_guard_open(void);
bool kpld_guard_enabled(void);
int kpld_guard_learn(struct kpld *d, struct kpld_patch *p, const char *path);
void kpld_guard_forget(struct kpld *d, struct kpld_patch *p);
void kpld_guard_read(struct kpld *d, int fd);
void kpld_guard_close(void);

/* watch.c: the crash watchdog; open and why as for the hold */
int kpld_watch_open(struct kpld *d);
const char *kpld_watch_why(void);
void kpld_watch_read(void);
void kpld_watch_note(int pid, const char *id, uint64_t lo, uint64_t hi);
void kpld_watch_forget_all(void);
/* Record every process's patch mappings for the watchdog, and repair the
 * processes whose records say a transaction did not finish. */
void kpld_note_all(void);

#endif
