# SPDX-License-Identifier: GPL-2.0
"""kpatch-lite for gdb: name live-patch frames and unwind past them.

A patch kpl applied lives in a mapping "/memfd:kpl:ID" that no object
file describes: gdb, which learns a process's code from the dynamic
linker's list, prints "?? ()" for a frame there and cannot unwind past
it.  Each time the process stops (attach included) and its patch
mappings have changed, this runs `kpl symfile` for each patch and loads
the ELF file it writes (the patch's function names and its .eh_frame,
at their addresses in the process) with add-symbol-file; a patch gone
since has its file removed.  kpl only reads the process.

Installed as /etc/gdb/gdbinit.d/kpatch-lite.py, which gdb reads at
start-up.  Commands and settings:
  kpl-symbols             reload the patches' symbols now
  set kpl-program PATH    the kpl to run (default: kpl, from PATH)
  set kpl-auto-symbols on|off   load them on each stop (default: on)
"""

import atexit
import os
import re
import shutil
import subprocess
import tempfile

import gdb

_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_PREFIX = "/memfd:kpl:"


class _Program(gdb.Parameter):
    """The kpl program kpl-symbols runs."""

    set_doc = "Set the kpl program that kpl-symbols runs."
    show_doc = "Show the kpl program that kpl-symbols runs."

    def __init__(self):
        super().__init__("kpl-program", gdb.COMMAND_FILES, gdb.PARAM_STRING)
        self.value = "kpl"


class _Auto(gdb.Parameter):
    """Whether patch symbols are loaded each time the process stops."""

    set_doc = "Set whether kpatch-lite patch symbols load on each stop."
    show_doc = "Show whether kpatch-lite patch symbols load on each stop."

    def __init__(self):
        super().__init__("kpl-auto-symbols", gdb.COMMAND_FILES,
                         gdb.PARAM_BOOLEAN)
        self.value = True


_program = _Program()
_auto = _Auto()
_dir = None
# pid -> the patch mappings last seen, and {(id, base): file loaded}
_seen = {}
_loaded = {}


def _workdir():
    global _dir
    if _dir is None:
        _dir = tempfile.mkdtemp(prefix="kpl-gdb.")
        atexit.register(shutil.rmtree, _dir, True)
    return _dir


def _live_pid():
    """The selected inferior's pid when it is a live local process."""
    inf = gdb.selected_inferior()
    if not inf or inf.pid <= 0:
        return 0
    conn = getattr(inf, "connection", None)
    if conn is not None and conn.type != "native":
        return 0
    return inf.pid


def _mappings(pid):
    """The patch mappings' first lines in /proc/PID/maps: cheap to compare."""
    seen = set()
    try:
        with open("/proc/%d/maps" % pid, "rb") as f:
            for line in f:
                if _PREFIX.encode() in line:
                    seen.add(line.split(b" ", 1)[0])
    except OSError:
        pass
    return frozenset(seen)


def _run(args):
    return subprocess.run([_program.value] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)


def _patches(pid):
    """{(id, base)} of the patches kpl finds in pid (validated records)."""
    r = _run(["symfile", "-p", str(pid), "--list"])
    if r.returncode:
        raise gdb.GdbError("kpl symfile --list: " + _tail(r.stderr))
    out = set()
    for line in r.stdout.decode("ascii", "replace").splitlines():
        f = line.split()
        if len(f) >= 2 and _ID.match(f[0]) and re.match(r"^0x[0-9a-f]+$",
                                                         f[1]):
            out.add((f[0], int(f[1], 16)))
    return out


def _tail(err):
    s = err.decode("ascii", "replace").strip().splitlines()
    return "".join(c if c.isprintable() else "?" for c in
                   (s[-1] if s else "failed"))


def _quiet(cmd):
    """Run a gdb command without its confirmation query."""
    confirm = gdb.parameter("confirm")
    gdb.execute("set confirm off")
    try:
        gdb.execute(cmd, to_string=True)
    finally:
        gdb.execute("set confirm " + ("on" if confirm else "off"))


def _drop(path):
    """Unload a symbol file loaded before, and remove it."""
    try:
        _quiet("remove-symbol-file " + path)
    except gdb.error:
        pass
    if os.path.exists(path):
        os.unlink(path)


def refresh(pid, verbose=False):
    """Load the symbols of pid's patches, drop those of patches gone."""
    want = _patches(pid)
    for other in [p for p in _loaded if p != pid]:
        for path in _loaded.pop(other).values():
            _drop(path)
    have = _loaded.setdefault(pid, {})
    for key in [k for k in have if k not in want]:
        _drop(have.pop(key))
        if verbose:
            print("kpl: %s: symbols removed" % key[0])
    for pid_id, base in sorted(want - set(have)):
        path = os.path.join(_workdir(), "%d-%s-%x.elf" % (pid, pid_id, base))
        r = _run(["symfile", "-p", str(pid), "-o", path, pid_id])
        if r.returncode:
            print("kpl: patch %s: no symbols: %s" % (pid_id, _tail(r.stderr)))
            continue
        _quiet("add-symbol-file " + path)
        have[(pid_id, base)] = path
        if verbose:
            print("kpl: %s at 0x%x: symbols loaded" % (pid_id, base))


def _on_stop(_event):
    if not _auto.value:
        return
    pid = _live_pid()
    if not pid:
        return
    maps = _mappings(pid)
    if _seen.get(pid) == maps:
        return
    _seen[pid] = maps
    if not maps and not any(_loaded.values()):
        return  # no patch, nothing loaded: kpl need not run
    try:
        refresh(pid)
    except (gdb.error, OSError) as e:
        print("kpl: cannot load patch symbols: %s" % e)


class _Symbols(gdb.Command):
    """Load the symbols of the live patches of the current process.

Runs `kpl symfile` for each kpatch-lite patch mapped in the process and
loads each file it writes with add-symbol-file, so that frames in patch
code are named and unwound past.  Done on each stop unless
kpl-auto-symbols is off."""

    def __init__(self):
        super().__init__("kpl-symbols", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        pid = _live_pid()
        if not pid:
            raise gdb.GdbError("kpl-symbols: no live local process")
        _seen[pid] = _mappings(pid)
        try:
            refresh(pid, verbose=True)
        except OSError as e:
            raise gdb.GdbError("kpl-symbols: %s" % e)


_Symbols()
gdb.events.stop.connect(_on_stop)
