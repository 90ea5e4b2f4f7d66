/* SPDX-License-Identifier: GPL-2.0 */
/*
 * miniweb-server internals: growable buffers (http.c), HTTP/1.1 request
 * parsing and response framing (http.c), the endpoints (handlers.c) and the
 * epoll workers (worker.c).
 */
#ifndef MINIWEB_SERVER_H
#define MINIWEB_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "miniweb.h"
#include "mwcss.h"

#define SRV_HDR_MAX (16 * 1024) /* request line and headers */
#define SRV_BODY_MAX (64 * 1024)
#define SRV_THREADS_MAX 256

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_consume(struct buf *b, size_t n);
void buf_free(struct buf *b);

struct request {
	char method[8];
	const char *path; /* without the query */
	size_t path_len;
	const char *query; /* after '?', NULL when absent */
	size_t query_len;
	const char *body;
	size_t body_len;
	bool keep_alive;
};

struct response {
	int status;
	const char *mw_status; /* X-Miniweb-Status: ok, rejected, corrupted */
	struct buf body;
};

enum parse_result {
	PARSE_INCOMPLETE,
	PARSE_OK,
	PARSE_ERROR, /* *status says which; the connection is closed */
};

struct parse_state {
	size_t used; /* bytes of the request, with its body */
	int status; /* on PARSE_ERROR */
	bool expect_continue; /* the client waits for 100 Continue */
};

enum parse_result http_parse(const char *buf, size_t len, struct request *req,
			     struct parse_state *st);
int http_format(struct buf *out, const struct response *res, bool keep_alive);
const char *http_reason(int status);
bool http_query_param(const struct request *req, const char *name, char *out,
		      size_t cap, size_t *outlen);

struct worker {
	pthread_t tid;
	unsigned int id;
	int epfd;
	struct miniweb_doc *doc; /* reused for every request */
	struct conn *conns; /* open connections, for shutdown */
	pthread_mutex_t lock; /* protects lib */
	struct miniweb_stats lib; /* the worker's libminiweb counters */
};

struct server {
	int listen_fd;
	int stop_fd; /* eventfd, readable once stopping */
	unsigned int nworkers;
	struct worker *workers;
	const char *secret; /* --secret, also the style sheets' UA nonce */
};

extern struct server srv;

int worker_start(struct worker *w);
void handle_request(struct worker *w, const struct request *req,
		    struct response *res);
void stats_count_status(int status);

#endif /* MINIWEB_SERVER_H */
