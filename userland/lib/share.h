/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * What one command learns once and every process of it reuses: the ELF
 * files the unwinder reads CFI from, the parsed symbols of the objects a
 * patch links against, the entry analysis of each patched function,
 * where the ptrace backend's gadgets are in each file, and the patch's
 * unwind verdict.  A fleet apply patches a thousand processes that map
 * the same libc and the same library; without this, each process opened,
 * mapped and parsed every file again.
 *
 * The cache lives while someone holds it (kpl_share__get(), e.g. a fleet
 * command for its whole pool, or one unwinder for its process) and is
 * emptied when the last holder lets go, so a long-running kpld keeps no
 * file open between commands.  It is shared by the pool's worker threads.
 */
#ifndef KPL_LIB_SHARE_H
#define KPL_LIB_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libelf.h>

struct kpl_arch_prologue;

void kpl_share__get(void);
void kpl_share__put(void);

/*
 * libdw and libelf are not thread-safe (Debian builds them without
 * --enable-thread-safety), and the cache hands one Elf to every
 * process's Dwfl: every call into libdwfl, and every elf_begin/elf_end
 * of a shared Elf, happens with this lock held.
 */
void kpl_share__lock(void);
void kpl_share__unlock(void);

/* A file a process maps, as /proc/PID/maps names it. */
struct kpl_share_file {
	pid_t pid;
	uint64_t start, end;	/* one of its mappings, for map_files */
	unsigned int dev_major, dev_minor;
	uint64_t inode;
	const char *path;
};

/*
 * kpl_share__elf() - an Elf of @f for libdwfl, which elf_end()s it.  The
 * file is opened once per command through /proc/PID/map_files (so the
 * very inode mapped, even deleted or in another mount namespace) and read
 * with pread as libdw asks, never mapped whole.  Two processes share it
 * only if their maps name the same device, inode and path: a library
 * replaced at the same path, or another build, is another file.  Call
 * with kpl_share__lock() held.
 * Return: the Elf, or NULL (not held by anyone, or the file cannot be
 * opened as that inode): the caller then reads the file its own way.
 */
Elf *kpl_share__elf(const struct kpl_share_file *f);

/*
 * kpl_share__kelf() - the parsed ELF (symbols, segments: elfobj.h) of
 * @f, opened and parsed once per command, with the same rules for what
 * is the same file as kpl_share__elf().  The cache owns it: the caller
 * uses it until it lets go of the cache and never closes it.
 * Return: it, or NULL (not held, or it cannot be opened so): the caller
 * opens the file its own way.
 */
struct kpl_elf;
struct kpl_elf *kpl_share__kelf(const struct kpl_share_file *f);

/*
 * kpl_share__analyse() - kpl_arch_analyse(), remembered for the command
 * by the function's bytes: the analysis depends on nothing else (branch
 * targets are compared relative to @addr, so the same bytes at another
 * load address give the same answer).  Keyed by the bytes themselves,
 * not by build-id, which a hostile process can forge.  @why, when set,
 * is a static string.
 */
int kpl_share__analyse(const uint8_t *code, size_t size, uint64_t addr,
		       struct kpl_arch_prologue *out, const char **why);

/*
 * kpl_share__gadgets() - where the syscall and sigreturn gadgets were
 * found in @f, as offsets in the file (not addresses: each process maps
 * it at its own base), into @off.  A hint only: the process may have
 * changed its copy of the text, so the caller checks the bytes at the
 * rebased addresses before it uses them.
 * Return: true when known for this command.
 */
struct kpl_arch_gadgets;
bool kpl_share__gadgets(const struct kpl_share_file *f,
			struct kpl_arch_gadgets *off);
/* Remember @off (file offsets) for @f, if the cache is held. */
void kpl_share__keep_gadgets(const struct kpl_share_file *f,
			     const struct kpl_arch_gadgets *off);

/*
 * The verdict of kpl_patch__scan_unwind() on @patch, computed once by a
 * fleet command before its pool starts (kpl_share__keep_unwind()) and
 * dropped before it lets go (kpl_share__drop_unwind()), while the patch
 * is certainly alive: keyed by the patch's address, an entry never
 * outlives it.  kpl_share__unwind() returns true and the verdict when
 * one is kept for @patch.
 */
struct kpl_patch;
void kpl_share__keep_unwind(const struct kpl_patch *patch, int err,
			    bool unwinds);
void kpl_share__drop_unwind(const struct kpl_patch *patch);
bool kpl_share__unwind(const struct kpl_patch *patch, int *err,
		       bool *unwinds);

/*
 * kpl_share__elf_read() - kpl_elf__read(), remembered for the command
 * when @ke is one kpl_share__kelf() gave (a file is the same file for
 * the whole command: same device, inode and path): the old functions'
 * bytes are read from the library once, not once per process.
 * Return: as kpl_elf__read().
 */
int kpl_share__elf_read(const struct kpl_elf *ke, uint64_t vaddr, void *buf,
			size_t len);

/*
 * The directory lock.c keeps its lock files in, once checked (made,
 * owned and moded as it must be), for the rest of the command: true and
 * it in @dir when kept.
 */
bool kpl_share__lock_dir(char *dir, size_t len);
void kpl_share__keep_lock_dir(const char *dir);

/*
 * How many threads of this process patch processes at once: 1, plus the
 * extra workers of every fleet pool running (kpl_share__add_workers(),
 * +n when a pool of n + 1 starts, -n when it ends; two pools of a
 * program's may run at once).  A stop's waits poll only when it is 1
 * (ptrace.h, KPL_PT_SPIN_NS): the CPU a target last ran on may be
 * running another worker.
 */
void kpl_share__add_workers(int n);
int kpl_share__workers(void);

#endif
