#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Who includes and calls whom, per component, and the circles.

usage: tools/callgraph.py [--quiet] [--allow DIR:A.c,B.c ...] DIR...

Each DIR is a component (its .c and .h files, subdirectories included;
BPF programs and Kbuild's generated files left out).  For every .c file
the script lists the component's headers it includes and the other .c
files whose functions it calls or takes the address of, then the
circles: groups of files that reach each other through calls (file A
calls B and B calls A, or A calls B calls C calls A).  docs/design.md
says why a file that A calls must not call back into A.

It reads the source as text: comments, strings and preprocessor lines
are dropped, a function is a name followed by a parameter list and a
body at the top level, and a call is a name followed by "(" (or a bare
name, for a function's address) in a body or an initializer.  A file's
own functions, static or not, shadow the other files' ones.  Good
enough for kernel-style C; it does not expand macros.

Exit status: 1 when a circle is found that no --allow names (the files
of a circle, in any order), 2 on bad usage, else 0.  `make
check-layers` runs it on every component.
"""
import os
import re
import sys

IDENT = re.compile(r"[A-Za-z_]\w*")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "do",
            "else", "case", "goto", "typeof", "__typeof__", "defined",
            "_Static_assert", "static_assert", "offsetof", "alignof"}


def strip(text):
    """Drop comments, string and character literals, preprocessor lines."""
    out = []
    i, n = 0, len(text)
    bol = True
    while i < n:
        c = text[i]
        if bol and c == "#":
            # A directive, with its continuation lines.
            while i < n and text[i] != "\n":
                i += 2 if text[i] == "\\" else 1
            continue
        if c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j) or " ")
            i = j
            continue
        if c == "/" and text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
            bol = False
            continue
        out.append(c)
        if c == "\n":
            bol = True
        elif not c.isspace():
            bol = False
        i += 1
    return "".join(out)


def parse(path):
    """Return (defined functions: name -> static?, names used)."""
    text = strip(open(path, encoding="utf-8", errors="replace").read())
    defs, used = {}, set()
    depth, stmt, body = 0, [], []
    for tok in re.finditer(r"[A-Za-z_]\w*|[{}();=,]|\S", text):
        t = tok.group(0)
        if depth == 0:
            if t == "{":
                head = "".join(" " + x for x in stmt)
                m = re.search(r"(\w+)\s*\(([^()]|\([^()]*\))*\)[\s\w]*$",
                              head)
                if m and "=" not in head and m.group(1) not in KEYWORDS:
                    defs[m.group(1)] = "static" in stmt[:4]
                    body = stmt[:0]
                else:
                    # A struct, union, enum or initializer: its names
                    # (a command table's functions) are uses.
                    body = list(stmt)
                depth = 1
                stmt = []
                continue
            if t == ";":
                # A declaration; an initializer's names are uses.
                if "=" in stmt:
                    used.update(x for x in stmt[stmt.index("="):]
                                if IDENT.fullmatch(x))
                stmt = []
                continue
            stmt.append(t)
            continue
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
            if depth == 0:
                used.update(x for x in body if IDENT.fullmatch(x))
                body, stmt = [], []
                continue
        body.append(t)
    return defs, used


def component(root):
    files = []
    for d, _, names in os.walk(root):
        for f in names:
            if f.endswith((".c", ".h")) and not f.endswith(
                    (".bpf.c", ".mod.c")):
                files.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(files)


def resolve(root, src, inc, files):
    for cand in (os.path.join(os.path.dirname(src), inc), inc):
        cand = os.path.normpath(cand)
        if cand in files:
            return cand
    return None


def circles(nodes, edges):
    """Strongly connected groups of more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            visit(v)
    return sorted(out)


def report(root, allow, quiet):
    files = component(root)
    fileset = set(files)
    srcs = [f for f in files if f.endswith(".c")]
    parsed = {f: parse(os.path.join(root, f)) for f in srcs}
    owner = {}
    for f in srcs:
        for name, static in parsed[f][0].items():
            if not static:
                owner.setdefault(name, f)
    calls = {}
    for f in srcs:
        defs, used = parsed[f]
        for name in used:
            g = owner.get(name)
            if g and g != f and name not in defs:
                calls.setdefault(f, {}).setdefault(g, set()).add(name)
    found = circles(srcs, calls)
    nedges = sum(len(v) for v in calls.values())
    print("%s: %d files, %d call edges, %d circle%s" %
          (root, len(srcs), nedges, len(found), "" if len(found) == 1 else "s"))
    if not quiet:
        for f in srcs:
            text = open(os.path.join(root, f), encoding="utf-8",
                        errors="replace").read()
            incs = [resolve(root, f, i, fileset) for i in INCLUDE.findall(text)]
            incs = sorted(i for i in incs if i)
            print("  %s includes: %s" % (f, " ".join(incs) or "-"))
            print("  %s calls: %s" % (f, " ".join(sorted(calls.get(f, {})))
                                      or "-"))
    bad = 0
    for group in found:
        ok = group in allow.get(root, [])
        print("  circle%s: %s" % (" (allowed)" if ok else "",
                                 " ".join(group)))
        for f in group:
            for g in group:
                names = calls.get(f, {}).get(g)
                if names:
                    print("    %s -> %s: %s" % (f, g, " ".join(sorted(names))))
        bad += not ok
    return bad


def main(argv):
    allow, dirs, quiet = {}, [], False
    args = iter(argv)
    for a in args:
        if a == "--quiet":
            quiet = True
        elif a == "--allow":
            spec = next(args, "")
            d, _, group = spec.partition(":")
            if not d or not group:
                print("callgraph: --allow wants DIR:A.c,B.c, not '%s'" % spec,
                      file=sys.stderr)
                return 2
            allow.setdefault(d.rstrip("/"), []).append(
                sorted(group.split(",")))
        elif a.startswith("-"):
            print("callgraph: unknown option '%s'" % a, file=sys.stderr)
            return 2
        else:
            dirs.append(a.rstrip("/"))
    if not dirs:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    bad = 0
    for d in dirs:
        if not os.path.isdir(d):
            print("callgraph: no directory '%s'" % d, file=sys.stderr)
            return 2
        bad += report(d, allow, quiet)
    sys.stdout.flush()
    if bad:
        print("callgraph: %d circle%s not allowed (docs/design.md)" %
              (bad, "" if bad == 1 else "s"), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
