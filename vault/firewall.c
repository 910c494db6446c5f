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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "firewall.h"
#include "vg_err.h"

#define DEADLINE_MS 20000

static char conf_path[PATH_MAX];
static char bin_path[PATH_MAX];

void vfw_configure(const char *config, const char *binary)
{
	snprintf(conf_path, sizeof(conf_path), "%s", config ? config : "");
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

int vfw_run(const char *what, const char *source, const char *port, char **out, size_t *len,
	int *status)
{
	const char *argv[8];
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int p[2], st = 0, r = 0, k = 0;
	uint64_t end;
	pid_t pid;

	*out = NULL;
	*len = 0;
	*status = -1;
	if (!*conf_path)
		return VG_EBADSTATE;
	argv[k++] = bin_path;
	if (strcmp(what, "show") == 0 || strcmp(what, "verify") == 0) {
		argv[k++] = what;
	} else if (strcmp(what, "export") == 0) {
		argv[k++] = "export";
		argv[k++] = "--json";
	} else if (strcmp(what, "explain") == 0 && source && source_ok(source) &&
		   (!port || port_ok(port))) {
		argv[k++] = "explain";
	} else {
		return VG_EINVAL;
	}
	argv[k++] = "--config";
	argv[k++] = conf_path;
	if (strcmp(what, "explain") == 0) {
		argv[k++] = source;
		if (port)
			argv[k++] = port;
	}
	argv[k] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if ((pid = fork()) < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
		sigset_t none;
		int devnull = open("/dev/null", O_RDONLY);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		execve(bin_path, (char *const *)argv, envp);
		_exit(127);
	}
	close(p[1]);
	end = mono_ms() + DEADLINE_MS;
	for (;;) {
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
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
		got = read(p[0], buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(p[0]);
	if (r)
		kill(pid, SIGKILL);   /* the helper this call started, by its pid */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r) {
		free(buf);
		return r;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[n] = 0;
	*out = buf;
	*len = n;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	if (*status == 127) {
		free(buf);
		*out = NULL;
		return VG_EINTERNAL;
	}
	return 0;
}
