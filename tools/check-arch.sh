#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# check-arch.sh DIR: fail if a C file under DIR, outside DIR/arch/, names
# an x86-64 register, register set, relocation type or instruction byte.
# libkpl reaches every instruction-set fact through arch.h, so that a
# second architecture adds files under arch/ and edits no engine file
# (docs/design.md, "A second architecture").  Comments count too: a
# comment that needs an x86 name belongs beside the arch code it explains.
# Run by `make check-layers` on userland/lib, after a run on a probe tree
# that proves it catches a name.
set -u
dir=${1:?usage: check-arch.sh DIR}
[ -d "$dir" ] || { echo "check-arch: no directory $dir" >&2; exit 2; }

# Registers (struct fields and the module's slots), ptrace's x86 register
# requests and regsets, relocation types and the ELF machine, the
# syscall instruction (0f 05), int3 (cc), endbr64, and AT&T operands.
names='user_regs_struct|sys/user\.h|NT_X86_|PTRACE_(GET|SET)(FP)?REGS([^E]|$)'
names="$names"'|R_X86_64_|EM_X86_64|KPL_REG_[A-Z]'
names="$names"'|\b(rip|rsp|rbp|rax|orig_rax|eflags|fs_base)\b'
names="$names"'|0x0f, *0x05|\\x0f\\x05|0xcc|\bint3\b|endbr|%fs|%rip'

hits=$(find "$dir" -path "$dir/arch" -prune -o \
	\( -name '*.c' -o -name '*.h' \) -type f -print | sort |
	xargs -r grep -nHE "$names")
if [ -n "$hits" ]; then
	printf '%s\n' "$hits" | sed 's/^/check-arch: x86 name outside arch\/: /'
	exit 1
fi
exit 0
