// SPDX-License-Identifier: GPL-2.0
/*
 * Worker threads.  Each has its own epoll instance watching the shared
 * listening socket (EPOLLEXCLUSIVE, so a connection wakes one worker), the
 * stop eventfd and the connections it accepted.  A connection stays with
 * its worker for life, so a worker's document is never shared.
 * Level-triggered throughout: a worker reads what is there, answers every
 * complete request and waits for EPOLLOUT only while a reply is pending.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"

#define READ_CHUNK 16384
#define MAX_EVENTS 64

struct conn {
	int fd;
	struct buf in;
	struct buf out;
	size_t out_off;
	bool continue_sent;
	bool close_after;
	bool want_out; /* registered for EPOLLOUT, not EPOLLIN */
	struct conn *prev, *next;
};

/* Distinct addresses that mark the non-connection fds in epoll data. */
static char listen_tag, stop_tag;

static void conn_close(struct worker *w, struct conn *c)
{
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

static int conn_watch(struct worker *w, struct conn *c, bool want_out)
{
	struct epoll_event ev = {
		.events = want_out ? EPOLLOUT : EPOLLIN,
		.data.ptr = c,
	};

	if (c->want_out == want_out)
		return 0;
	c->want_out = want_out;
	return epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Send what is pending; false if the connection was closed. */
static bool conn_flush(struct worker *w, struct conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_off,
				 c->out.len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!conn_watch(w, c, true))
				return true;
			n = -1;
		}
		if (n <= 0) {
			conn_close(w, c);
			return false;
		}
		c->out_off += n;
	}
	c->out.len = c->out_off = 0;
	if (c->close_after) {
		conn_close(w, c);
		return false;
	}
	if (conn_watch(w, c, false)) {
		conn_close(w, c);
		return false;
	}
	return true;
}

static void respond(struct conn *c, struct response *res, bool keep_alive)
{
	stats_count_status(res->status);
	if (http_format(&c->out, res, keep_alive))
		c->close_after = true;
	buf_free(&res->body);
}

/* Answer every complete request in c->in. */
static void conn_process(struct worker *w, struct conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct parse_state st;
	struct request req;

	while (!c->close_after) {
		struct response res = { .status = 200 };
		enum parse_result r =
			http_parse(c->in.data, c->in.len, &req, &st);

		if (r == PARSE_INCOMPLETE) {
			if (st.expect_continue && !c->continue_sent) {
				buf_append(&c->out, cont, sizeof(cont) - 1);
				c->continue_sent = true;
			}
			break;
		}
		if (r == PARSE_ERROR) {
			res.status = st.status;
			res.mw_status = "rejected";
			buf_printf(&res.body, "error: %s\n",
				   http_reason(st.status));
			c->close_after = true;
			respond(c, &res, false);
			break;
		}
		handle_request(w, &req, &res);
		c->close_after = !req.keep_alive;
		respond(c, &res, req.keep_alive);
		buf_consume(&c->in, st.used);
		c->continue_sent = false;
	}
	conn_flush(w, c);
}

static void conn_readable(struct worker *w, struct conn *c)
{
	for (;;) {
		ssize_t n;

		/* a complete request is never longer; http_parse() decides */
		if (c->in.len > SRV_HDR_MAX + SRV_BODY_MAX ||
		    buf_reserve(&c->in, READ_CHUNK + 1))
			break;
		n = recv(c->fd, c->in.data + c->in.len, READ_CHUNK, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			conn_close(w, c);
			return;
		}
		c->in.len += n;
		if ((size_t)n < READ_CHUNK)
			break;
	}
	conn_process(w, c);
}

static void accept_all(struct worker *w)
{
	for (;;) {
		int fd = accept4(srv.listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN };
		struct conn *c;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return; /* EAGAIN, or out of fds: try again later */
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		ev.data.ptr = c;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			free(c);
			continue;
		}
		c->next = w->conns;
		if (w->conns)
			w->conns->prev = c;
		w->conns = c;
	}
}

static void *worker_main(void *arg)
{
	struct epoll_event evs[MAX_EVENTS];
	struct worker *w = arg;
	int i, n;

	for (;;) {
		n = epoll_wait(w->epfd, evs, MAX_EVENTS, -1);
		if (n < 0 && errno == EINTR)
			continue; /* e.g. a ptrace attach */
		if (n < 0) {
			perror("miniweb-server: epoll_wait");
			break;
		}
		for (i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			struct conn *c = p;

			if (p == &stop_tag)
				goto out;
			if (p == &listen_tag) {
				accept_all(w);
			} else if (evs[i].events & (EPOLLERR | EPOLLHUP) &&
				   !(evs[i].events & EPOLLIN)) {
				conn_close(w, c);
			} else if (c->want_out) {
				conn_flush(w, c);
			} else {
				conn_readable(w, c);
			}
		}
	}
out:
	while (w->conns)
		conn_close(w, w->conns);
	return NULL;
}

/* Set up @w's epoll instance and document, then start its thread. */
int worker_start(struct worker *w)
{
	struct epoll_event lev = { .events = EPOLLIN | EPOLLEXCLUSIVE,
				   .data.ptr = &listen_tag };
	struct epoll_event sev = { .events = EPOLLIN, .data.ptr = &stop_tag };
	int err;

	pthread_mutex_init(&w->lock, NULL);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->doc = miniweb_doc_new();
	if (w->epfd < 0 || !w->doc ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, srv.listen_fd, &lev) ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, srv.stop_fd, &sev))
		return -errno;
	err = pthread_create(&w->tid, NULL, worker_main, w);
	return -err;
}
