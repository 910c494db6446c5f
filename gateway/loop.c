/* loop.c - see loop.h. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <openssl/err.h>

#include "conn.h"
#include "log.h"
#include "loop.h"
#include "tls.h"
#include "vg_err.h"
#include "worker.h"

/* epoll data for the loop's own descriptors; connections use pointers. */
enum {
	EV_LISTEN = 1,            /* + index, up to GW_MAX_LISTEN */
	EV_SIGNAL = 32,
	EV_TIMER,
	EV_WAKE,
};

#define TICK_MS 500
#define STOP_GRACE_MS 30000

static void list_add(struct gw_server *s, struct gw_conn *c)
{
	c->prev = NULL;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
}

static void list_del(struct gw_server *s, struct gw_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static int set_events(struct gw_server *s, struct gw_conn *c, uint32_t ev)
{
	struct epoll_event e = {.events = ev, .data.ptr = c};

	if (c->epevents == ev)
		return 0;
	if (epoll_ctl(s->epfd, c->epevents ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e) < 0)
		return -errno;
	c->epevents = ev;
	return 0;
}

static void loop_close(struct gw_server *s, struct gw_conn *c)
{
	if (c->epevents)
		(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	c->epevents = 0;
	list_del(s, c);
	gw_conn_free(s, c);
}

/* Best effort, on a socket that is almost surely writable: a short JSON
 * answer before closing. */
static void say(struct gw_conn *c, int status, const char *code, const char *msg)
{
	char body[160], all[512];
	size_t done;
	int bn, n;

	bn = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"message\":\"%s\"}\n", code, msg);
	n = snprintf(all, sizeof(all),
		"HTTP/1.1 %d %s\r\nServer: vaultgate\r\nContent-Type: application/json\r\n"
		"Content-Length: %d\r\nConnection: close\r\n\r\n%s",
		status, gw_http_reason(status), bn, body);
	if (bn < 0 || n < 0 || (size_t)n >= sizeof(all))
		return;
	ERR_clear_error();
	(void)SSL_write_ex(c->ssl, all, (size_t)n, &done);
	ERR_clear_error();
}

static void dispatch(struct gw_server *s, struct gw_conn *c)
{
	if (c->epevents)
		(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	c->epevents = 0;
	list_del(s, c);
	gw_worker_submit(s, c);
}

/* Reads what is there of a request head. Returns 1 if c was handed off or
 * closed, 0 to keep waiting. */
static int read_head(struct gw_server *s, struct gw_conn *c)
{
	size_t got, start, end;

	for (;;) {
		if (gw_conn_rbuf(s, c)) {
			loop_close(s, c);
			return 1;
		}
		if (gw_http_head_find(c->rbuf, c->rlen, &start, &end)) {
			dispatch(s, c);
			return 1;
		}
		if (c->rlen >= s->cfg->max_header_bytes) {
			gw_metrics_add(GW_C_BAD_REQUEST, 1);
			gw_metrics_request(GW_R_OTHER, 431);
			say(c, 431, "headers-too-large", "request head too large");
			loop_close(s, c);
			return 1;
		}
		ERR_clear_error();
		if (SSL_read_ex(c->ssl, c->rbuf + c->rlen, c->rcap - c->rlen, &got) == 1) {
			if (c->rlen == 0 && !c->head_timer) {
				/* First byte of a head: now the header clock runs. */
				c->head_timer = true;
				c->deadline_ms = gw_now_ms() + s->cfg->header_timeout * 1000u;
			}
			c->rlen += got;
			continue;
		}
		switch (SSL_get_error(c->ssl, 0)) {
		case SSL_ERROR_WANT_READ:
			if (set_events(s, c, EPOLLIN | EPOLLRDHUP)) {
				loop_close(s, c);
				return 1;
			}
			gw_conn_rbuf_trim(c);
			return 0;
		case SSL_ERROR_WANT_WRITE:
			if (set_events(s, c, EPOLLOUT)) {
				loop_close(s, c);
				return 1;
			}
			return 0;
		default:
			ERR_clear_error();
			loop_close(s, c);  /* the client closed, or broke TLS */
			return 1;
		}
	}
}

static void handshake(struct gw_server *s, struct gw_conn *c)
{
	int r;

	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->state = GW_CS_HEAD;
		c->has_cert = gw_tls_peer_cert(c->ssl, c->cert) == 1;
		(void)read_head(s, c);
		return;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		if (set_events(s, c, EPOLLIN | EPOLLRDHUP) == 0)
			return;
		break;
	case SSL_ERROR_WANT_WRITE:
		if (set_events(s, c, EPOLLOUT) == 0)
			return;
		break;
	default:
		break;
	}
	ERR_clear_error();
	gw_metrics_add(GW_C_TLS_FAIL, 1);
	loop_close(s, c);
}

static void on_conn(struct gw_server *s, struct gw_conn *c, uint32_t ev)
{
	(void)ev;
	if (c->state == GW_CS_HANDSHAKE)
		handshake(s, c);
	else
		(void)read_head(s, c);
}

static void on_accept(struct gw_server *s, int idx)
{
	int lfd = s->lfd[idx];

	for (;;) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		struct gw_conn *c;
		int one = 1, fd;

		fd = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				log_warn("accept");
			return;
		}
		if (atomic_load(&s->nconns) >= s->cfg->max_connections) {
			gw_metrics_add(GW_C_CONN_REFUSED, 1);
			close(fd);
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (gw_conn_new(s, fd, &sa, &c)) {
			close(fd);
			continue;
		}
		c->s3 = idx == s->s3_lfd;
		atomic_fetch_add(&s->nconns, 1);
		gw_metrics_gauge(GW_G_OPEN_CONNS, 1);
		gw_metrics_add(GW_C_CONN_ACCEPTED, 1);
		c->head_timer = true;
		c->deadline_ms = gw_now_ms() + s->cfg->header_timeout * 1000u;
		list_add(s, c);
		handshake(s, c);
	}
}

/* Connections workers gave back: idle (or holding part of a head). */
static void on_wake(struct gw_server *s)
{
	struct gw_conn *c, *next;
	uint64_t v;

	(void)!read(s->evfd, &v, sizeof(v));
	pthread_mutex_lock(&s->qlock);
	c = s->back_head;
	s->back_head = NULL;
	pthread_mutex_unlock(&s->qlock);
	for (; c; c = next) {
		next = c->qnext;
		c->qnext = NULL;
		c->state = GW_CS_HEAD;
		list_add(s, c);
		if (atomic_load(&s->stopping)) {
			loop_close(s, c);
			continue;
		}
		c->head_timer = c->rlen > 0;
		c->deadline_ms = gw_now_ms() + (c->head_timer ? s->cfg->header_timeout :
								 s->cfg->idle_timeout) * 1000u;
		/* TLS may hold bytes already read from the socket: look now. */
		(void)read_head(s, c);
	}
}

void gw_loop_handback(struct gw_server *s, struct gw_conn *c)
{
	uint64_t one = 1;

	pthread_mutex_lock(&s->qlock);
	c->qnext = s->back_head;
	s->back_head = c;
	pthread_mutex_unlock(&s->qlock);
	(void)!write(s->evfd, &one, sizeof(one));
}

static void on_tick(struct gw_server *s)
{
	uint64_t now = gw_now_ms(), v;
	struct gw_conn *c, *next;

	(void)!read(s->timerfd, &v, sizeof(v));
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (now < c->deadline_ms)
			continue;
		if (c->head_timer) {
			gw_metrics_add(GW_C_HEADER_TIMEOUT, 1);
			if (c->state == GW_CS_HEAD && c->rlen > 0) {
				gw_metrics_request(GW_R_OTHER, 408);
				say(c, 408, "timeout", "the request head did not arrive in time");
			}
		} else {
			gw_metrics_add(GW_C_IDLE_TIMEOUT, 1);
		}
		loop_close(s, c);
	}
	if (now >= s->next_rotate_ms) {
		if (gw_tls_rotate(s->tls))
			log_warnx("session ticket key rotation failed; keeping the old key");
		s->next_rotate_ms = now + s->cfg->tls_ticket_rotate * 1000u;
	}
}

static int add_fd(struct gw_server *s, int fd, uint64_t tag)
{
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = tag};

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &e) < 0 ? -errno : 0;
}

int gw_loop_init(struct gw_server *s, char *why, size_t whysz)
{
	struct itimerspec its = {
		.it_interval = {0, TICK_MS * 1000000L},
		.it_value = {0, TICK_MS * 1000000L},
	};
	sigset_t set;
	int r;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
		snprintf(why, whysz, "sigprocmask failed");
		return VG_EINTERNAL;
	}
	signal(SIGPIPE, SIG_IGN);
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	s->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->sigfd < 0 || s->epfd < 0 || s->timerfd < 0 || s->evfd < 0 ||
	    timerfd_settime(s->timerfd, 0, &its, NULL) < 0) {
		r = -errno;
		snprintf(why, whysz, "event loop set-up: %s", strerror(errno));
		return r;
	}
	for (int i = 0; i < s->nlfd; i++)
		if ((r = add_fd(s, s->lfd[i], EV_LISTEN + (uint64_t)i)))
			goto fail;
	if ((r = add_fd(s, s->sigfd, EV_SIGNAL)) || (r = add_fd(s, s->timerfd, EV_TIMER)) ||
	    (r = add_fd(s, s->evfd, EV_WAKE)))
		goto fail;
	s->next_rotate_ms = gw_now_ms() + s->cfg->tls_ticket_rotate * 1000u;
	return gw_workers_init(s);
fail:
	snprintf(why, whysz, "epoll: %s", vg_strerror(r));
	return r;
}

static void begin_stop(struct gw_server *s)
{
	struct gw_conn *c, *next;

	atomic_store(&s->stopping, true);
	for (int i = 0; i < s->nlfd; i++) {
		(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd[i], NULL);
		close(s->lfd[i]);
		s->lfd[i] = -1;
	}
	for (c = s->conns; c; c = next) {
		next = c->next;
		loop_close(s, c);
	}
}

/* SIGHUP: the certificate and key again, from the same paths (a
 * replaced certificate, vaultgate-config). New connections get the new
 * context; open ones keep theirs. A file that does not load (unreadable,
 * key not matching the certificate) leaves the running one in place.
 * Everything else in the configuration needs a restart (the listening
 * sockets were bound before privileges were dropped). */
static void reload_tls(struct gw_server *s)
{
	struct gw_tls *nt = NULL;
	char why[512] = "";
	int r;

	if (s->nold_tls == sizeof(s->old_tls) / sizeof(s->old_tls[0])) {
		log_warnx("SIGHUP: %u reloads since start; restart vaultgw to reload again", s->nold_tls);
		return;
	}
	if ((r = gw_tls_new(s->cfg, s->cert_path, s->key_path, &nt, why, sizeof(why)))) {
		log_warnx("SIGHUP: %s; keeping the certificate in use (SHA-256 %s)",
			*why ? why : vg_strerror(r), gw_tls_fingerprint(s->tls));
		return;
	}
	s->old_tls[s->nold_tls++] = s->tls;
	s->tls = nt;
	s->ctx = gw_tls_ctx(nt);
	log_info("SIGHUP: certificate %s reloaded, SHA-256 fingerprint %s", s->cert_path,
		gw_tls_fingerprint(nt));
}

int gw_loop_run(struct gw_server *s)
{
	struct epoll_event ev[64];
	uint64_t stop_by = 0;

	for (;;) {
		int n = epoll_wait(s->epfd, ev, 64, TICK_MS);
		if (n < 0 && errno != EINTR) {
			log_warn("epoll_wait");
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;
			if (tag >= EV_LISTEN && tag < EV_LISTEN + GW_MAX_LISTEN) {
				if (!atomic_load(&s->stopping))
					on_accept(s, (int)(tag - EV_LISTEN));
			} else if (tag == EV_SIGNAL) {
				struct signalfd_siginfo si;
				while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						reload_tls(s);
						continue;
					}
					if (!atomic_load(&s->stopping)) {
						log_info("signal %u: stopping; %llu requests in flight",
							si.ssi_signo,
							(unsigned long long)atomic_load(&s->nactive));
						begin_stop(s);
						stop_by = gw_now_ms() + STOP_GRACE_MS;
					}
				}
			} else if (tag == EV_TIMER) {
				on_tick(s);
			} else if (tag == EV_WAKE) {
				on_wake(s);
			} else {
				on_conn(s, ev[i].data.ptr, ev[i].events);
			}
		}
		if (atomic_load(&s->stopping)) {
			bool queued;
			pthread_mutex_lock(&s->qlock);
			queued = s->back_head != NULL;
			pthread_mutex_unlock(&s->qlock);
			if (queued)
				on_wake(s);  /* closes them: we are stopping */
			if (atomic_load(&s->nactive) == 0 && s->conns == NULL && !queued)
				break;
			if (gw_now_ms() >= stop_by) {
				log_warnx("%llu requests still running after %d s; leaving them",
					(unsigned long long)atomic_load(&s->nactive),
					STOP_GRACE_MS / 1000);
				return 0;
			}
		}
	}
	gw_workers_join(s);
	return 0;
}

void gw_loop_fini(struct gw_server *s)
{
	struct gw_conn *c, *next;

	pthread_mutex_lock(&s->qlock);
	c = s->back_head;
	s->back_head = NULL;
	pthread_mutex_unlock(&s->qlock);
	for (; c; c = next) {
		next = c->qnext;
		gw_conn_free(s, c);
	}

	for (c = s->conns; c; c = next) {
		next = c->next;
		loop_close(s, c);
	}
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->timerfd >= 0)
		close(s->timerfd);
	if (s->evfd >= 0)
		close(s->evfd);
	s->epfd = s->sigfd = s->timerfd = s->evfd = -1;
}
