# SPDX-License-Identifier: GPL-2.0
# What the libtiff cases share: the libtiff Pillow's _imaging already
# loaded (the same soname, so the library the case patches), with the
# prototypes of the functions their triggers call through ctypes, and
# the ordinary work they serve (an image saved and read back by Pillow,
# through libtiff's codecs).
# Imported by tests/cve/tiff-*/case.py as "from tiff import lib, work"
# (server.py's directory, this one, is on python's path).
import ctypes
import io
import os

from PIL import Image  # loads _imaging, and with it libtiff.so.6

lib = ctypes.CDLL("libtiff.so.6")
lib.TIFFFdOpen.restype = ctypes.c_void_p
lib.TIFFFdOpen.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p]
lib.TIFFReadRGBAImage.argtypes = [ctypes.c_void_p, ctypes.c_uint32,
                                  ctypes.c_uint32, ctypes.c_void_p,
                                  ctypes.c_int]
lib.TIFFClose.argtypes = [ctypes.c_void_p]


def rgba(px):
    """An (r, g, b) pixel as libtiff's RGBA raster holds it (ABGR)."""
    return 0xff000000 | px[2] << 16 | px[1] << 8 | px[0]


def tiff_bytes(im, compression):
    """@im saved by Pillow as a TIFF (through libtiff when compressed)."""
    out = io.BytesIO()
    im.save(out, format="TIFF", compression=compression)
    return out.getvalue()


def open_bytes(data):
    """A TIFF* reading @data, from a memfd (no file to clean up), or None."""
    fd = os.memfd_create("cve-tiff")
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    tif = lib.TIFFFdOpen(fd, b"cve.tif", b"r")
    if not tif:
        os.close(fd)
    return tif  # TIFFClose() closes fd


def work():
    """Ordinary Pillow use of libtiff: an image compressed (LZW, then
    Deflate) and read back, "ok" when it is the same image."""
    im = Image.new("RGB", (64, 48))
    im.putdata([(x * 4, y * 5, (x ^ y) & 0xff)
                for y in range(48) for x in range(64)])
    for c in ("tiff_lzw", "tiff_adobe_deflate"):
        back = Image.open(io.BytesIO(tiff_bytes(im, c)))
        back.load()
        if back.tobytes() != im.tobytes():
            return "wrong: %s read back differs" % c
    return "ok"
