/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Printing what a process or a file controls: record ids, descriptions,
 * sonames, paths from /proc/PID/maps, comm.  Any of them may carry
 * terminal escapes or bytes that are not UTF-8, so nothing of theirs is
 * printed raw.  libkpl escapes what it logs; a caller that prints such
 * text itself (the CLI, kpld) escapes it with these.
 *
 * Text: bytes 0x20..0x7e are kept, except '\' which is doubled; every
 * other byte is shown as \xHH ("\x1b" for ESC).  UTF-8 is shown byte by
 * byte: what reaches a terminal is plain ASCII.
 *
 * JSON: the output is ASCII and always valid JSON.  '"' and '\' are
 * escaped, control characters and DEL as \u00HH, each well-formed UTF-8
 * character as \uXXXX (a surrogate pair above U+FFFF), and each byte that
 * is not part of well-formed UTF-8 as \ufffd, the replacement character.
 */
#ifndef KPL_ESCAPE_H
#define KPL_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Room that escaping @n bytes may need in the worst case, NUL included. */
#define KPL_ESCAPE_MAX(n) (6 * (n) + 1)

/*
 * kpl_escape() - escape @n bytes of @s into @buf of @size bytes.
 * @json: JSON string content (no quotes) rather than text.
 * The output is always NUL-terminated (when @size > 0); when it does not
 * fit it is cut before the first escape that does not fit whole, and
 * ends in "...".
 * Return: @buf.
 */
char *kpl_escape(char *buf, size_t size, const void *s, size_t n, bool json);

/* kpl_escape() of the C string @s, as text. */
char *kpl_escape_str(char *buf, size_t size, const char *s);

#endif
