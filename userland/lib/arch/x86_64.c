// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * x86-64 behind the arch interface: entry analysis with capstone, jump and
 * stub encoding, and the relocation types a -fPIC patch object uses.
 *
 * Capstone stays in this file (STYLE: third-party headers only in their
 * adapter).  Each kpl_arch_analyse() call opens and closes its own handle:
 * a capstone handle must not be shared between threads, while cs_open()
 * itself is safe to call concurrently since 4.0 (its arch tables are
 * static data, capstone PR #1171).  Analysis runs before any thread is
 * stopped, so the cost of cs_open() does not show in the pause.
 */
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <capstone/capstone.h>

#include "arch.h"
#include "internal.h"

#define X86_ENDBR64_LEN 4
#define X86_JMP_REL32_LEN 5	/* e9 rel32 */
#define X86_JMP_RIP_LEN 6	/* ff 25 rel32: jmp *rel32(%rip) */

static const uint8_t x86_endbr64[X86_ENDBR64_LEN] = { 0xf3, 0x0f, 0x1e, 0xfa };

/*
 * Capstone's other architectures, stubbed out.  Capstone 4's cs.c names
 * every architecture's <Arch>_global_init and <Arch>_option, so a static
 * link pulls all of them in, and their tables hold ~75,000 pointers that
 * the dynamic loader relocates at every start of a PIE kpl (0.5 ms and
 * more, the largest part of a `kpl --help`).  Defining these symbols here,
 * in the one object the executables always pull from libkpl.a, keeps the
 * linker from taking the real ones out of libcapstone.a: cs_open() for
 * those architectures then fails with CS_ERR_ARCH, and x86 is untouched.
 * Hidden, so a dynamically linked libcapstone never sees them.  When a
 * capstone release renames one, the real one comes back (no error: the
 * link is only bigger and slower); `make bench` shows it in the exec floor.
 */
#define X86_CS_STUB(arch)                                             \
	__attribute__((visibility("hidden"))) int arch##_global_init( \
		void *ud);                                            \
	int arch##_global_init(void *ud)                              \
	{                                                             \
		(void)ud;                                             \
		return CS_ERR_ARCH;                                   \
	}                                                             \
	__attribute__((visibility("hidden"))) int arch##_option(      \
		void *handle, int type, size_t value);                \
	int arch##_option(void *handle, int type, size_t value)       \
	{                                                             \
		(void)handle;                                         \
		(void)type;                                           \
		(void)value;                                          \
		return CS_ERR_ARCH;                                   \
	}
X86_CS_STUB(AArch64)
X86_CS_STUB(ARM)
X86_CS_STUB(EVM)
X86_CS_STUB(M680X)
X86_CS_STUB(M68K)
X86_CS_STUB(Mips)
X86_CS_STUB(PPC)
X86_CS_STUB(Sparc)
X86_CS_STUB(SystemZ)
X86_CS_STUB(TMS320C64x)
X86_CS_STUB(XCore)

/*
 * The calling thread's capstone handle, opened on first use and kept
 * until the thread exits: capstone builds a table of its instruction ids
 * on a handle's first instruction, about 80,000 instructions of work,
 * and an apply of one function opened a dozen handles (callgrind: 0.95
 * of its 6.2 M instructions).  One per thread, since a handle is not to
 * be used by two at once (the fleet's workers).  Callers do not close it.
 */
static pthread_key_t x86_cs_key;
static pthread_once_t x86_cs_once = PTHREAD_ONCE_INIT;
static bool x86_cs_keyed;
static __thread csh x86_cs;

static void x86_cs_drop(void *h)
{
	csh cs = (csh)(uintptr_t)h;

	/* Not kept any more: a destructor of the program's that runs after
	 * this one and disassembles opens (and keys) a new one. */
	if (x86_cs == cs)
		x86_cs = 0;
	cs_close(&cs);
}

static void x86_cs_key_make(void)
{
	x86_cs_keyed = !pthread_key_create(&x86_cs_key, x86_cs_drop);
}

static int x86_open(csh *cs)
{
	cs_err cerr;

	if (x86_cs) {
		*cs = x86_cs;
		return 0;
	}
	pthread_once(&x86_cs_once, x86_cs_key_make);
	cerr = cs_open(CS_ARCH_X86, CS_MODE_64, cs);
	if (cerr != CS_ERR_OK) {
		pr_warn("arch: failed to open capstone for x86-64: %s\n",
			cs_strerror(cerr));
		return cerr == CS_ERR_MEM ? -ENOMEM : -ENOTSUP;
	}
	/* Operand details give us the absolute target of each branch. */
	cerr = cs_option(*cs, CS_OPT_DETAIL, CS_OPT_ON);
	if (cerr != CS_ERR_OK) {
		pr_warn("arch: failed to enable capstone details: %s\n",
			cs_strerror(cerr));
		cs_close(cs);
		return -ENOTSUP;
	}
	/* Kept only if it can be closed at the thread's exit. */
	if (x86_cs_keyed &&
	    !pthread_setspecific(x86_cs_key, (void *)(uintptr_t)*cs))
		x86_cs = *cs;
	return 0;
}

/* Done with a handle from x86_open(): closed unless it is kept. */
static void x86_close(csh *cs)
{
	if (*cs != x86_cs)
		cs_close(cs);
}

/*
 * Whether @insn transfers control to an immediate target inside (@lo, @hi):
 * jmp, jcc, call, loop*, jrcxz and xbegin (whose abort handler is a branch
 * target too).  Indirect branches (jump tables, function pointers) cannot
 * be followed here; GCC does not point them at a function's first bytes.
 */
static bool x86_branches_into(csh cs, const cs_insn *insn, uint64_t lo,
			      uint64_t hi, uint64_t *target)
{
	const cs_x86 *x86 = &insn->detail->x86;
	uint8_t i;

	/* capstone 4 puts loop* only in BRANCH_RELATIVE, not in JUMP. */
	if (!cs_insn_group(cs, insn, CS_GRP_JUMP) &&
	    !cs_insn_group(cs, insn, CS_GRP_CALL) &&
	    !cs_insn_group(cs, insn, CS_GRP_BRANCH_RELATIVE))
		return false;

	for (i = 0; i < x86->op_count; i++) {
		uint64_t t;

		if (x86->operands[i].type != X86_OP_IMM)
			continue;
		t = (uint64_t)x86->operands[i].imm;
		if (t > lo && t < hi) {
			*target = t;
			return true;
		}
	}
	return false;
}

/*
 * One linear sweep over [skip, size).  The instructions starting inside the
 * window must all decode, since their lengths give insn_len.  Beyond the
 * window an undecodable byte is stepped over: padding, data or an opcode
 * newer than capstone 4 should not make a function unpatchable.  The sweep
 * resynchronises within a few instructions; until then it may see a branch
 * that is not there (a needless refusal) or, rarely, miss one.
 */
int kpl_arch_analyse(const uint8_t *code, size_t size, uint64_t addr,
		     struct kpl_arch_prologue *out, const char **why)
{
	struct kpl_arch_prologue p = { .patch_len = X86_JMP_REL32_LEN };
	const char *reason = NULL;
	const uint8_t *pc;
	cs_insn *insn = NULL;
	uint64_t ip, lo, hi, target;
	size_t left, win_end;
	csh cs = 0;
	bool cs_opened = false;
	int err;

	if (!code || !out) {
		reason = "invalid arguments";
		err = -EINVAL;
		goto out;
	}

	/* endbr64 stays: an indirect call under IBT must land on it. */
	if (size >= X86_ENDBR64_LEN &&
	    !memcmp(code, x86_endbr64, X86_ENDBR64_LEN))
		p.skip = X86_ENDBR64_LEN;
	win_end = p.skip + p.patch_len;
	if (size < win_end) {
		reason = "function too short for a 5-byte jump";
		err = -KPL_E_PROLOGUE;
		goto out;
	}

	err = x86_open(&cs);
	if (err) {
		reason = "cannot start the disassembler";
		goto out;
	}
	cs_opened = true;
	insn = cs_malloc(cs);
	if (!insn) {
		reason = "out of memory";
		err = -ENOMEM;
		goto out;
	}

	/*
	 * A branch to addr + skip lands on our jmp and is fine; one to any
	 * later byte of the jmp would execute the middle of it.
	 */
	lo = addr + p.skip;
	hi = addr + win_end;
	pc = code + p.skip;
	left = size - p.skip;
	ip = lo;
	while (left) {
		size_t off = (size_t)(pc - code);

		if (!cs_disasm_iter(cs, &pc, &left, &ip, insn)) {
			if (off < win_end) {
				reason = "cannot decode the instructions the jump overwrites";
				err = -KPL_E_PROLOGUE;
				goto out;
			}
			pr_debug("arch: cannot decode byte 0x%02x at 0x%llx, skipping it\n",
				 *pc, (unsigned long long)ip);
			pc++;
			left--;
			ip++;
			continue;
		}
		if (off < win_end)
			p.insn_len = off + insn->size - p.skip;
		if (x86_branches_into(cs, insn, lo, hi, &target)) {
			pr_debug("arch: %s at 0x%llx targets 0x%llx inside the jump at 0x%llx\n",
				 insn->mnemonic, (unsigned long long)insn->address,
				 (unsigned long long)target, (unsigned long long)lo);
			reason = "a branch in the function targets the bytes the jump overwrites";
			err = -KPL_E_PROLOGUE;
			goto out;
		}
	}

	*out = p;
	err = 0;
out:
	if (insn)
		cs_free(insn, 1);
	if (cs_opened)
		x86_close(&cs);
	if (err && why)
		*why = reason;
	return err;
}

int kpl_arch_calls(const uint8_t *code, size_t size,
		   int (*fn)(const struct kpl_arch_call *call, void *arg),
		   void *arg)
{
	const uint8_t *pc = code;
	size_t left = size;
	uint64_t ip = 0;
	cs_insn *insn;
	csh cs = 0;
	int err;

	if ((!code && size) || !fn)
		return -EINVAL;
	err = x86_open(&cs);
	if (err)
		return err;
	insn = cs_malloc(cs);
	if (!insn) {
		x86_close(&cs);
		return -ENOMEM;
	}
	while (left && !err) {
		const cs_x86 *x86;
		struct kpl_arch_call c;

		if (!cs_disasm_iter(cs, &pc, &left, &ip, insn)) {
			pc++;
			left--;
			ip++;
			continue;
		}
		if (insn->id != X86_INS_CALL)
			continue;
		x86 = &insn->detail->x86;
		c.off = insn->address;
		c.len = insn->size;
		c.indirect = !(x86->op_count == 1 &&
			       x86->operands[0].type == X86_OP_IMM);
		err = fn(&c, arg);
	}
	cs_free(insn, 1);
	x86_close(&cs);
	return err;
}

/* rel32 from the end of an instruction at @from, @len bytes long, to @to. */
static int x86_rel32(uint64_t from, size_t len, uint64_t to, int32_t *rel)
{
	/* Modulo 2^64, as the CPU adds it to RIP. */
	int64_t d = (int64_t)(to - (from + len));

	if (d < INT32_MIN || d > INT32_MAX)
		return -ERANGE;
	*rel = (int32_t)d;
	return 0;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	memcpy(p, b, sizeof(b));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

int kpl_arch_encode_jump(uint64_t from, uint64_t to, uint8_t *buf,
			 size_t *len)
{
	int32_t rel;
	int err;

	err = x86_rel32(from, X86_JMP_REL32_LEN, to, &rel);
	if (err)
		return err;
	buf[0] = 0xe9;
	put_le32(buf + 1, (uint32_t)rel);
	*len = X86_JMP_REL32_LEN;
	return 0;
}

int kpl_arch_encode_stub(uint64_t from, uint64_t slot, uint8_t *buf,
			 size_t *len)
{
	int32_t rel;
	int err;

	err = x86_rel32(from, X86_JMP_RIP_LEN, slot, &rel);
	if (err)
		return err;
	buf[0] = 0xff;
	buf[1] = 0x25;
	put_le32(buf + 2, (uint32_t)rel);
	*len = X86_JMP_RIP_LEN;
	return 0;
}

/*
 * How each supported type is computed and checked.  Values are computed
 * modulo 2^64, as the CPU and ld do, then range-checked for the field.
 */
enum x86_reloc_calc {
	X86_CALC_NONE,
	X86_CALC_ABS,		/* S + A */
	X86_CALC_PCREL,		/* S + A - P */
};

enum x86_reloc_check {
	X86_CHECK_NONE,		/* full 64-bit field */
	X86_CHECK_S32,		/* sign-extended 32-bit field */
	X86_CHECK_U32,		/* zero-extended 32-bit field */
};

struct x86_reloc {
	const char *name;
	bool supported;
	uint8_t size;
	enum x86_reloc_calc calc;
	enum x86_reloc_check check;
	enum kpl_arch_reloc_kind kind;
};

#define X86_RELOC(t, sz, c, chk, k)					\
	[t] = { .name = #t, .supported = true, .size = (sz),		\
		.calc = X86_CALC_##c, .check = X86_CHECK_##chk,		\
		.kind = KPL_RELOC_##k }
/* Named so messages can say which unsupported type a patch used. */
#define X86_RELOC_NAME(t) [t] = { .name = #t }

static const struct x86_reloc x86_relocs[R_X86_64_NUM] = {
	X86_RELOC(R_X86_64_NONE, 0, NONE, NONE, DIRECT),
	X86_RELOC(R_X86_64_64, 8, ABS, NONE, DIRECT),
	X86_RELOC(R_X86_64_PC32, 4, PCREL, S32, DIRECT),
	X86_RELOC(R_X86_64_PLT32, 4, PCREL, S32, CALL),
	X86_RELOC(R_X86_64_GOTPCREL, 4, PCREL, S32, GOT),
	X86_RELOC(R_X86_64_32, 4, ABS, U32, DIRECT),
	X86_RELOC(R_X86_64_32S, 4, ABS, S32, DIRECT),
	X86_RELOC(R_X86_64_PC64, 8, PCREL, NONE, DIRECT),
	/* Left unrelaxed: the GOT slot always exists, so the load works. */
	X86_RELOC(R_X86_64_GOTPCRELX, 4, PCREL, S32, GOT),
	X86_RELOC(R_X86_64_REX_GOTPCRELX, 4, PCREL, S32, GOT),
	/* Thread-local storage: S is the tls_index pair or the GOT slot
	 * the loader made, or for DTPOFF the offset in the TLS block. */
	X86_RELOC(R_X86_64_TLSGD, 4, PCREL, S32, TLS_GD),
	X86_RELOC(R_X86_64_TLSLD, 4, PCREL, S32, TLS_LD),
	X86_RELOC(R_X86_64_DTPOFF32, 4, ABS, S32, TLS_OFF),
	X86_RELOC(R_X86_64_DTPOFF64, 8, ABS, NONE, TLS_OFF),
	X86_RELOC(R_X86_64_GOTTPOFF, 4, PCREL, S32, TLS_IE),

	X86_RELOC_NAME(R_X86_64_GOT32),
	X86_RELOC_NAME(R_X86_64_COPY),
	X86_RELOC_NAME(R_X86_64_GLOB_DAT),
	X86_RELOC_NAME(R_X86_64_JUMP_SLOT),
	X86_RELOC_NAME(R_X86_64_RELATIVE),
	X86_RELOC_NAME(R_X86_64_16),
	X86_RELOC_NAME(R_X86_64_PC16),
	X86_RELOC_NAME(R_X86_64_8),
	X86_RELOC_NAME(R_X86_64_PC8),
	X86_RELOC_NAME(R_X86_64_DTPMOD64),
	X86_RELOC_NAME(R_X86_64_TPOFF64),
	X86_RELOC_NAME(R_X86_64_TPOFF32),
	X86_RELOC_NAME(R_X86_64_GOTOFF64),
	X86_RELOC_NAME(R_X86_64_GOTPC32),
	X86_RELOC_NAME(R_X86_64_GOT64),
	X86_RELOC_NAME(R_X86_64_GOTPCREL64),
	X86_RELOC_NAME(R_X86_64_GOTPC64),
	X86_RELOC_NAME(R_X86_64_GOTPLT64),
	X86_RELOC_NAME(R_X86_64_PLTOFF64),
	X86_RELOC_NAME(R_X86_64_SIZE32),
	X86_RELOC_NAME(R_X86_64_SIZE64),
	X86_RELOC_NAME(R_X86_64_GOTPC32_TLSDESC),
	X86_RELOC_NAME(R_X86_64_TLSDESC_CALL),
	X86_RELOC_NAME(R_X86_64_TLSDESC),
	X86_RELOC_NAME(R_X86_64_IRELATIVE),
	X86_RELOC_NAME(R_X86_64_RELATIVE64),
};

/* The entry for a supported @type, or NULL. */
static const struct x86_reloc *x86_reloc_get(uint32_t type)
{
	if (type >= KPL_ARRAY_SIZE(x86_relocs) || !x86_relocs[type].supported)
		return NULL;
	return &x86_relocs[type];
}

int kpl_arch_reloc_kind(uint32_t type, enum kpl_arch_reloc_kind *kind)
{
	const struct x86_reloc *r = x86_reloc_get(type);

	if (!r)
		return -KPL_E_RELOC;
	*kind = r->kind;
	return 0;
}

size_t kpl_arch_reloc_size(uint32_t type)
{
	const struct x86_reloc *r = x86_reloc_get(type);

	return r ? r->size : 0;
}

const char *kpl_arch_reloc_name(uint32_t type)
{
	if (type < KPL_ARRAY_SIZE(x86_relocs) && x86_relocs[type].name)
		return x86_relocs[type].name;
	return "R_X86_64_<unknown>";
}

_Static_assert(KPL_ARCH_ELF_MACHINE == EM_X86_64, "arch.h's machine");

enum kpl_arch_dynrel kpl_arch_dynrel(uint32_t type)
{
	switch (type) {
	case R_X86_64_GLOB_DAT:
	case R_X86_64_JUMP_SLOT:
		return KPL_DYNREL_IMPORT;
	case R_X86_64_DTPMOD64:
		return KPL_DYNREL_TLS_MODID;
	case R_X86_64_TPOFF64:
		return KPL_DYNREL_TLS_TPOFF;
	}
	return KPL_DYNREL_OTHER;
}

/* The field's range, as kpl_arch_reloc_apply() checks it. */
static bool x86_reloc_fits(const struct x86_reloc *r, uint64_t v)
{
	switch (r->check) {
	case X86_CHECK_S32:
		return (int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX;
	case X86_CHECK_U32:
		return v <= UINT32_MAX;
	case X86_CHECK_NONE:
		break;
	}
	return true;
}

/* S + A, less P for a PC-relative type. */
static uint64_t x86_reloc_value(const struct x86_reloc *r, uint64_t P,
				uint64_t S, int64_t A)
{
	uint64_t v = S + (uint64_t)A;

	if (r->calc == X86_CALC_PCREL)
		v -= P;
	return v;
}

bool kpl_arch_reloc_reaches(uint32_t type, uint64_t P, uint64_t S,
			    int64_t A)
{
	const struct x86_reloc *r = x86_reloc_get(type);

	return r && x86_reloc_fits(r, x86_reloc_value(r, P, S, A));
}

int kpl_arch_reloc_apply(uint32_t type, uint8_t *loc, size_t room,
			 uint64_t P, uint64_t S, int64_t A)
{
	const struct x86_reloc *r = x86_reloc_get(type);
	uint64_t v;

	if (!r)
		return -KPL_E_RELOC;
	if (r->calc == X86_CALC_NONE)
		return 0;
	if (room < r->size)
		return -KPL_E_RELOC;

	v = x86_reloc_value(r, P, S, A);
	if (!x86_reloc_fits(r, v))
		return -ERANGE;

	if (r->size == 8)
		put_le64(loc, v);
	else
		put_le32(loc, (uint32_t)v);
	return 0;
}
