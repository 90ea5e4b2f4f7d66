/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpl-build build: from a source diff to a patch.  Private to the files
 * of that command:
 *
 *   build.c         the steps in order, the summary
 *   build_args.c    the command line and --help
 *   build_tree.c    work directory, copies of the tree, patch(1)
 *   build_cc.c      compiling both trees
 *   build_cmd.c     --build-cmd: running the library's own build twice
 *   build_units.c   --build-cmd: which recorded compiles make the library
 *   cc_wrap.c       the compiler wrapper the build runs (cc_log.h)
 *   cc_log.c        reading what the wrapper recorded
 *   diff_elf.c      an object file read into struct kb_obj (libelf)
 *   diff.c          correlate two builds of a file, compare every symbol
 *   diff_layout.c   compare struct layouts in the debug info (libdw)
 *   patch_select.c  what goes into the patch, what is referenced, refusals
 *   patch_same.c    whether the original build is the library, function
 *                   by function (shortened jumps allowed)
 *   patch_write.c   the patch object and its manifest
 *   patch_ehframe.c its .eh_frame: the included functions' entries
 *   patch_lsda.c    their exception tables and personality words
 *
 * The patch object is handed to kb_pack(), exactly as `pack` would get it
 * from a vendor, so the same checks and the same emit code (and signing)
 * apply to both.
 */
#ifndef KPL_BUILD_BUILD_H
#define KPL_BUILD_BUILD_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kpl-build.h"

struct kpl_elf;

enum kb_status {
	KB_SAME, /* identical in both builds */
	KB_CHANGED, /* in both builds, different */
	KB_NEW, /* only in the patched build */
};

struct kb_rela {
	uint64_t offset;
	uint32_t type;
	uint32_t sym; /* index into kb_obj.syms */
	int64_t addend;
};

struct kb_sym;

struct kb_sec {
	const char *name;
	size_t index;
	GElf_Shdr sh;
	const uint8_t *data; /* NULL for SHT_NOBITS and empty sections */
	struct kb_rela *relas; /* from the SHT_RELA whose sh_info is us */
	size_t nr_relas;
	/* The FUNC/OBJECT/TLS symbol defined here when there is exactly one
	 * (-ffunction-sections, -fdata-sections), or one with aliases (the
	 * exported name); NULL when anonymous. */
	struct kb_sym *owner;
	size_t nr_named;
	/* patch_select.c / patch_write.c */
	bool include;
	size_t out_index;
	size_t out_secsym;
};

struct kb_sym {
	const char *name; /* "" when unnamed */
	size_t index;
	GElf_Sym sym;
	uint8_t type, bind;
	struct kb_sec *sec; /* NULL unless defined in a section */
	struct kb_obj *obj;
	struct kb_sym *twin; /* the same symbol in the other build */
	struct kb_sym *parent; /* f for f.cold: the function it is part of */
	struct kb_sym *alias; /* another name of this one, its section's
			       * owner: its status is the owner's */
	enum kb_status status;
	const char *why; /* KB_CHANGED data: what differs (static) */
	char *users; /* functions referring to it, "a,b" (diff.c) */
	bool guessed; /* a static local paired by name alone (diff.c) */
	/* patch_select.c / patch_write.c */
	bool line_only; /* differs only by __LINE__ */
	bool ref; /* referenced by name from the patch */
	struct kb_sym *def; /* undefined here, defined by another
				 * patched object and included */
	char *out_name;
	size_t out_index;
};

struct kb_obj {
	char *path; /* the .o file */
	const char *src; /* source, relative to the tree */
	const char *file; /* its basename: the STT_FILE name */
	int fd;
	Elf *elf;
	struct kb_sec *secs;
	size_t nr_secs;
	struct kb_sym *syms;
	size_t nr_syms;
	struct kb_obj *twin;
};

/* The build command's options and state (build.c, build_tree.c). */
struct kb_meta {
	const char *id;
	const char *description;
	uint32_t version;
	uint32_t flags;
	const struct kb_vuln *vuln; /* --cve, --advisory*: manifest lines */
};

/*
 * One translation unit as the library's own build compiled it (recorded
 * by the compiler wrapper): kpl-build compiles it again the same way,
 * from the same directory, with its own -o and a few flags added.
 */
struct kb_unit {
	char *cwd;
	char **argv; /* the real compiler and its arguments, NULL-ended */
	size_t argc;
	size_t src; /* argv index of the source */
};

struct kb_build {
	/* options */
	const char *tree; /* --tree: where the diff applies, "." */
	const char *diff; /* --diff */
	const char *lib; /* --lib */
	const char *target; /* --target: the shipped file, or NULL */
	const char *orig_built; /* --orig-built: a cached original build */
	const char *soname; /* --soname: no --lib, no --target */
	const char *lib_out; /* --lib-out: a copy of the library patched */
	char *lib_built; /* no --lib: the original build's library */
	char *target_soname; /* no --lib: --target's soname */
	const char *out; /* -o */
	const char *key; /* --key, NULL: unsigned */
	const char *cc; /* --cc, $CC, "gcc" */
	const char *cxx; /* --cxx, $CXX, "g++" (--build-cmd) */
	const char *build_cmd; /* --build-cmd: the library's own build */
	const char *lib_soname; /* --lib's DT_SONAME, or NULL */
	const char *workdir; /* --workdir: kept afterwards */
	char **globs; /* --sources, relative to the tree */
	size_t nr_globs;
	char **cflags; /* --cflags, split at blanks */
	size_t nr_cflags;
	int strip; /* -p N for patch(1), 1 */
	int jobs; /* compilers at a time */
	struct kb_meta meta;
	struct kb_vuln vuln; /* meta.vuln points here */
	bool have_version;
	/* state */
	char *tree_abs;
	char *diff_abs;
	char *work; /* the work directory */
	bool work_made; /* we made it: remove it at the end */
	char **srcs; /* sources, relative to the tree */
	size_t nr_srcs;
	bool *in_orig; /* srcs[i] exists in the original tree */
	struct kb_obj **orig, **patched; /* per source */
	/* --build-cmd: per source, as compiled in orig/ [0] and patched/
	 * [1] (NULL where it was not), and those copies' real paths */
	struct kb_unit **units[2];
	char *root[2];
	/* --build-cmd: source i compiles in the patched tree exactly as in
	 * the original (same flags, same bytes in every file it includes):
	 * its original object stands for both (build_units.c) */
	bool *same;
	/* --orig-built, built incrementally (build_incr.c): the patched
	 * tree, bound over root[0] (which root[1] then equals) in a mount
	 * namespace while it builds and compiles; NULL otherwise */
	char *overlay;
	char **diff_files; /* the files the diff touches */
	size_t nr_diff_files;
};

/* build_args.c: 0, 2 (usage) or -1 (--help printed). */
int kb_build__args(struct kb_build *b, int argc, char **argv);

/*
 * The options kpl-build deb shares with kpl-build build, one list for
 * both so that their names, letters and arguments cannot drift apart:
 * each command's struct option table ends with KB_SHARED_OPTS and its
 * short options with KB_SHARED_SHORTOPTS (include <getopt.h>).  deb
 * reads some of them and passes the others on to build.
 */
/* clang-format off */
#define KB_SHARED_OPTS                                   \
	{ "strip", required_argument, NULL, 'p' },       \
	{ "target", required_argument, NULL, 'T' },      \
	{ "id", required_argument, NULL, 'i' },          \
	{ "version", required_argument, NULL, 'V' },     \
	{ "description", required_argument, NULL, 'D' }, \
	{ "replace", no_argument, NULL, 'R' },           \
	{ "key", required_argument, NULL, 'k' },         \
	{ "output", required_argument, NULL, 'o' },      \
	{ "workdir", required_argument, NULL, 'w' },     \
	{ "jobs", required_argument, NULL, 'j' },        \
	{ "quiet", no_argument, NULL, 'q' },             \
	{ "help", no_argument, NULL, 'h' }
/* clang-format on */
#define KB_SHARED_SHORTOPTS "p:T:i:V:D:k:o:w:j:qh"

/* build_tree.c */
/* Work directory, copies of the tree (original and patched), patch(1). */
int kb_tree__setup(struct kb_build *b);
/*
 * The member names of the static archive @path (ar.c), malloc'ed, in
 * order; 0, or 1 after saying what is wrong.
 */
int kb_ar__members(const char *path, char ***names, size_t *nr);
int kb_mkdir_p(const char *path);
/*
 * kb_copy_file() - copy @src to @dst: with @st (the source's stat), a new
 * file with its mode and times, as a build system wants them kept; with
 * NULL, mode 0644, replacing what is there.  Return: 0 or -errno.
 */
struct stat;
int kb_copy_file(const char *src, const char *dst, const struct stat *st);
/* Check the diff's paths (into b->diff_files); apply it to patched/. */
int kb_tree__diff_files(struct kb_build *b);
int kb_tree__apply_diff(struct kb_build *b);
/* build_cmd.c: the same with --build-cmd: copy, build, record. */
int kb_buildcmd__setup(struct kb_build *b);
void kb_buildcmd__free(struct kb_build *b);
/* @path (DIR/built of --orig-built) is this kpl-build's cache format. */
bool kb_buildcmd__stamped(const char *path);
/* build_run.c: copy a tree (times kept), not descending into @skip. */
int kb_buildcmd__copy(const char *src, const char *dst, const char *skip);
/* Run the build command in @side's tree, recording into @log. */
int kb_buildcmd__build(const struct kb_build *b, int side, const char *bin,
		       const char *log, const char *out);
/* Make the compiler wrappers in the new directory @bin (PATH_MAX). */
int kb_buildcmd__wrappers(const struct kb_build *b, char *bin);
/* build_same.c: two regular files with the same bytes. */
bool kb_same_file(const char *x, const char *y);
/* build_incr.c */
/*
 * kb_incr__build() - with --orig-built: the patched tree as a copy of the
 * original build with the diff applied, built again at the original's
 * path (b->overlay); *@copies and *@nr_copies: the files the original
 * build copied from the diff's (per diff file), changed too.
 * Return: 0, 1 (error printed) or 2 (said why it must be built in full).
 */
int kb_incr__build(struct kb_build *b, const char *bin, const char *log,
		   const char *orig_log, char ***copies, size_t **nr_copies);
/*
 * kb_incr__check() - after both builds' units are known: 0 when the
 * incremental build gives what a full one would, 2 after saying why
 * not, 1 on error.
 */
int kb_incr__check(const struct kb_build *b, const char *orig_log,
		   struct kb_unit **u[2], char **rel[2], size_t nr[2],
		   char **copies, const size_t *nr_copies);
/* build_run.c: @argv run in @cwd with b->overlay bound over the original tree. */
char **kb_buildcmd__wrap(const struct kb_build *b, char *const argv[],
			 const char *cwd);
/* build_units.c */
/* Pick the units of @side's compiler log that make up the library. */
int kb_units__select(struct kb_build *b, int side, const char *log,
		     struct kb_unit ***units, char ***rels, size_t *nr);
/* The argv that compiles @u again to @obj (@src instead, when not NULL);
 * freed with kb_argv__free(). */
char **kb_unit__argv(const struct kb_build *b, const struct kb_unit *u,
		     int side, bool neutral, const char *src, const char *obj);
void kb_unit__free(struct kb_unit *u);
void kb_argv__free(char **argv);
/*
 * kb_units__unchanged() - fill b->same: after the original tree's
 * objects are compiled (with their dependency files), the sources whose
 * patched unit has the same flags and reads the same bytes, so that
 * only the others are compiled again on the patched side.
 * Return: 0, or 1 after saying what failed.
 */
int kb_units__unchanged(struct kb_build *b);
/* build_cc.c */
/*
 * Compile the sources i with @want[i] (NULL: all) of @side ("orig" or
 * "patched"); @neutral sets __LINE__ to 0 (see build.c).  Objects go to
 * kb_tree__obj(b, side, neutral, i).
 */
int kb_tree__compile(struct kb_build *b, const char *side, bool neutral,
		     const bool *want);
/*
 * Path of an object: malloc'ed, NULL when out of memory.  With
 * --orig-built, the original's objects (not line-neutral) are kept
 * there, in obj/, with the command that compiled each (.cmd) and what it
 * included (.d): the next patch of the same build reuses them.
 */
char *kb_tree__obj(const struct kb_build *b, const char *side, bool neutral,
		   size_t i);
/* build_tree.c: remove the work directory unless it was --workdir. */
void kb_tree__cleanup(struct kb_build *b);

/* diff_elf.c */
int kb_obj__open(const char *path, const char *src, struct kb_obj **out);
void kb_obj__close(struct kb_obj *obj);
bool kb_sym__is_func(const struct kb_sym *s);
bool kb_sym__is_data(const struct kb_sym *s);
/* A symbol that names something (not a section, file or .L label). */
bool kb_sym__named(const struct kb_sym *s);
/*
 * Read-only data private to a function: x.N static locals that are const,
 * switch tables (CSWTCH.N), __func__.N.  Compared and copied by contents,
 * like strings, never referenced by name.
 */
bool kb_sym__copyable(const struct kb_sym *s);
/* Length of "x" in "x.12"; 0 when @name has no numeric suffix. */
size_t kb_static_base(const char *name);
/* Bytes of @s in its section: NULL for NOBITS. */
const uint8_t *kb_sym__bytes(const struct kb_sym *s);
/* "f()" or "variable x", with " (file.c)" for locals: static buffer. */
const char *kb_sym__desc(const struct kb_sym *s);
/* PC-relative relocation (the field is 4 bytes before the next insn). */
bool kb_rela__pcrel(uint32_t type);
bool kb_rela__tls(uint32_t type);

/*
 * Where a relocation points, normalised: the same target in two builds
 * compares equal even when sections, string offsets or label numbers
 * moved.  See diff.c.
 */
enum kb_target_kind {
	KB_T_SYM, /* a named symbol (function, object, undefined) */
	KB_T_MERGE, /* a string or constant in a SHF_MERGE section */
	KB_T_ANON, /* a section without a named symbol */
};

struct kb_target {
	enum kb_target_kind kind;
	struct kb_sym *sym; /* KB_T_SYM */
	struct kb_sec *sec; /* KB_T_MERGE, KB_T_ANON */
	uint64_t off; /* KB_T_MERGE: offset of the string/constant */
	int64_t delta; /* addend relative to sym / off / section */
};

void kb_target(const struct kb_obj *obj, const struct kb_rela *r,
	       struct kb_target *t);

/* diff.c: correlate @o (original) with @p (patched), compare everything. */
int kb_diff(struct kb_obj *o, struct kb_obj *p);
/* Two sections with equal bytes and equivalent relocations. */
bool kb_sec_equal(const struct kb_obj *o, const struct kb_sec *os,
		  const struct kb_obj *p, const struct kb_sec *ps);

/* diff_layout.c: 0, or 1 after naming every struct whose layout changed. */
int kb_layout__compare(const struct kb_obj *o, const struct kb_obj *p,
		       unsigned int *nr_changed);

/* patch_select.c */
struct kb_libref {
	const char *name; /* the name in the library */
	const char *file; /* STT_FILE of a local, NULL for a global */
	bool check; /* look it up in the library (not libc's) */
	bool weak; /* an undefined weak reference: may stay 0 */
	bool tls; /* a thread-local variable */
	bool by_addr; /* the library's own, a stripped target does not
		       * name it: pack locates it by address (.kpl.addr) */
};

struct kb_selection {
	struct kb_obj **objs; /* patched objects, one per source */
	size_t nr_objs;
	struct kpl_elf *lib;
	const char *lib_path;
	/* results */
	struct kb_sym **replaced; /* new versions of changed functions */
	size_t nr_replaced;
	struct kb_sym **defs; /* every symbol the patch defines */
	size_t nr_defs;
	struct kb_libref *refs; /* every name it leaves undefined */
	size_t nr_refs;
	size_t nr_new_funcs, nr_new_data, nr_line_only;
	unsigned int refused;
};

/*
 * kb_select() - decide what the patch holds: every changed function and,
 * closing over their relocations, the new functions and data and the
 * anonymous sections (strings, jump tables) they use; everything else is
 * referenced by name in the library.  Refuses what cannot be patched.
 * Return: 0, 1 (refused or failed: reasons printed) or 3 (nothing to
 * patch).
 */
int kb_select(struct kb_selection *sel);

/*
 * patch_same.c: is the original build the library?  kb_same_as_lib():
 * is function @s of the original build the library's @ls, the same
 * code even where their sizes differ?  0 yes, 1 no (@why says where),
 * -1 out of memory (said).  kb_check_reproduced(): every symbol of the
 * original build the library has, refused when one differs.
 */
struct kpl_elf_sym;
int kb_same_as_lib(const struct kb_selection *sel, const struct kb_sym *s,
		   const struct kpl_elf_sym *ls, char *why, size_t len);
void kb_check_reproduced(struct kb_selection *sel);

/* patch_write.c: the patch object and the manifest for kb_pack(). */
int kb_write(const struct kb_selection *sel, const char *obj_path);

/* patch_ehframe.c: the unwind entries of the included functions. */
struct kb_eh_rela {
	const struct kb_obj *obj;
	struct kb_rela r; /* its offset in kb_eh_frame.data */
};

struct kb_eh_frame {
	uint8_t *data;
	size_t size;
	struct kb_eh_rela *relas;
	size_t nr_relas;
};

/* Return: 0 (@out filled, maybe empty) or 1 (out of memory, printed). */
int kb_eh_frame(const struct kb_selection *sel, struct kb_eh_frame *out);
void kb_eh_frame__free(struct kb_eh_frame *f);
/* @o's .eh_frame, or NULL. */
struct kb_sec *kb_eh_frame__of(const struct kb_obj *o);
/*
 * kb_eh_frame__each() - call @fn for each FDE of @o's table @eh whose
 * frame is sound: the FDE's bytes [@lo, @hi), its CIE's [@cie, @cie_hi).
 * Return: 0, or the first non-zero value @fn returned.
 */
typedef int (*kb_eh_fn)(struct kb_obj *o, const struct kb_sec *eh, size_t lo,
			size_t hi, size_t cie, size_t cie_hi, void *arg);
int kb_eh_frame__each(struct kb_obj *o, const struct kb_sec *eh, kb_eh_fn fn,
		      void *arg);

/*
 * patch_lsda.c: kb_lsda__select() - what the FDEs of the included
 * functions need besides code: each one's LSDA (its .gcc_except_table
 * section) and the DW.ref words its CIE's personality and the LSDA's
 * type table point through, included, and the names those words hold
 * (__gxx_personality_v0, typeinfo objects) referenced like any other.
 * Return: 0, or 1 after saying what is refused or failed.
 */
int kb_lsda__select(struct kb_selection *sel);
int kb_write_manifest(const struct kb_selection *sel,
		      const struct kb_meta *meta, const char *path);

#endif
