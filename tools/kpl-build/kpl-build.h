/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpl-build: builds .kpl patch files.  One file per command (pack.c, ...),
 * listed in main.c's command table.  Commands print their own errors
 * through kb_err() and return 0, 1 (failed) or 2 (bad usage), which
 * main() returns as the exit status; nothing else exits.
 */
#ifndef KPL_BUILD_H
#define KPL_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kpl/format.h"

#include <sys/types.h>

/* log.c: print "kpl-build: <message>\n" to stderr. */
__attribute__((format(printf, 1, 2)))
void kb_err(const char *fmt, ...);
/* The same for progress and notes; silenced by kb_quiet. */
__attribute__((format(printf, 1, 2)))
void kb_info(const char *fmt, ...);
extern bool kb_quiet;

/* Commands: argv[0] is the command name. */
int cmd_pack(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_keygen(int argc, char **argv);

/*
 * vuln.c: the CVE ids and advisory a patch fixes (.kpl.vuln), from the
 * manifest and the --cve/--advisory* options.  Strings are malloc'ed.
 */
struct kb_vuln {
	char *cves[KPL_CVE_MAX];
	size_t nr_cves;
	char *advisory, *url, *text;	/* NULL when not given */
};

/*
 * kb_vuln__add() - add @value under @key ("cve", "advisory",
 * "advisory-url", "advisory-text"), checked as libkpl's parser checks
 * .kpl.vuln.  Return: 0, or 1 after printing what is wrong at @where.
 */
int kb_vuln__add(struct kb_vuln *v, const char *key, const char *value,
		 const char *where);
/* Add all of @src (the options) to @dst (the manifest's); 0 or 1. */
int kb_vuln__merge(struct kb_vuln *dst, const struct kb_vuln *src);
/* What no single value shows: a URL or text about nothing; 0 or 1. */
int kb_vuln__check(const struct kb_vuln *v);
/* The manifest lines for @v. */
void kb_vuln__write(FILE *f, const struct kb_vuln *v);
void kb_vuln__free(struct kb_vuln *v);

/* manifest.c: the text file that says what a patch replaces. */
struct kb_func {
	char *old_name;
	char *new_name;		/* == old_name when the line names one symbol */
	char *file;		/* file=, or NULL */
	unsigned int line;
};

struct kb_ref {
	char *name;
	char *file;
	unsigned int line;
};

struct kb_manifest {
	char *path;
	char *id;
	char *description;	/* "" when absent */
	uint32_t version;
	uint32_t flags;		/* KPL_PATCH_F_* */
	struct kb_func *funcs;
	size_t nr_funcs;
	struct kb_ref *refs;
	size_t nr_refs;
	struct kb_vuln vuln;	/* cve and advisory* lines */
};

/*
 * kb_manifest__read() - parse the manifest at @path.
 * Return: 0 and *@out (free with kb_manifest__free()), or 1 after
 * printing what is wrong and where.
 */
int kb_manifest__read(const char *path, struct kb_manifest **out);
void kb_manifest__free(struct kb_manifest *m);

/*
 * kb_pack() - what pack does once it has a manifest: look every func and
 * ref up in @lib, add the .kpl.* sections to @object, sign with @key
 * (NULL: unsigned) and write @out.  Return: 0 or 1 (error printed).
 */
int kb_pack(const struct kb_manifest *m, const char *lib, const char *object,
	    const char *out, const char *key);
/*
 * kb_pack_for() - kb_pack() for @target, the library as shipped, when
 * @lib is a rebuild proven to be it (identity.h): the symbols come from
 * @lib, the build-id from @target, and every func and ref must be found
 * in @target too, at the same address, as kpl apply will look there.
 */
int kb_pack_for(const struct kb_manifest *m, const char *lib,
		const char *target, const char *object, const char *out,
		const char *key);

/* object.c: the relocatable object holding the new code. */
struct kb_object;

/* Open @path and check it is an x86-64 ELF64 ET_REL without .kpl.*. */
int kb_object__open(const char *path, struct kb_object **out);
void kb_object__close(struct kb_object *obj);
/* 0 if @name is a defined STT_FUNC in an executable section, else 1. */
int kb_object__check_func(const struct kb_object *obj, const char *name);
/* 0 if @name is an undefined symbol of the object, else 1. */
int kb_object__check_undef(const struct kb_object *obj, const char *name);

/* A string table being built: offset 0 is "". */
struct kb_strtab {
	char *buf;
	size_t len, cap;
};

/* Offset of @s in @t, adding it if new; UINT32_MAX when out of memory. */
uint32_t kb_strtab__add(struct kb_strtab *t, const char *s);
void kb_strtab__free(struct kb_strtab *t);

/* A section to add to the output: name, bytes. */
struct kb_section {
	const char *name;
	const void *data;
	size_t size;
};

/*
 * kb_emit() - write @out: a copy of @object plus @secs (non-ALLOC
 * PROGBITS), through a temporary file that is checked with libkpl's
 * parser, signed with @key when it is not NULL, and then renamed.
 * Leaves nothing behind on failure.
 * Return: 0 or 1 (error printed).
 */
int kb_emit(const char *object, const char *out,
	    const struct kb_section *secs, size_t nr_secs, const char *key);

/*
 * kb_sign_file() - sign the patch at @path in place with @key; it must
 * already hold a .kpl.sig of the right size (signed or zeroed).
 * Return: 0 or 1 (error printed).
 */
int kb_sign_file(const char *path, const char *key);

/* run.c: other programs, without a shell. */
/* Start @argv in @cwd (NULL: ours), stdout and stderr to @log_fd (-1:
 * ours).  Return: 0 and *@pid, or 1 (error printed). */
int kb_spawn(char *const argv[], const char *cwd, int log_fd, pid_t *pid);
/* The same with environment @envp; stdin is /dev/null when logged. */
int kb_spawn_env(char *const argv[], const char *cwd, int log_fd,
		 char *const envp[], pid_t *pid);
/* Wait for @pid; 0 when it exited with 0, else 1 after saying so. */
int kb_wait(pid_t pid, const char *what);
/* kb_spawn() with our stdio, then kb_wait(). */
int kb_run(char *const argv[], const char *cwd);
/* Copy a log file to stderr, indented. */
void kb_print_file(const char *path);
/* Its last @lines lines (of its last 16 KiB), each cut at 300 bytes. */
void kb_print_tail(const char *path, unsigned int lines);

#endif
