/* nfttext.c - live rules as nft prints them (see nfttext.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "buf.h"
#include "nfttext.h"
#include "ns.h"
#include "ruleset.h"

#define OUT_MAX (4u << 20)

/* The child: enter the namespace, list the table, write nft's text. */
static void child(const char *netns, int fd)
{
	struct nft_ctx *nft;
	const char *out;
	size_t n;

	if (vn_netns_enter(netns) || !(nft = nft_ctx_new(NFT_CTX_DEFAULT)))
		_exit(1);
	nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_HANDLE);
	if (nft_ctx_buffer_output(nft) || nft_ctx_buffer_error(nft) ||
	    nft_run_cmd_from_buffer(nft, "list table inet " VN_TABLE) ||
	    !(out = nft_ctx_get_output_buffer(nft)))
		_exit(1);
	n = strlen(out);
	_exit(vg_write_full(fd, out, n) ? 1 : 0);
}

static void assign(struct vn_live *have, const char *chain, char *line)
{
	char *h = strstr(line, " # handle "), *p = line, *e;
	uint64_t handle;

	if (!h || vg_parse_u64(h + 10, 1, UINT64_MAX, &handle))
		return;
	*h = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = 0;
	for (size_t i = 0; i < have->nrules; i++) {
		struct vn_live_rule *r = &have->rules[i];
		if (r->handle == handle && strcmp(r->chain, chain) == 0 &&
		    snprintf(r->nft, sizeof(r->nft), "%s", p) >= (int)sizeof(r->nft))
			r->nft[0] = 0;   /* too long to show whole: the expressions instead */
	}
}

int vn_nft_text(const char *netns, struct vn_live *have)
{
	char *buf = NULL, chain[VN_NAME_MAX] = "", *line, *save = NULL;
	size_t len = 0;
	int fds[2], st, e = 0;
	pid_t pid;
	ssize_t n;

	if (!have || !have->nrules)
		return 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	if ((pid = fork()) < 0) {
		e = errno;
		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	if (pid == 0) {
		close(fds[0]);
		child(netns, fds[1]);
	}
	close(fds[1]);
	if (!(buf = malloc(OUT_MAX + 1)))
		e = ENOMEM;
	while (!e && len < OUT_MAX && (n = read(fds[0], buf + len, OUT_MAX - len)) != 0) {
		if (n < 0 && errno != EINTR)
			e = errno;
		else if (n > 0)
			len += (size_t)n;
	}
	close(fds[0]);
	if (e || len >= OUT_MAX)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!e && (len >= OUT_MAX || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
		e = EIO;
	if (e) {
		free(buf);
		return -e;
	}
	buf[len] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[VN_NAME_MAX];
		if (sscanf(line, " chain %63s {", name) == 1) {
			snprintf(chain, sizeof(chain), "%s", name);
		} else if (sscanf(line, " set %63s {", name) == 1) {
			chain[0] = 0;   /* set bodies hold no rules */
		} else if (*chain && strstr(line, " # handle ") && !strstr(line, "type filter hook")) {
			assign(have, chain, line);
		} else if (strcmp(line, "\t}") == 0) {
			chain[0] = 0;
		}
	}
	free(buf);
	return 0;
}
