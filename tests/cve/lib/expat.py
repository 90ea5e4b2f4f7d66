# SPDX-License-Identifier: GPL-2.0
# What the expat cases share: the libexpat python3's pyexpat already
# loaded (the same soname, so the library the case patches), with the
# prototypes of the functions their triggers call through ctypes, and
# the ordinary work they serve (a document parsed by pyexpat).
# Imported by tests/cve/expat-*/case.py as "from expat import lib, count"
# (server.py's directory, this one, is on python's path).
import ctypes
import xml.parsers.expat

lib = ctypes.CDLL("libexpat.so.1")
lib.XML_ParserCreate.restype = ctypes.c_void_p
lib.XML_ParserCreate.argtypes = [ctypes.c_char_p]
lib.XML_GetBuffer.restype = ctypes.c_void_p
lib.XML_GetBuffer.argtypes = [ctypes.c_void_p, ctypes.c_int]
lib.XML_ParseBuffer.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
lib.XML_StopParser.argtypes = [ctypes.c_void_p, ctypes.c_ubyte]
lib.XML_ResumeParser.argtypes = [ctypes.c_void_p]
lib.XML_GetErrorCode.argtypes = [ctypes.c_void_p]
lib.XML_ErrorString.restype = ctypes.c_char_p
lib.XML_GetCurrentByteIndex.restype = ctypes.c_longlong
lib.XML_GetCurrentByteIndex.argtypes = [ctypes.c_void_p]
lib.XML_ParserFree.argtypes = [ctypes.c_void_p]


def error(p):
    """The parser's error, in words."""
    return (lib.XML_ErrorString(lib.XML_GetErrorCode(p)) or
            b"no error").decode()


def count(doc, want):
    """work(): @doc parsed by pyexpat, "ok" when it has @want elements."""
    n = []
    p = xml.parsers.expat.ParserCreate()
    p.StartElementHandler = lambda name, attrs: n.append(name)
    p.Parse(doc, True)
    return "ok" if len(n) == want else "wrong: %d elements" % len(n)
