# SPDX-License-Identifier: GPL-2.0
# A long-running Python process using the installed libz (Debian's
# python3: its zlib module and ctypes both map the library as apt
# installed it).  For each line on stdin:
#   h  attach to a fresh inflate stream a gzip header buffer whose extra
#      field has no room (extra_max 0) and print inflateGetHeader()'s
#      return value: 0 (Z_OK) unfixed, -2 (Z_STREAM_ERROR) once the
#      fix tests/deb-src/zlib-header-room.patch is applied
#   z  print "ok" if zlib.compress/decompress still round-trip
#   q  exit
import ctypes
import sys
import zlib

libz = ctypes.CDLL("libz.so.1")
libz.zlibVersion.restype = ctypes.c_char_p


class GzHeader(ctypes.Structure):
    _fields_ = [("text", ctypes.c_int), ("time", ctypes.c_ulong),
                ("xflags", ctypes.c_int), ("os", ctypes.c_int),
                ("extra", ctypes.c_void_p), ("extra_len", ctypes.c_uint),
                ("extra_max", ctypes.c_uint), ("name", ctypes.c_void_p),
                ("name_max", ctypes.c_uint), ("comment", ctypes.c_void_p),
                ("comm_max", ctypes.c_uint), ("hcrc", ctypes.c_int),
                ("done", ctypes.c_int)]


Z_STREAM_SIZE = 112  # sizeof(z_stream) on x86-64


def header_check():
    strm = ctypes.create_string_buffer(Z_STREAM_SIZE)
    extra = ctypes.create_string_buffer(16)
    head = GzHeader()
    head.extra = ctypes.cast(extra, ctypes.c_void_p)
    head.extra_max = 0
    # windowBits 31: gzip, so a header may be asked for
    rc = libz.inflateInit2_(strm, 31, libz.zlibVersion(), Z_STREAM_SIZE)
    if rc != 0:
        return "init-failed %d" % rc
    rc = libz.inflateGetHeader(strm, ctypes.byref(head))
    libz.inflateEnd(strm)
    return str(rc)


print("ready", flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "h":
        print(header_check(), flush=True)
    elif cmd == "z":
        data = b"kpatch-lite " * 1000
        ok = zlib.decompress(zlib.compress(data)) == data
        print("ok" if ok else "broken", flush=True)
    elif cmd == "q":
        break
