/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The compiler log: what the compiler wrapper (cc_wrap.c) records while
 * the library's own build runs, and what kpl-build reads back
 * (cc_log.c).  Private to those two and build_cmd.c.
 *
 * One record per successful compiler run that compiled (-c) or linked a
 * shared object (-shared), appended with one write() under flock():
 *
 *   "kpl-cc N\n" then N+1 strings, each "LEN BYTES\n": the working
 *   directory, then the compiler's argv with argv[0] the real compiler.
 *
 * The build runs code from the tree (configure scripts, Makefiles), which
 * may write anything to the log: the reader bounds and checks every
 * field and refuses the whole log when one is malformed.
 */
#ifndef KPL_BUILD_CC_LOG_H
#define KPL_BUILD_CC_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Environment the build runs with (build_cmd.c sets it). */
#define KB_ENV_LOG "KPL_BUILD_LOG" /* the log to append to */
#define KB_ENV_CC "KPL_BUILD_CC" /* real compiler for kpl-cc */
#define KB_ENV_CXX "KPL_BUILD_CXX" /* real compiler for kpl-c++ */
#define KB_ENV_WRAPDIR "KPL_BUILD_WRAPDIR" /* the wrappers' directory */

#define KB_LOG_MAGIC "kpl-cc "
#define KB_LOG_MAX (64u << 20) /* bytes in a whole log */
#define KB_LOG_ARGS_MAX 65536u /* arguments in one record */
#define KB_LOG_STR_MAX (1u << 20) /* bytes in one string */

/*
 * The names the wrapper answers to: kpl-cc and kpl-c++ run $KPL_BUILD_CC
 * and $KPL_BUILD_CXX, the others the program of that name found in PATH
 * after the wrappers' directory (a build that says "gcc" itself).
 */
extern const char *const kb_cc_names[];

/* cc_wrap.c: is @argv0 one of the wrapper's names? */
bool kb_cc__is_wrapper(const char *argv0);
/* cc_wrap.c: run as the wrapper; returns the exit status. */
int kb_cc__main(int argc, char **argv);

/* One recorded compiler run. */
struct kb_cc_rec {
	char *cwd;
	char **argv; /* NULL-terminated */
	size_t argc;
};

/* cc_log.c: read the log at @path.  0, or 1 after an error naming it. */
int kb_cc_log__read(const char *path, struct kb_cc_rec **recs, size_t *nr);
void kb_cc_log__free(struct kb_cc_rec *recs, size_t nr);

/* How a recorded run is read (cc_log.c). */
struct kb_cc_args {
	bool compile; /* -c, no -E/-S/-M/-MM */
	bool shared; /* -shared */
	bool lto; /* -flto (not -fno-lto after it) */
	size_t src; /* compile: index of its one C/C++ source, else 0 */
	const char *out; /* -o, NULL when none */
	size_t nr_srcs; /* C/C++ sources named */
};

void kb_cc_args__parse(char *const *argv, size_t argc, struct kb_cc_args *a);
/* Does option @arg take the next argument as its value (-o X, -I X)? */
bool kb_cc_args__takes_value(const char *arg);
bool kb_cc_args__is_source(const char *arg);

#endif
