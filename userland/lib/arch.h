/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The architecture interface: everything libkpl needs to know about an
 * instruction set lives behind these functions and constants, and no
 * file outside arch/ names a register, an instruction or a relocation
 * type (`make check-layers` greps for them).  x86-64 is arch/x86_64.h
 * (the constants) and arch/x86_64*.c; an aarch64 port adds
 * arch/aarch64.h and arch/aarch64*.c, and the engine does not change.
 * Pure functions over byte buffers: no process, no I/O, so they are
 * unit-tested as input bytes and expected bytes.
 */
#ifndef KPL_ARCH_H
#define KPL_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The constants of the one architecture this build is for. */
#if defined(__x86_64__)
#include "arch/x86_64.h"
#else
#error "libkpl has no arch/ files for this architecture"
#endif

/* Longest trampoline/jump any arch writes over a function entry. */
#define KPL_ARCH_JUMP_MAX 16
/* Longest PLT-style stub the loader emits for an out-of-reach call. */
#define KPL_ARCH_STUB_MAX 16

/*
 * Result of analysing an old function's entry.
 * @skip:     bytes at the entry left alone (the landing pad indirect
 *            branches need, when the function starts with one; else 0)
 * @patch_len: bytes overwritten starting at entry + skip (x86-64: 5)
 * @insn_len: bytes of whole instructions covering [skip, skip+patch_len),
 *            so patch_len <= insn_len (kept for the record: the bytes saved
 *            for revert are exactly patch_len)
 */
struct kpl_arch_prologue {
	size_t skip;
	size_t patch_len;
	size_t insn_len;
};

/*
 * kpl_arch_analyse() - check that a function can take a jump at its entry.
 * @code:  the function's bytes, @size of them (symbol size from the ELF)
 * @addr:  the address @code[0] lives at (used for branch targets)
 * @out:   written only on success
 * @why:   on failure, a static string naming the reason (may be NULL)
 *
 * Refuses (-KPL_E_PROLOGUE) a function too short for the jump, one whose
 * body branches back into the bytes that would be overwritten, and code
 * the disassembler cannot decode.  Only direct branches are followed: an
 * indirect jump, or a branch from another symbol (a foo.cold part), into
 * the overwritten bytes is not seen here.
 * Return: 0, -KPL_E_PROLOGUE, -EINVAL (NULL @code or @out), or -ENOMEM /
 * -ENOTSUP when the disassembler cannot start; *@why is set on every
 * failure.
 */
int kpl_arch_analyse(const uint8_t *code, size_t size, uint64_t addr,
		     struct kpl_arch_prologue *out, const char **why);

/*
 * kpl_arch_encode_jump() - encode an unconditional jump at @from to @to.
 * Writes *@len bytes (at most KPL_ARCH_JUMP_MAX) into @buf.
 * Return: 0, or -ERANGE when @to is out of reach of the short form.
 */
int kpl_arch_encode_jump(uint64_t from, uint64_t to, uint8_t *buf,
			 size_t *len);

/*
 * kpl_arch_encode_stub() - an indirect jump through a 64-bit slot, used as
 * a PLT entry for a call whose target is out of reach.  The stub lives at
 * @from, the slot holding the target address at @slot.  Writes *@len bytes
 * (at most KPL_ARCH_STUB_MAX) into @buf.
 * Return: 0, or -ERANGE when @slot is out of reach of @from.
 */
int kpl_arch_encode_stub(uint64_t from, uint64_t slot, uint8_t *buf,
			 size_t *len);

/* How a relocation's symbol must be reached. */
enum kpl_arch_reloc_kind {
	KPL_RELOC_DIRECT,	/* S + A (+ -P): needs S itself */
	KPL_RELOC_GOT,		/* needs a GOT slot holding S */
	KPL_RELOC_CALL,		/* PC-relative call/jump: may go via a stub */
	KPL_RELOC_TLS_GD,	/* needs a tls_index pair for the symbol */
	KPL_RELOC_TLS_LD,	/* needs the module's tls_index pair */
	KPL_RELOC_TLS_IE,	/* needs a GOT slot holding its TP offset */
	KPL_RELOC_TLS_OFF,	/* the symbol's offset in its TLS block */
};

/*
 * kpl_arch_reloc_kind() - classify relocation @type.
 * Return: 0 and *@kind, or -KPL_E_RELOC for a type we do not support.
 */
int kpl_arch_reloc_kind(uint32_t type, enum kpl_arch_reloc_kind *kind);

/*
 * kpl_arch_reloc_reaches() - can relocation @type at @P reach @S + @A
 * directly?  False when the field would overflow: a CALL kind then goes
 * through a stub (kpl_arch_encode_stub()).
 */
bool kpl_arch_reloc_reaches(uint32_t type, uint64_t P, uint64_t S,
			    int64_t A);

/*
 * kpl_arch_reloc_apply() - patch the bytes at @loc for relocation @type.
 * @P: address of @loc in the target, @S: symbol value (for GOT kinds, the
 * address of the GOT slot holding the symbol; for CALL kinds via a stub,
 * the stub address), @A: addend.  @room is the bytes available at @loc.
 * Checks the result fits the field; @loc is written only on success.
 * Return: 0, -KPL_E_RELOC (unsupported type, or the field is larger than
 * @room) or -ERANGE (the value overflows the field).
 */
int kpl_arch_reloc_apply(uint32_t type, uint8_t *loc, size_t room,
			 uint64_t P, uint64_t S, int64_t A);

/* Bytes of the field relocation @type writes: 0 for a "none" type or
 * an unknown one. */
size_t kpl_arch_reloc_size(uint32_t type);

/* Name of relocation @type for messages (its ELF name); never NULL. */
const char *kpl_arch_reloc_name(uint32_t type);

/* What a dynamic relocation of the target library tells the engine. */
enum kpl_arch_dynrel {
	KPL_DYNREL_OTHER,	/* nothing the engine reads */
	KPL_DYNREL_IMPORT,	/* a GOT slot ld.so binds to a symbol */
	KPL_DYNREL_TLS_MODID,	/* the module id of a TLS block */
	KPL_DYNREL_TLS_TPOFF,	/* a TLS offset from the thread pointer */
};

/*
 * kpl_arch_dynrel() - classify dynamic relocation @type of a shared
 * library (.rela.dyn, .rela.plt), as elfobj.c reads them to find the
 * library's imports and its own TLS slots.
 */
enum kpl_arch_dynrel kpl_arch_dynrel(uint32_t type);

/* One call instruction found by kpl_arch_calls(). */
struct kpl_arch_call {
	uint64_t off;		/* of the instruction, within the code */
	uint64_t len;		/* its length in bytes */
	bool indirect;		/* through a register or memory */
};

/*
 * kpl_arch_calls() - call @fn for each call instruction in @size bytes of
 * @code (a linear sweep; undecodable bytes are stepped over).  A call
 * whose operand a relocation fills (a call through a GOT slot) is reported
 * as indirect: the caller tells it apart by the relocation inside it.
 * Return: 0, the first non-zero value @fn returned, or -ENOMEM/-EINVAL.
 */
int kpl_arch_calls(const uint8_t *code, size_t size,
		   int (*fn)(const struct kpl_arch_call *call, void *arg),
		   void *arg);

/*
 * Comparing one function twice: as the linker placed it in a library
 * ("linked") and as the compiler put it in an object file ("object",
 * its relocations not yet applied).  kpl-build uses it to prove that
 * its recompile of a library (every function in a section of its own)
 * is the library, where the assembler that built the library shortened
 * jumps between functions of one section and so changed their sizes.
 */

/* A relocated field of the object's code. */
struct kpl_arch_field {
	uint64_t off;		/* of the field, from the code's first byte */
	uint32_t type;		/* its relocation type */
};

/*
 * What a relocated field's instruction reaches in the linked code, for
 * the caller to check against the relocation's symbol S and addend A:
 * the object's instruction reaches S + A + @adj, the linked one @where.
 */
struct kpl_arch_reach {
	size_t field;		/* index into kpl_arch_same_in.fields */
	uint64_t where;		/* a branch's target, an operand's address */
	int64_t adj;
	enum kpl_arch_reloc_kind kind;	/* as linked (the linker may have
					 * turned a GOT load into a direct
					 * address: then KPL_RELOC_DIRECT) */
	bool branch;		/* a jump or call: @where may be a PLT
				 * entry (kpl_arch_plt_slot()) */
};

struct kpl_arch_same_in {
	const uint8_t *linked;	/* the function as linked */
	size_t linked_size;
	uint64_t linked_addr;	/* where @linked[0] is in the library */
	const uint8_t *obj;	/* the same function in the object */
	size_t obj_size;
	const struct kpl_arch_field *fields;	/* sorted by off */
	size_t nr_fields;
	/* true when @r reaches what the field's relocation names */
	bool (*reaches)(void *arg, const struct kpl_arch_reach *r);
	void *arg;
};

/* Room for one instruction in a message: its text and its bytes. */
#define KPL_ARCH_INSN_TEXT 160

/* Where two codes differ first: offsets from each one's start. */
struct kpl_arch_mismatch {
	uint64_t linked_off, obj_off;
	char linked[KPL_ARCH_INSN_TEXT];	/* "jmp 0x10 (eb e4)", or
						 * "the end", or why */
	char obj[KPL_ARCH_INSN_TEXT];
};

/*
 * kpl_arch_same_code() - whether the two do the same, instruction by
 * instruction.  No-operation instructions are left out on both sides
 * (alignment padding changes with the code before it).  Every other
 * pair must be the same instruction with the same bytes, except:
 *  - a branch (jump, conditional jump, call) may take a shorter or
 *    longer form of itself, as long as its target is the same: inside
 *    the function, the instruction that pairs with the object's target;
 *    outside, through a relocated field, where in->reaches() agrees;
 *  - a field the object leaves for a relocation may hold anything
 *    linked, as long as in->reaches() agrees for it, and a load from
 *    the GOT may have become the address it loaded (the linker's
 *    relaxation of a symbol it binds locally);
 *  - an operand addressed relative to the program counter, inside the
 *    function, reaches the instruction that pairs.
 * Relocations of thread-local storage are not followed (the fields are
 * still left out of the byte comparison).
 * Return: 0 when the same, 1 when they differ (*@m says where, first
 * on the object's side: an instruction, "the end"), -EINVAL, -ENOMEM or
 * -ENOTSUP (no disassembler).  @m is written only when 1 is returned.
 */
int kpl_arch_same_code(const struct kpl_arch_same_in *in,
		       struct kpl_arch_mismatch *m);

/*
 * kpl_arch_plt_slot() - whether the @size bytes at @addr are an entry
 * of a procedure linkage table: one indirect jump through a slot of the
 * GOT (with the landing pad and prefix that branch tracking adds).
 * Return: true and *@slot (the slot's address), or false.
 */
bool kpl_arch_plt_slot(const uint8_t *code, size_t size, uint64_t addr,
		       uint64_t *slot);

/*
 * A stopped thread's user registers, opaque outside arch/: exactly the
 * bytes of the ptrace regset KPL_ARCH_NT_REGS (PTRACE_GETREGSET and
 * PTRACE_SETREGSET take and give it whole), which is also what the
 * module reports per thread.  Read and changed only through the
 * kpl_arch_regs_*() functions below.
 */
struct kpl_arch_regs {
	uint64_t w[KPL_ARCH_REGS_SIZE / 8];
};

/* The regset of struct kpl_arch_regs: NT_PRSTATUS on every Linux arch. */
#define KPL_ARCH_NT_REGS 1

/*
 * A regset holding FPU state, as the signal frame needs it, and the
 * most bytes it may hold.  kpl_arch_fpu_regsets[] lists them best
 * first, ending with { 0, 0 }: the first the kernel gives is used.
 */
struct kpl_arch_regset {
	unsigned int nt;
	size_t max;
};
extern const struct kpl_arch_regset kpl_arch_fpu_regsets[];

/* The program counter, stack pointer and frame pointer in @regs. */
uint64_t kpl_arch_regs_pc(const struct kpl_arch_regs *regs);
uint64_t kpl_arch_regs_sp(const struct kpl_arch_regs *regs);
uint64_t kpl_arch_regs_fp(const struct kpl_arch_regs *regs);

/*
 * kpl_arch_regs_at_caller() - @regs, of a thread about to run the first
 * instruction of a function, changed to what they are once the function
 * returns: pc at the return address, the stack as the caller had it.
 * Where the call left the return address (x86-64: on the stack, at sp)
 * is read with @read, which returns 0 or a negative errno.
 * Return: 0, -EINVAL, or @read's error; @regs changed only on success.
 */
int kpl_arch_regs_at_caller(struct kpl_arch_regs *regs,
			    int (*read)(void *arg, uint64_t addr, void *buf,
					size_t len),
			    void *arg);

/* True when @regs stopped in a syscall that the kernel will restart. */
bool kpl_arch_regs_restarting(const struct kpl_arch_regs *regs);
/* True when that restart goes through the thread's restart block (a
 * sleep with a timeout: restart_syscall), which rt_sigreturn resets. */
bool kpl_arch_regs_restart_block(const struct kpl_arch_regs *regs);

/* The system call @regs stopped in (its number), or -1: none. */
long kpl_arch_regs_syscall(const struct kpl_arch_regs *regs);

/*
 * True when a thread asleep in system call @nr (the number
 * /proc/PID/task/TID/syscall gives) goes back to sleep by itself after a
 * ptrace stop, the kernel restarting the call (ERESTARTSYS, ERESTARTNOHAND
 * with no handler, ERESTART_RESTARTBLOCK): waiting on a futex, sleeping,
 * polling, waiting for a child.  Not epoll_wait(), which returns EINTR
 * to the program, nor read(), recv*() or accept(), which do on a socket
 * with a receive timeout.
 */
bool kpl_arch_sleep_restarts(long nr);

/*
 * kpl_arch_dwarf_regs() - @regs as the DWARF register file an unwinder
 * starts from (libdw's dwfl_thread_state_registers(), first register
 * 0): KPL_ARCH_DWARF_REGS values.  The pc is not among them on every
 * arch: the unwinder takes it from kpl_arch_regs_pc().
 */
void kpl_arch_dwarf_regs(const struct kpl_arch_regs *regs, uint64_t *dw);

/*
 * The thread pointer and static TLS: kpl_arch_tls_static() says whether
 * @off, a variable's offset from the thread pointer that the dynamic
 * linker stored (a TPOFF dynamic relocation), lies where this arch puts
 * static TLS, within @span bytes of the thread pointer.  x86-64 uses
 * TLS variant II: the blocks lie below the thread pointer.
 */
bool kpl_arch_tls_static(int64_t off, int64_t span);
/* Where that is, for messages: "below the thread pointer". */
extern const char kpl_arch_tls_where[];

/*
 * Running a system call in a stopped thread of the target
 * (arch/x86_64_inject.c).
 */

/* Code the injection needs in the target's own text. */
struct kpl_arch_gadgets {
	uint64_t syscall_ret;	/* a system call, then a return */
	uint64_t sigreturn;	/* the C library's rt_sigreturn trampoline */
};

/*
 * kpl_arch_find_gadgets() - look for the gadgets in @len bytes of code
 * at @addr, filling only those @g still lacks.  Scan windows must
 * overlap by kpl_arch_gadget_overlap() bytes.
 * Return: 0 when @g is complete, -ENOENT while something is missing.
 */
int kpl_arch_find_gadgets(const uint8_t *buf, size_t len, uint64_t addr,
			  struct kpl_arch_gadgets *g);
size_t kpl_arch_gadget_overlap(void);
/* A gadget @g lacks, named for messages (never NULL). */
const char *kpl_arch_gadget_missing(const struct kpl_arch_gadgets *g);

/* What the insurance frame is built from. */
struct kpl_arch_frame_in {
	const struct kpl_arch_regs *regs;	/* the thread's own */
	uint64_t sigmask;	/* its blocked signals (PTRACE_GETSIGMASK) */
	const uint8_t *fpstate;	/* its FPU state, as a kpl_arch_fpu_regsets[]
				 * regset gave it */
	size_t fpstate_len;
	uint64_t sigreturn;	/* kpl_arch_gadgets.sigreturn */
	size_t below;		/* bytes to leave alone below the red
				 * zone (where the ABI has one) */
};

/* Bytes kpl_arch_build_frame() needs for @fpstate_len bytes of FPU state. */
size_t kpl_arch_frame_size(size_t fpstate_len);

/*
 * kpl_arch_build_frame() - the frame that puts the thread back exactly as
 * it was if it runs on by itself: a return slot holding the sigreturn
 * trampoline, then an rt_sigframe holding @in's registers (with any
 * pending syscall restart applied), mask and FPU state.  It goes at
 * *@frame_at (below the stack pointer, the red zone if the ABI has one,
 * and @in->below bytes),
 * which is also the stack pointer to inject with.
 * Return: bytes written to @buf, or -EINVAL / -ERANGE.
 */
int kpl_arch_build_frame(const struct kpl_arch_frame_in *in, uint8_t *buf,
			 size_t len, uint64_t *frame_at);

/* Where, in the target, the frame kpl_arch_build_frame() put at
 * @frame_at keeps the FPU state. */
uint64_t kpl_arch_frame_fpstate(uint64_t frame_at);

/*
 * kpl_arch_build_step_frame() - a frame whose context is @regs exactly
 * (e.g. kpl_arch_syscall_regs() output) and which returns into
 * @sigreturn: a thread returning into it runs that one step, then
 * whatever @regs' stack leads to.  Its FPU state is the one at @fpstate
 * in the target (kpl_arch_frame_fpstate() of a frame already written),
 * or with @fpstate 0 none: the thread's FPU is then reset.
 * Return: bytes written (kpl_arch_step_frame_size()), or -EINVAL.
 */
size_t kpl_arch_step_frame_size(void);
int kpl_arch_build_step_frame(const struct kpl_arch_regs *regs,
			      uint64_t sigmask, uint64_t sigreturn,
			      uint64_t fpstate, uint8_t *buf, size_t len);

/*
 * kpl_arch_syscall_regs() - @regs changed to run syscall @nr(@args) at
 * @pc (a syscall_ret gadget) with stack pointer @sp, no trap flag and no
 * syscall restart, into @out.
 */
void kpl_arch_syscall_regs(const struct kpl_arch_regs *regs,
			   struct kpl_arch_regs *out, uint64_t pc, uint64_t sp,
			   long nr, const uint64_t args[6]);

/*
 * A function called in a borrowed thread (the patch's unwind table
 * registered with the target's libgcc) returns into a mark stub that
 * the loader puts in the patch's own text: it sets the byte whose
 * address the call left in a callee-saved register, then returns into
 * the insurance frame.  So the byte says the call returned, whoever
 * watches (kpl, or a later kpl after this one died), and while the call
 * runs its thread's stack holds a return address into the patch's text,
 * which keeps the mapping from being unmapped.
 */
#define KPL_ARCH_MARK_STUB_LEN 4
/* The stub's bytes into @buf (KPL_ARCH_MARK_STUB_LEN of them). */
void kpl_arch_mark_stub(uint8_t *buf);

/*
 * kpl_arch_call_regs() - @regs changed to call @fn(@args[0..5]) with
 * stack pointer @sp (where the return address is: 8 bytes past a 16-byte
 * boundary, as the ABI wants at a call's entry), @mark in the register
 * the mark stub writes through, no trap flag, the direction flag clear
 * and no syscall restart, into @out.  Return: 0, or -EINVAL when @sp is
 * not aligned so.
 */
int kpl_arch_call_regs(const struct kpl_arch_regs *regs,
		       struct kpl_arch_regs *out, uint64_t fn, uint64_t sp,
		       const uint64_t args[6], uint64_t mark);

/* Bytes of the syscall instruction (the pc after it, at syscall stops). */
uint64_t kpl_arch_syscall_len(void);

#endif
