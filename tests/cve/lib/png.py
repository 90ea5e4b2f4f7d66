# SPDX-License-Identifier: GPL-2.0
# What the libpng cases share: the libpng16 Pillow's _imagingft already
# loaded (through libfreetype: the same soname, so the library the case
# patches), with the prototypes of the functions their triggers call
# through ctypes, and the ordinary work they serve: an image written as
# PNG by libpng's simplified API and read back by Pillow, and one
# written by Pillow and read back by libpng.
# Imported by tests/cve/libpng-*/case.py as "from png import lib, work"
# (server.py's directory, this one, is on python's path).
import ctypes
import io

from PIL import Image, ImageFont  # noqa: F401 (_imagingft: libpng16.so.16)

lib = ctypes.CDLL("libpng16.so.16")
lib.png_get_libpng_ver.restype = ctypes.c_char_p
lib.png_get_libpng_ver.argtypes = [ctypes.c_void_p]
lib.png_create_write_struct.restype = ctypes.c_void_p
lib.png_create_write_struct.argtypes = [ctypes.c_char_p, ctypes.c_void_p,
                                        ctypes.c_void_p, ctypes.c_void_p]
lib.png_create_info_struct.restype = ctypes.c_void_p
lib.png_create_info_struct.argtypes = [ctypes.c_void_p]
lib.png_destroy_write_struct.argtypes = [ctypes.POINTER(ctypes.c_void_p),
                                         ctypes.POINTER(ctypes.c_void_p)]
lib.png_set_IHDR.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                             ctypes.c_uint32, ctypes.c_uint32] + \
    [ctypes.c_int] * 5
lib.png_set_PLTE.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                             ctypes.c_void_p, ctypes.c_int]
lib.png_get_PLTE.restype = ctypes.c_uint32
lib.png_get_PLTE.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                             ctypes.POINTER(ctypes.c_void_p),
                             ctypes.POINTER(ctypes.c_int)]


class Image_(ctypes.Structure):
    """png.h's png_image (the simplified API)."""
    _fields_ = [("opaque", ctypes.c_void_p), ("version", ctypes.c_uint32),
                ("width", ctypes.c_uint32), ("height", ctypes.c_uint32),
                ("format", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("colormap_entries", ctypes.c_uint32),
                ("warning_or_error", ctypes.c_uint32),
                ("message", ctypes.c_char * 64)]


IMAGE_VERSION = 1  # PNG_IMAGE_VERSION
FORMAT_RGB = 2  # PNG_FORMAT_RGB
P_IMAGE = ctypes.POINTER(Image_)
lib.png_image_write_to_memory.argtypes = [
    P_IMAGE, ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_int,
    ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p]
lib.png_image_begin_read_from_memory.argtypes = [P_IMAGE, ctypes.c_void_p,
                                                 ctypes.c_size_t]
lib.png_image_finish_read.argtypes = [P_IMAGE, ctypes.c_void_p,
                                      ctypes.c_void_p, ctypes.c_int32,
                                      ctypes.c_void_p]
lib.png_image_free.argtypes = [P_IMAGE]

W, H = 64, 48


def picture():
    im = Image.new("RGB", (W, H))
    im.putdata([(x * 4, y * 5, (x ^ y) & 0xff)
                for y in range(H) for x in range(W)])
    return im


def libpng_write(im):
    """@im (RGB) as PNG bytes, written by libpng, or None."""
    raw = im.tobytes()
    img = Image_(version=IMAGE_VERSION, width=im.width, height=im.height,
                 format=FORMAT_RGB)
    size = ctypes.c_size_t(0)
    if not lib.png_image_write_to_memory(ctypes.byref(img), None,
                                         ctypes.byref(size), 0, raw, 0, None):
        return None
    out = ctypes.create_string_buffer(size.value)
    if not lib.png_image_write_to_memory(ctypes.byref(img), out,
                                         ctypes.byref(size), 0, raw, 0, None):
        return None
    return out.raw[:size.value]


def libpng_read(data):
    """PNG @data read by libpng as RGB bytes, or None."""
    img = Image_(version=IMAGE_VERSION)
    buf = ctypes.create_string_buffer(data, len(data))
    if not lib.png_image_begin_read_from_memory(ctypes.byref(img), buf,
                                                len(data)):
        return None
    img.format = FORMAT_RGB
    out = ctypes.create_string_buffer(img.width * img.height * 3)
    if not lib.png_image_finish_read(ctypes.byref(img), None, out, 0, None):
        lib.png_image_free(ctypes.byref(img))
        return None
    return out.raw


def work():
    """Ordinary use of libpng: "ok" when both round trips give the image."""
    im = picture()
    data = libpng_write(im)
    if data is None:
        return "wrong: libpng did not write the image"
    if Image.open(io.BytesIO(data)).convert("RGB").tobytes() != im.tobytes():
        return "wrong: libpng's PNG reads back different"
    out = io.BytesIO()
    im.save(out, format="PNG")
    if libpng_read(out.getvalue()) != im.tobytes():
        return "wrong: libpng read Pillow's PNG differently"
    return "ok"
