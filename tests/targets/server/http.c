// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP/1.1 for miniweb-server: request parsing (request line, the headers
 * we act on, Content-Length bodies), response framing, query parameters,
 * and the growable buffers both use.  Chunked bodies are refused.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"

int buf_reserve(struct buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 1024;
	char *p;

	if (extra <= b->cap - b->len)
		return 0;
	while (cap - b->len < extra)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n + 1))
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n + 1))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
	return 0;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

const char *http_reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Content Too Large";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

static bool header_is(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n > k && line[k] == ':' && !strncasecmp(line, name, k);
}

static bool value_has(const char *v, size_t n, const char *token)
{
	size_t k = strlen(token), i;

	for (i = 0; i + k <= n; i++)
		if (!strncasecmp(v + i, token, k))
			return true;
	return false;
}

static int parse_request_line(const char *s, size_t n, struct request *req,
			      bool *http11)
{
	const char *sp1 = memchr(s, ' ', n), *sp2, *q;

	if (!sp1 || sp1 == s || (size_t)(sp1 - s) >= sizeof(req->method))
		return 400;
	memcpy(req->method, s, sp1 - s);
	req->method[sp1 - s] = '\0';
	sp2 = memchr(sp1 + 1, ' ', s + n - sp1 - 1);
	if (!sp2 || sp1[1] != '/')
		return 400;
	if (s + n - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7))
		return 400;
	if (sp2[8] != '0' && sp2[8] != '1')
		return 505;
	*http11 = sp2[8] == '1';
	req->path = sp1 + 1;
	q = memchr(req->path, '?', sp2 - req->path);
	req->path_len = (q ? q : sp2) - req->path;
	req->query = q ? q + 1 : NULL;
	req->query_len = q ? (size_t)(sp2 - q - 1) : 0;
	return 0;
}

/* The value of Content-Length, or -1 if malformed or too large. */
static long parse_length(const char *v, size_t n)
{
	long len = 0;
	size_t i;

	while (n && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (!n)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		len = len * 10 + (v[i] - '0');
		if (len > SRV_BODY_MAX)
			return -2;
	}
	return len;
}

enum parse_result http_parse(const char *buf, size_t len, struct request *req,
			     struct parse_state *st)
{
	const char *hend = len >= 4 ? memmem(buf, len, "\r\n\r\n", 4) : NULL;
	const char *line, *eol, *end;
	bool http11 = false, ka = false, close = false;
	long clen = 0, v;
	size_t hlen;

	memset(req, 0, sizeof(*req));
	st->expect_continue = false;
	if (!hend) {
		st->status = 431;
		return len > SRV_HDR_MAX ? PARSE_ERROR : PARSE_INCOMPLETE;
	}
	hlen = hend - buf + 4;
	if (hlen > SRV_HDR_MAX) {
		st->status = 431;
		return PARSE_ERROR;
	}
	eol = memmem(buf, hlen, "\r\n", 2);
	st->status = parse_request_line(buf, eol - buf, req, &http11);
	if (st->status)
		return PARSE_ERROR;
	end = hend + 2;
	for (line = eol + 2; line < end; line = eol + 2) {
		size_t n;

		eol = memmem(line, end - line + 2, "\r\n", 2);
		n = eol - line;
		if (header_is(line, n, "content-length")) {
			v = parse_length(line + 15, n - 15);
			if (v < 0 || (clen && v != clen)) {
				st->status = v == -2 ? 413 : 400;
				return PARSE_ERROR;
			}
			clen = v;
		} else if (header_is(line, n, "transfer-encoding")) {
			st->status = 501;
			return PARSE_ERROR;
		} else if (header_is(line, n, "connection")) {
			close = value_has(line + 11, n - 11, "close");
			ka = value_has(line + 11, n - 11, "keep-alive");
		} else if (header_is(line, n, "expect")) {
			st->expect_continue =
				value_has(line + 7, n - 7, "100-continue");
		}
	}
	req->keep_alive = http11 ? !close : ka;
	if (len - hlen < (size_t)clen)
		return PARSE_INCOMPLETE;
	req->body = buf + hlen;
	req->body_len = clen;
	st->used = hlen + clen;
	return PARSE_OK;
}

int http_format(struct buf *out, const struct response *res, bool keep_alive)
{
	if (buf_printf(out,
		       "HTTP/1.1 %d %s\r\n"
		       "Server: miniweb-server/1.0\r\n"
		       "Content-Type: text/plain; charset=utf-8\r\n"
		       "Content-Length: %zu\r\n"
		       "Connection: %s\r\n"
		       "X-Miniweb-Status: %s\r\n\r\n",
		       res->status, http_reason(res->status), res->body.len,
		       keep_alive ? "keep-alive" : "close",
		       res->mw_status ? res->mw_status : "ok"))
		return -1;
	return buf_append(out, res->body.data ? res->body.data : "",
			  res->body.len);
}

static int hexdig(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Find @name in the query and form-decode its value ('+' is a space) into
 * @out.  Returns false if absent or longer than @cap - 1.
 */
bool http_query_param(const struct request *req, const char *name, char *out,
		      size_t cap, size_t *outlen)
{
	const char *p = req->query, *end = p + req->query_len, *amp, *eq;
	size_t k = strlen(name), o = 0;

	for (; p && p < end; p = amp + 1) {
		amp = memchr(p, '&', end - p);
		if (!amp)
			amp = end;
		eq = memchr(p, '=', amp - p);
		if (!eq || (size_t)(eq - p) != k || memcmp(p, name, k))
			continue;
		for (p = eq + 1; p < amp; p++) {
			int hi, lo;

			if (o + 1 >= cap)
				return false;
			if (*p == '%' && amp - p >= 3 &&
			    (hi = hexdig(p[1])) >= 0 &&
			    (lo = hexdig(p[2])) >= 0) {
				out[o++] = (char)(hi << 4 | lo);
				p += 2;
			} else {
				out[o++] = *p == '+' ? ' ' : *p;
			}
		}
		out[o] = '\0';
		*outlen = o;
		return true;
	}
	return false;
}
