#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""List the functions whose code differs between two builds' objects.

usage: fn-diff.py OLD_OBJ_DIR NEW_OBJ_DIR [--expect FN...]

Objects must be built with -ffunction-sections.  A function is its
.text.<name> section in <file>.o; it differs when its bytes or its
relocations (offset, type, symbol name, addend) differ, or when it exists
in only one build.  This is the comparison a per-function patch builder
makes; with --expect, exit 1 unless exactly FN... changed.
"""
import os
import struct
import sys


def sections(path):
    data = open(path, 'rb').read()
    if data[:4] != b'\x7fELF' or data[4] != 2:
        raise SystemExit(f'fn-diff: {path}: not an ELF64 object')
    shoff, = struct.unpack_from('<Q', data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3a)
    hdrs = [struct.unpack_from('<IIQQQQIIQQ', data, shoff + i * shentsize)
            for i in range(shnum)]
    shstr = hdrs[shstrndx]

    def name(off, strtab):
        s = strtab[4]
        end = data.index(b'\0', s + off)
        return data[s + off:end].decode()

    names = [name(h[0], shstr) for h in hdrs]
    symtab = next(h for h in hdrs if h[1] == 2)
    strtab = hdrs[symtab[6]]
    syms = []
    for i in range(symtab[5] // 24):
        st_name, info, other, shndx, value, size = struct.unpack_from(
            '<IBBHQQ', data, symtab[4] + i * 24)
        n = name(st_name, strtab) if st_name else ''
        if not n and info & 0xf == 3:  # section symbol
            n = names[shndx]
        syms.append(n)
    funcs = {}
    for i, h in enumerate(hdrs):
        if h[1] == 1 and names[i].startswith('.text.'):
            funcs[i] = [data[h[4]:h[4] + h[5]], []]
    for h in hdrs:
        if h[1] == 4 and h[7] in funcs:  # SHT_RELA for a .text.* section
            for j in range(h[5] // 24):
                off, info, addend = struct.unpack_from(
                    '<QQq', data, h[4] + j * 24)
                funcs[h[7]][1].append(
                    (off, info & 0xffffffff, syms[info >> 32], addend))
    return {names[i][len('.text.'):]: (b, tuple(r))
            for i, (b, r) in funcs.items()}


def build(d):
    out = {}
    for f in sorted(os.listdir(d)):
        if f.endswith('.o'):
            for fn, v in sections(os.path.join(d, f)).items():
                out[f'{f[:-2]}.c:{fn}'] = v
    return out


def main():
    args = sys.argv[1:]
    expect = None
    if '--expect' in args:
        i = args.index('--expect')
        expect = set(args[i + 1:])
        args = args[:i]
    if len(args) != 2:
        raise SystemExit(__doc__.split('\n\n')[1])
    old, new = build(args[0]), build(args[1])
    changed = sorted(k for k in old.keys() | new.keys()
                     if old.get(k) != new.get(k))
    names = {k.split(':', 1)[1] for k in changed}
    print('changed functions: ' + (' '.join(changed) or 'none'))
    if expect is not None and names != expect:
        print('fn-diff: expected exactly: ' + ' '.join(sorted(expect)),
              file=sys.stderr)
        return 1
    return 0


sys.exit(main())
