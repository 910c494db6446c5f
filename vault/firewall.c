/* firewall.c - see firewall.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "firewall.h"
#include "vg_err.h"

#define DEADLINE_MS 20000

static char conf_path[PATH_MAX];
static char bin_path[PATH_MAX];
static char sock_path[108];

void vfw_configure(const char *config, const char *binary, const char *socket)
{
	snprintf(conf_path, sizeof(conf_path), "%s", config ? config : "");
	snprintf(sock_path, sizeof(sock_path), "%s", socket ? socket : "");
	if (binary) {
		snprintf(bin_path, sizeof(bin_path), "%s", binary);
		return;
	}
	{
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		char *slash;
		if (n > 0) {
			self[n] = 0;
			if ((slash = strrchr(self, '/'))) {
				*slash = 0;
				if (snprintf(bin_path, sizeof(bin_path), "%s/vaultnet", self) <
				    (int)sizeof(bin_path) && access(bin_path, X_OK) == 0)
					return;
			}
		}
	}
	snprintf(bin_path, sizeof(bin_path), "/usr/sbin/vaultnet");
}

/* An IPv4 or IPv6 address as typed: hex digits, dots and colons only
 * (vaultnet parses it strictly; this only keeps odd bytes out of argv). */
static bool source_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 45 && strspn(s, "0123456789abcdefABCDEF.:") == n;
}

static bool port_ok(const char *s)
{
	size_t n = strlen(s);

	if (strcmp(s, "ping") == 0)
		return true;
	return n > 0 && n <= 5 && strspn(s, "0123456789") == n && atoi(s) >= 1 && atoi(s) <= 65535;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reads fd to EOF (or the deadline, or VFW_OUT_MAX) into *buf. */
static int read_all(int fd, uint64_t end, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		uint64_t now = mono_ms();
		ssize_t got;
		if (now >= end) {
			r = VG_EINTERNAL;
			break;
		}
		if (poll(&pf, 1, (int)(end - now)) <= 0)
			continue;
		if (cap - n < 4096) {
			char *nb;
			if (cap >= VFW_OUT_MAX || !(nb = realloc(buf, cap ? cap * 2 : 16384))) {
				r = VG_ETOOBIG;
				break;
			}
			buf = nb;
			cap = cap ? cap * 2 : 16384;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	if (r) {
		free(buf);
		return r;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The socket-activated helper: connect, one line, read to EOF. */
static int via_socket(const char *req, uint64_t end, char **out, size_t *len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (r = write_all(fd, req, strlen(req))) || shutdown(fd, SHUT_WR) < 0) {
		close(fd);
		return VG_EINTERNAL;
	}
	r = read_all(fd, end, out, len);
	close(fd);
	return r;
}

/* vaultd's own child: `vaultnet serve --config FILE`, the request on its stdin. */
static int via_exec(const char *req, uint64_t end, char **out, size_t *len)
{
	const char *argv[] = {bin_path, "serve", "--config", conf_path, NULL};
	int in[2], outp[2], st = 0, r;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(outp, O_CLOEXEC) < 0) {
		r = -errno;
		close(in[0]);
		close(in[1]);
		return r;
	}
	if ((pid = fork()) < 0) {
		r = -errno;
		close(in[0]);
		close(in[1]);
		close(outp[0]);
		close(outp[1]);
		return r;
	}
	if (pid == 0) {
		static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) < 0 || dup2(outp[1], 1) < 0 || dup2(outp[1], 2) < 0)
			_exit(127);
		execve(bin_path, (char *const *)argv, envp);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	r = write_all(in[1], req, strlen(req));
	close(in[1]);
	if (!r)
		r = read_all(outp[0], end, out, len);
	close(outp[0]);
	if (r)
		kill(pid, SIGKILL);   /* the helper this call started, by its pid */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!r && WIFEXITED(st) && WEXITSTATUS(st) == 127 && *len == 0) {
		free(*out);
		*out = NULL;
		r = VG_EINTERNAL;   /* could not run it */
	}
	return r;
}

int vfw_run(const char *what, const char *source, const char *port, char **out, size_t *len,
	int *status)
{
	char req[128], *tail;
	uint64_t end = mono_ms() + DEADLINE_MS;
	int r;

	*out = NULL;
	*len = 0;
	*status = -1;
	if (!*conf_path && !*sock_path)
		return VG_EBADSTATE;
	if (strcmp(what, "show") == 0 || strcmp(what, "verify") == 0 || strcmp(what, "export") == 0)
		snprintf(req, sizeof(req), "%s\n", what);
	else if (strcmp(what, "explain") == 0 && source && source_ok(source) && (!port || port_ok(port)))
		snprintf(req, sizeof(req), "explain %s%s%s\n", source, port ? " " : "", port ? port : "");
	else
		return VG_EINVAL;
	r = *sock_path ? via_socket(req, end, out, len) : via_exec(req, end, out, len);
	if (r)
		return r;
	/* the trailer: the last line, "vaultnet-exit N" */
	while (*len && (*out)[*len - 1] == '\n')
		(*out)[--*len] = 0;
	tail = strrchr(*out, '\n');
	tail = tail ? tail + 1 : *out;
	if (sscanf(tail, "vaultnet-exit %d", status) != 1) {
		free(*out);
		*out = NULL;
		*len = 0;
		return VG_EPROTO;
	}
	*tail = 0;
	*len = (size_t)(tail - *out);
	return 0;
}
