/* vaultnet - the private-endpoint namespace and its firewall.
 *
 * Errors go to stderr as one line ("vaultnet: ..."). Exit status: 0 done,
 * 1 failed or drift found, 2 usage or configuration error. See usage().
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include <jansson.h>

#include "audit.h"
#include "buf.h"
#include "config.h"
#include "export.h"
#include "link.h"
#include "lockfile.h"
#include "log.h"
#include "nflog.h"
#include "nfttext.h"
#include "nft.h"
#include "ns.h"
#include "path.h"
#include "ruleset.h"
#include "verify.h"
#include "vg_err.h"

#define EXIT_DRIFT 1
#define EXIT_USAGE 2
#define VN_LOCK_DIR "/run/vaultnet"   /* per-namespace command locks (main) */

struct opts {
	const char *config;
	const char *vaultd_socket;
	bool json;
	bool check;
	bool force;             /* up: apply an allowlist of 0.0.0.0/0 or ::/0 */
	bool to;                /* explain --to: an outbound connection */
	unsigned interval;      /* watch: seconds per summary */
	int verbose;
	const char *cmd;
	int argc;               /* positional arguments after the command */
	char **argv;
};

/* Where first boot (image/files/firstboot) writes the appliance's file. */
#define VN_DEFAULT_CONFIG "/etc/vaultgate/vaultnet.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vaultnet --check --config FILE\n"
		"       vaultnet up      --config FILE [--vaultd-socket PATH] [--force]\n"
		"       vaultnet down    --config FILE\n"
		"       vaultnet show    [--config FILE]\n"
		"       vaultnet verify  [--config FILE] [--vaultd-socket PATH]\n"
		"       vaultnet explain [--config FILE] SOURCE [PORT|ping]\n"
		"       vaultnet explain [--config FILE] --to DESTINATION PORT\n"
		"       vaultnet export  [--config FILE] --json\n"
		"       (show, verify, explain, export: FILE defaults to " VN_DEFAULT_CONFIG ")\n"
		"       vaultnet watch   --config FILE [--vaultd-socket PATH] [--interval SECONDS]\n"
		"       vaultnet exec    --config FILE -- COMMAND [ARG...]\n"
		"       vaultnet serve   [--config FILE]   one request on stdin (show | verify | export |\n"
		"                        explain SOURCE [PORT|ping]), its output, \"vaultnet-exit N\"\n"
		"exit status: 0 done, 1 failed or drift, 2 usage or configuration error\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static char *pos[64];
	int npos = 0;

	memset(o, 0, sizeof(*o));
	o->interval = 60;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			while (++i < argc && npos < 64)
				pos[npos++] = argv[i];
			break;
		} else if (strcmp(a, "--config") == 0 && i + 1 < argc) {
			o->config = argv[++i];
		} else if (strcmp(a, "--vaultd-socket") == 0 && i + 1 < argc) {
			o->vaultd_socket = argv[++i];
		} else if (strcmp(a, "--interval") == 0 && i + 1 < argc) {
			uint64_t v;

			if (vg_parse_u64(argv[++i], 1, 3600, &v)) {
				log_warnx("--interval \"%s\": expected 1-3600 seconds", argv[i]);
				return EXIT_USAGE;
			}
			o->interval = (unsigned)v;
		} else if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "--check") == 0) {
			o->check = true;
		} else if (strcmp(a, "--force") == 0) {
			o->force = true;
		} else if (strcmp(a, "--to") == 0) {
			o->to = true;
		} else if (strcmp(a, "-v") == 0) {
			o->verbose++;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		} else if (a[0] == '-' && a[1] == '-') {
			log_warnx("unknown option %s (or it is missing its value)", a);
			return EXIT_USAGE;
		} else if (npos < 64) {
			pos[npos++] = argv[i];
		}
	}
	if (o->check) {
		o->cmd = "check";
		o->argv = pos;
		o->argc = npos;
	} else if (npos > 0) {
		o->cmd = pos[0];
		o->argv = pos + 1;
		o->argc = npos - 1;
	}
	if (!o->cmd) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* The commands that only look default to the appliance's file. */
	if (!o->config && (strcmp(o->cmd, "show") == 0 || strcmp(o->cmd, "verify") == 0 ||
			   strcmp(o->cmd, "serve") == 0 ||
			   strcmp(o->cmd, "explain") == 0 || strcmp(o->cmd, "export") == 0))
		o->config = VN_DEFAULT_CONFIG;
	if (!o->config) {
		log_warnx("%s: --config FILE is required", o->cmd);
		return EXIT_USAGE;
	}
	return 0;
}

/* Everything a command needs: the config, the ruleset it implies and the
 * expected kernel state. */
struct ctx {
	struct opts *o;
	struct vn_config *cfg;
	struct vn_ruleset *rs;
	struct vn_live *want;
	const char *sock;       /* vaultd socket, or NULL */
	char cdigest[65];
};

static int ctx_load(struct ctx *x, struct opts *o)
{
	char err[VN_ERR_MAX];
	int r;

	memset(x, 0, sizeof(*x));
	x->o = o;
	if ((r = vn_config_load(o->config, &x->cfg, err, sizeof(err)))) {
		log_warnx("%s", err[0] ? err : vg_strerror(r));
		return EXIT_USAGE;
	}
	if ((r = vn_ruleset_build(x->cfg, &x->rs)) || (r = vn_nft_expected(x->rs, &x->want)) ||
	    (r = vn_config_digest(x->cfg, x->cdigest))) {
		log_warnx("%s: building the ruleset: %s", o->config, vg_strerror(r));
		return 1;
	}
	x->sock = o->vaultd_socket ? o->vaultd_socket : x->cfg->vaultd_socket[0] ? x->cfg->vaultd_socket : NULL;
	return 0;
}

static void ctx_free(struct ctx *x)
{
	vn_live_free(x->want);
	vn_ruleset_free(x->rs);
	vn_config_free(x->cfg);
}

/* Reads the live table; an absent namespace is an empty live state. */
static int read_live(struct ctx *x, struct vn_live **out)
{
	struct mnl_socket *nl = NULL;
	int r;

	*out = NULL;
	if (!vn_netns_exists(x->cfg->netns)) {
		*out = calloc(1, sizeof(**out));
		return *out ? 0 : -ENOMEM;
	}
	if ((r = vn_nft_open(x->cfg->netns, &nl))) {
		log_warnx("namespace %s: opening nfnetlink: %s", x->cfg->netns, vg_strerror(r));
		return r;
	}
	if ((r = vn_nft_read(nl, out)))
		log_warnx("namespace %s: reading table inet %s: %s", x->cfg->netns, VN_TABLE, vg_strerror(r));
	vn_nft_close(nl);
	/* A rule the configuration does not explain is shown as nft prints it. */
	for (size_t i = 0; !r && i < (*out)->nrules; i++)
		if (vn_rule_match(x->want, &(*out)->rules[i]) < 0) {
			(void)vn_nft_text(x->cfg->netns, *out);
			break;
		}
	return r;
}

/* An allowlist entry of length 0 admits every source of its family: say
 * so, every time. Returns how many there are. */
static int warn_any_source(const struct vn_config *c)
{
	int n = 0;

	for (size_t i = 0; i < c->nallow4; i++)
		n += c->allow4[i].plen == 0;
	for (size_t i = 0; i < c->nallow6; i++)
		n += c->allow6[i].plen == 0;
	for (size_t i = 0; i < c->nallow4; i++) {
		if (c->allow4[i].plen == 0)
			log_warnx("warning: allow_v4 has 0.0.0.0/0: every IPv4 source on every network may connect");
	}
	for (size_t i = 0; i < c->nallow6; i++) {
		if (c->allow6[i].plen == 0)
			log_warnx("warning: allow_v6 has ::/0: every IPv6 source on every network may connect");
	}
	return n;
}

static int cmd_check(struct ctx *x)
{
	warn_any_source(x->cfg);
	printf("configuration OK (namespace %s, %zu rules, config sha256 %s)\n", x->cfg->netns, x->rs->nrules,
	       x->cdigest);
	return 0;
}

static int audit(struct ctx *x, const char *op, const char *reason, const char *kind)
{
	char err[1200];
	int r;

	if (!x->sock)
		return 0;
	if ((r = vn_audit_event(x->sock, op, x->cfg->netns, reason, kind, err, sizeof(err)))) {
		log_warnx("audit event %s to %s: %s", op, x->sock, err);
		return 1;
	}
	return 0;
}

static int cmd_up(struct ctx *x)
{
	struct mnl_socket *nl = NULL;
	struct vn_nft_err ne;
	struct vn_live *have = NULL;
	struct vg_wr diff;
	char step[256], ldig[65], reason[256];
	size_t nd;
	int r, rc = 1;

	vg_wr_init(&diff, 1u << 20);
	if (warn_any_source(x->cfg) && !x->o->force) {
		log_warnx("up: refusing an allowlist that admits every source; pass --force to apply it anyway");
		snprintf(reason, sizeof(reason), "allowlist admits every source (0.0.0.0/0 or ::/0) and --force was not given");
		audit(x, "firewall.apply-refused", reason, NULL);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((r = vn_link_up(x->cfg, step, sizeof(step)))) {
		log_warnx("up: %s: %s", step, vg_strerror(r));
		goto out;
	}
	if ((r = vn_path_harden(x->cfg, step, sizeof(step)))) {
		log_warnx("up: %s: %s", step, vg_strerror(r));
		goto out;
	}
	if ((r = vn_nft_open(x->cfg->netns, &nl))) {
		log_warnx("up: namespace %s: opening nfnetlink: %s", x->cfg->netns, vg_strerror(r));
		goto out;
	}
	if ((r = vn_nft_apply(nl, x->rs, &ne))) {
		log_warnx("up: the kernel refused %s: %s%s%s%s", ne.what[0] ? ne.what : "the batch", vg_strerror(r),
			  ne.kmsg[0] ? " (" : "", ne.kmsg, ne.kmsg[0] ? ")" : "");
		goto out;
	}
	if ((r = vn_nft_read(nl, &have))) {
		log_warnx("up: reading the table back: %s", vg_strerror(r));
		goto out;
	}
	if ((nd = vn_verify(x->rs, x->want, have, &diff))) {
		log_warnx("up: the table read back differs from what was applied (%zu differences):\n%.*s", nd,
			  (int)diff.len, (const char *)diff.p);
		goto out;
	}
	if ((r = vn_live_digest(have, ldig)))
		goto out;
	{
		size_t pruned = 0;
		if ((r = vn_path_ct_prune(x->cfg, &pruned))) {
			log_warnx("up: removing connections the configuration no longer admits: %s",
				vg_strerror(r));
			goto out;
		}
		if (pruned)
			printf("namespace %s: %zu tracked connection%s no rule admits any more removed\n",
			       x->cfg->netns, pruned, pruned == 1 ? "" : "s");
	}
	printf("namespace %s up: %s %s, table inet %s with %zu rules, ruleset sha256 %s, config sha256 %s\n",
	       x->cfg->netns, vn_link_mode_name(x->cfg->link), x->cfg->ifname, VN_TABLE, have->nrules, ldig,
	       x->cdigest);
	snprintf(reason, sizeof(reason), "ruleset sha256 %s config sha256 %s", ldig, x->cdigest);
	rc = audit(x, "firewall.apply", reason, NULL);
out:
	vg_wr_free(&diff);
	vn_live_free(have);
	vn_nft_close(nl);
	return rc;
}

static int cmd_down(struct ctx *x)
{
	struct mnl_socket *nl = NULL;
	struct vn_nft_err ne;
	char step[256];
	int r;

	if (vn_netns_exists(x->cfg->netns)) {
		if ((r = vn_nft_open(x->cfg->netns, &nl)) || (r = vn_nft_delete(nl, &ne))) {
			log_warnx("down: deleting table inet %s in %s: %s", VN_TABLE, x->cfg->netns, vg_strerror(r));
			vn_nft_close(nl);
			return 1;
		}
		vn_nft_close(nl);
	}
	if ((r = vn_link_down(x->cfg, step, sizeof(step)))) {
		log_warnx("down: %s: %s", step, vg_strerror(r));
		return 1;
	}
	printf("namespace %s down\n", x->cfg->netns);
	return 0;
}

static int cmd_show(struct ctx *x)
{
	struct vn_link_state st;
	struct vn_live *have = NULL;
	struct vg_wr w;
	char a[VN_ADDR_STRLEN];
	int r;

	if ((r = vn_link_state(x->cfg, &st))) {
		log_warnx("show: %s: %s", x->cfg->netns, vg_strerror(r));
		return 1;
	}
	vn_prefix_fmt(&x->cfg->address, a, sizeof(a));
	printf("# namespace %s: %s\n", x->cfg->netns, st.netns ? "present" : "ABSENT");
	printf("# link %s (%s): %s, address %s", x->cfg->ifname, vn_link_mode_name(x->cfg->link),
	       !st.link ? "ABSENT" : st.up ? "up" : "DOWN", a);
	if (x->cfg->has_address6) {
		vn_prefix_fmt(&x->cfg->address6, a, sizeof(a));
		printf(", %s", a);
	}
	printf("\n# service: tcp/%u", x->cfg->port);
	for (size_t i = 1; i < x->cfg->nports; i++)
		printf(",%u", x->cfg->ports[i]);
	printf(", config sha256 %s\n", x->cdigest);
	if (!st.netns)
		return 1;
	if ((r = read_live(x, &have)))
		return 1;
	vg_wr_init(&w, 4u << 20);
	vn_show_text(x->rs, x->want, have, &w);
	fwrite(w.p, 1, w.len, stdout);
	vg_wr_free(&w);
	vn_live_free(have);
	return 0;
}

static int cmd_verify(struct ctx *x)
{
	struct vn_live *have = NULL;
	struct vg_wr diff;
	char ldig[65] = "", reason[256];
	size_t nd, np = 0;
	int rc;

	if (read_live(x, &have))
		return 1;
	vg_wr_init(&diff, 4u << 20);
	nd = 0;
	if (!vn_netns_exists(x->cfg->netns)) {
		vg_wr_printf(&diff, "- namespace %s: missing\n", x->cfg->netns);
		nd++;
	}
	nd += vn_verify(x->rs, x->want, have, &diff);
	/* the rest of the namespace's packet path (path.h) */
	if (vn_netns_exists(x->cfg->netns))
		np = vn_path_check(x->cfg, &diff);
	vn_live_digest(have, ldig);
	if (nd + np == 0) {
		printf("namespace %s: table inet %s matches the configuration, and so does the packet path outside\n"
		       "  nftables (sysctls, links, addresses, routes, policy rules, neighbours, tc, xdp, x_tables, conntrack)\n"
		       "  (ruleset sha256 %s, config sha256 %s)\n",
		       x->cfg->netns, VN_TABLE, ldig, x->cdigest);
		rc = 0;
	} else {
		if (np == 0)
			printf("namespace %s: DRIFT: table inet %s differs from the configuration in %zu place%s\n",
			       x->cfg->netns, VN_TABLE, nd, nd == 1 ? "" : "s");
		else
			printf("namespace %s: DRIFT: the packet path outside nftables differs from the configuration in %zu place%s"
			       " (table inet %s: %zu)\n", x->cfg->netns, np, np == 1 ? "" : "s", VN_TABLE, nd);
		printf("  (- expected but missing, + present but not expected, ! different)\n%.*s", (int)diff.len,
		       (const char *)diff.p);
		snprintf(reason, sizeof(reason),
			 "ruleset sha256 %s differs from config sha256 %s in %zu place%s; outside nftables: %zu",
			 ldig, x->cdigest, nd, nd == 1 ? "" : "s", np);
		audit(x, "firewall.drift", reason, "firewall-drift");
		rc = EXIT_DRIFT;
	}
	vg_wr_free(&diff);
	vn_live_free(have);
	return rc;
}

/* explain --to DESTINATION PORT: a new TCP connection the namespace opens. */
static int explain_out(struct ctx *x)
{
	struct vn_addr dst;
	struct vn_live *have = NULL;
	struct vg_wr diff;
	const struct vn_rule *ru;
	const struct vn_live_rule *lr = NULL;
	uint64_t port;
	int idx, pos = 0;
	size_t nd;
	bool drift;
	char s[VN_ADDR_STRLEN];

	if (x->o->argc != 2) {
		log_warnx("explain --to: expected DESTINATION PORT");
		return EXIT_USAGE;
	}
	if (vn_addr_parse(x->o->argv[0], 0, &dst)) {
		log_warnx("explain --to: \"%s\": not an IPv4 or IPv6 address", x->o->argv[0]);
		return EXIT_USAGE;
	}
	if (vg_parse_u64(x->o->argv[1], 1, 65535, &port)) {
		log_warnx("explain --to: \"%s\": not a port (1-65535)", x->o->argv[1]);
		return EXIT_USAGE;
	}
	vn_addr_fmt(&dst, s, sizeof(s));
	idx = vn_ruleset_explain_out(x->rs, &dst, (uint16_t)port);
	if (read_live(x, &have))
		return 1;
	if (idx >= 0)
		lr = vn_live_find(have, x->want, (size_t)idx);
	vg_wr_init(&diff, 4u << 20);
	nd = vn_verify(x->rs, x->want, have, &diff);
	vg_wr_free(&diff);
	drift = nd || (idx >= 0 && !lr);
	if (drift)
		printf("WARNING: the live table differs from the configuration (%zu differences): the answer\n"
		       "below is what the configuration decides, not necessarily what the kernel does.\n"
		       "Run: vaultnet verify --config %s\n", nd, x->o->config);
	printf("new connection from namespace %s to %s tcp/%u: ", x->cfg->netns, s, (unsigned)port);
	if (idx < 0) {
		printf("DROP by the output chain's policy\n");
		vn_live_free(have);
		return drift ? EXIT_DRIFT : 1;
	}
	ru = &x->rs->rules[idx];
	for (int i = 0; i <= idx; i++)
		pos += x->rs->rules[i].chain == ru->chain;
	printf("%s\n", ru->verdict == VN_ACCEPT ? "ACCEPT" : "DROP (counted; the connect times out)");
	printf("  decided by chain %s rule %d", vn_chain_name(ru->chain), pos);
	if (lr)
		printf(" (handle %llu, %llu packets so far)", (unsigned long long)lr->handle,
		       (unsigned long long)lr->packets);
	printf(": \"%s\"\n    %s\n", ru->comment, ru->text);
	if (ru->kind == VN_R_EGRESS)
		printf("  replies and later packets of the connection are accepted by rule 1 (ct state established,related)\n");
	else if (ru->verdict == VN_DROP)
		printf("  %zu egress rule%s in the configuration%s\n", x->cfg->negress, x->cfg->negress == 1 ? "" : "s",
		       x->cfg->negress ? "; none admits this destination and port" : ": the namespace opens no connection");
	vn_live_free(have);
	return drift ? EXIT_DRIFT : 0;
}

static int cmd_explain(struct ctx *x)
{
	struct vn_addr src;
	struct vn_live *have = NULL;
	struct vg_wr diff;
	const struct vn_rule *ru;
	const struct vn_live_rule *lr = NULL;
	int proto = IPPROTO_TCP, idx, pos = 0;
	uint64_t port = x->cfg->port;
	size_t nd;
	bool drift;
	char s[VN_ADDR_STRLEN];

	if (x->o->to)
		return explain_out(x);
	if (x->o->argc < 1 || x->o->argc > 2) {
		log_warnx("explain: expected SOURCE [PORT|ping]");
		return EXIT_USAGE;
	}
	if (vn_addr_parse(x->o->argv[0], 0, &src)) {
		log_warnx("explain: \"%s\": not an IPv4 or IPv6 address", x->o->argv[0]);
		return EXIT_USAGE;
	}
	if (x->o->argc == 2) {
		if (strcmp(x->o->argv[1], "ping") == 0)
			proto = src.family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		else if (vg_parse_u64(x->o->argv[1], 1, 65535, &port)) {
			log_warnx("explain: \"%s\": not a port (1-65535) or \"ping\"", x->o->argv[1]);
			return EXIT_USAGE;
		}
	}
	vn_addr_fmt(&src, s, sizeof(s));
	idx = vn_ruleset_explain(x->rs, &src, proto, (uint16_t)port);
	/* Drift first: an answer about a table the kernel does not hold must
	 * not be read before the warning that says so. */
	if (read_live(x, &have))
		return 1;
	if (idx >= 0)
		lr = vn_live_find(have, x->want, (size_t)idx);
	vg_wr_init(&diff, 4u << 20);
	nd = vn_verify(x->rs, x->want, have, &diff);
	vg_wr_free(&diff);
	drift = nd || (idx >= 0 && !lr);
	if (drift)
		printf("WARNING: the live table differs from the configuration (%zu differences): the answer\n"
		       "below is what the configuration decides, not necessarily what the kernel does.\n"
		       "Run: vaultnet verify --config %s\n", nd, x->o->config);
	if (proto == IPPROTO_TCP)
		printf("new connection from %s to tcp/%u: ", s, (unsigned)port);
	else
		printf("echo request (ping) from %s: ", s);
	if (idx < 0) {
		printf("DROP by the input chain's policy\n");
		vn_live_free(have);
		return drift ? EXIT_DRIFT : 1;
	}
	ru = &x->rs->rules[idx];
	for (int i = 0; i <= idx; i++)
		pos += x->rs->rules[i].chain == ru->chain;
	printf("%s\n", ru->verdict == VN_ACCEPT ? "ACCEPT" : "DROP (silently: no reset, no ICMP error)");
	printf("  decided by chain %s rule %d", vn_chain_name(ru->chain), pos);
	if (lr)
		printf(" (handle %llu, %llu packets so far)", (unsigned long long)lr->handle,
		       (unsigned long long)lr->packets);
	printf(": \"%s\"\n    %s\n", ru->comment, ru->text);
	{
		const struct vn_pin *pin = vn_ruleset_pin(x->rs, &src);

		for (size_t i = 0; i < x->rs->nrules; i++) {
			const struct vn_rule *pr = &x->rs->rules[i];
			int p2 = 0;

			if (pr->kind != VN_R_PIN || pr->family != src.family)
				continue;
			for (size_t k = 0; k <= i; k++)
				p2 += x->rs->rules[k].chain == VN_CH_INPUT;
			if (pin)
				printf("  pinned: %s counts only from MAC %02x:%02x:%02x:%02x:%02x:%02x (set pin_v%c);"
				       " from any other MAC: DROP by chain input rule %d\n", s, pin->mac[0], pin->mac[1],
				       pin->mac[2], pin->mac[3], pin->mac[4], pin->mac[5], src.family == AF_INET ? '4' : '6', p2);
			else if (ru->kind != VN_R_PIN)
				printf("  not pinned: this verdict holds for any sender on the segment that uses %s\n", s);
		}
	}
	if (ru->kind == VN_R_GATEWAY) {
		const struct vn_set *ms = vn_ruleset_set(x->rs, src.family == AF_INET ? "rate_v4" : "rate_v6");

		for (size_t i = (size_t)idx + 1; i < x->rs->nrules; i++) {
			int p2 = 0;

			if (x->rs->rules[i].kind != VN_R_METER_FULL || x->rs->rules[i].family != src.family)
				continue;
			for (size_t k = 0; k <= i; k++)
				p2 += x->rs->rules[k].chain == VN_CH_INPUT;
			printf("  over its own rate (%s in the meter %s): DROP; if the meter is full (%u sources) and\n"
			       "  %s is not in it: ACCEPT without a per-source limit by chain input rule %d\n",
			       s, ms ? ms->name : "?", ms ? ms->size : 0, s, p2);
		}
		printf("  later packets of the connection are accepted by rule 1 (ct state established,related)\n");
	}
	vn_live_free(have);
	return drift ? EXIT_DRIFT : 0;
}

static int cmd_export(struct ctx *x)
{
	struct vn_live *have = NULL;
	struct vg_wr diff;
	json_t *j;
	size_t nd;

	if (!x->o->json) {
		log_warnx("export: only --json is supported");
		return EXIT_USAGE;
	}
	if (read_live(x, &have))
		return 1;
	vg_wr_init(&diff, 4u << 20);
	nd = vn_verify(x->rs, x->want, have, &diff);
	vg_wr_free(&diff);
	j = vn_export_json(x->cfg, x->rs, x->want, have, nd);
	if (!j || json_dumpf(j, stdout, JSON_INDENT(2)) < 0) {
		log_warnx("export: JSON encoding failed");
		json_decref(j);
		vn_live_free(have);
		return 1;
	}
	printf("\n");
	json_decref(j);
	vn_live_free(have);
	return 0;
}

static int cmd_exec(struct ctx *x)
{
	int r;

	if (x->o->argc < 1) {
		log_warnx("exec: expected -- COMMAND [ARG...]");
		return EXIT_USAGE;
	}
	if ((r = vn_netns_enter(x->cfg->netns))) {
		log_warnx("exec: entering namespace %s: %s", x->cfg->netns, vg_strerror(r));
		return 1;
	}
	execvp(x->o->argv[0], x->o->argv);
	log_warn("exec: %s", x->o->argv[0]);
	return 127;
}

static void on_packet(const struct vn_nflog_pkt *p, void *arg)
{
	vn_drops_add(arg, p);
}

/* watch: what reaches the audit log is bounded whatever the flood: per
 * interval one firewall.drops event (totals and the top sources), and one
 * firewall.scan-detected per episode (a source probing more than
 * VN_DROPS_MAX_PORTS ports, or VN_SCAN_SOURCES sources in one interval);
 * an episode ends after VN_SCAN_QUIET intervals without either. */
#define VN_WATCH_TOP_AUDIT 5
#define VN_WATCH_TOP_PRINT 10
#define VN_SCAN_SOURCES 256
#define VN_SCAN_QUIET 3

struct watch_state {
	bool episode;
	unsigned quiet;
	uint64_t episodes;
};

static void watch_audit(struct ctx *x, const char *op, const char *reason, const char *kind)
{
	char err[1200];

	if (x->sock && vn_audit_event(x->sock, op, x->cfg->netns, reason, kind, err, sizeof(err)))
		log_warnx("watch: audit event %s: %s", op, err);
}

static void flush_drops(struct ctx *x, struct vn_drops *d, struct watch_state *ws)
{
	size_t top[VN_WATCH_TOP_PRINT], ntop, wide = SIZE_MAX;
	char src[VN_ADDR_STRLEN], why[256], reason[1000];
	struct vg_wr w;
	bool scan;

	if (d->total == 0) {
		if (ws->episode && ++ws->quiet >= VN_SCAN_QUIET) {
			ws->episode = false;
			printf("firewall.scan-ended: %u quiet intervals\n", VN_SCAN_QUIET);
			fflush(stdout);
		}
		return;
	}
	ntop = vn_drops_top(d, top, VN_WATCH_TOP_PRINT);
	for (size_t i = 0; i < d->n && wide == SIZE_MAX; i++)
		if (d->src[i].more_ports)
			wide = i;
	scan = wide != SIZE_MAX || d->n >= VN_SCAN_SOURCES || d->overflow;

	vg_wr_init(&w, sizeof(reason));
	vg_wr_printf(&w, "%llu packet%s from %zu%s source%s", (unsigned long long)d->total, d->total == 1 ? "" : "s",
		     d->n, d->overflow ? "+" : "", d->n == 1 && !d->overflow ? "" : "s");
	if (d->overflow)
		vg_wr_printf(&w, " (%llu packets from sources past the first %u)", (unsigned long long)d->overflow,
			     VN_DROPS_MAX_SOURCES);
	vg_wr_printf(&w, "; top:");
	for (size_t i = 0; i < ntop && i < VN_WATCH_TOP_AUDIT; i++) {
		vn_addr_fmt(&d->src[top[i]].src, src, sizeof(src));
		if (vn_drop_reason(&d->src[top[i]], why, sizeof(why)))
			snprintf(why, sizeof(why), "%llu packets", (unsigned long long)d->src[top[i]].packets);
		vg_wr_printf(&w, "%s %s %s", i ? ";" : "", src, why);
	}
	if (w.err || w.len >= sizeof(reason)) {
		snprintf(reason, sizeof(reason), "%llu packets from %zu sources", (unsigned long long)d->total, d->n);
	} else {
		memcpy(reason, w.p, w.len);
		reason[w.len] = '\0';
	}
	vg_wr_free(&w);

	printf("firewall.summary: %s\n", reason);
	for (size_t i = 0; i < ntop; i++) {
		vn_addr_fmt(&d->src[top[i]].src, src, sizeof(src));
		vn_drop_reason(&d->src[top[i]], why, sizeof(why));
		printf("firewall.drops %s: %s\n", src, why);
	}
	if (d->n > ntop || d->overflow)
		printf("firewall.drops (%zu%s more sources): counted in the summary only\n", d->n - ntop,
		       d->overflow ? "+" : "");
	watch_audit(x, "firewall.drops", reason, NULL);

	if (scan && !ws->episode) {
		ws->episode = true;
		ws->episodes++;
		if (wide != SIZE_MAX) {
			vn_addr_fmt(&d->src[wide].src, src, sizeof(src));
			snprintf(reason, sizeof(reason),
				 "episode %llu: %s probed more than %u ports; %zu%s sources, %llu packets this interval",
				 (unsigned long long)ws->episodes, src, VN_DROPS_MAX_PORTS, d->n, d->overflow ? "+" : "",
				 (unsigned long long)d->total);
		} else {
			snprintf(reason, sizeof(reason),
				 "episode %llu: %zu%s sources dropped in one interval (at least %u: a sweep or forged sources), %llu packets",
				 (unsigned long long)ws->episodes, d->n, d->overflow ? "+" : "", VN_SCAN_SOURCES,
				 (unsigned long long)d->total);
		}
		printf("firewall.scan-detected: %s\n", reason);
		watch_audit(x, "firewall.scan-detected", reason, "scan-detected");
	}
	if (scan)
		ws->quiet = 0;
	else if (ws->episode && ++ws->quiet >= VN_SCAN_QUIET) {
		ws->episode = false;
		printf("firewall.scan-ended: %u quiet intervals\n", VN_SCAN_QUIET);
	}
	fflush(stdout);
	vn_drops_reset(d);
}

static int cmd_watch(struct ctx *x)
{
	struct vn_nflog *nf = NULL;
	struct vn_drops *d = calloc(1, sizeof(*d));
	struct watch_state ws = {0};
	struct pollfd pfd[2];
	sigset_t mask;
	uint64_t lost = 0;
	struct timespec now, next;
	int sfd = -1, r, rc = 1;

	if (!d)
		return 1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || (sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		log_warn("watch: signalfd");
		goto out;
	}
	if ((r = vn_nflog_open(x->cfg->netns, x->cfg->nflog_group, &nf))) {
		log_warnx("watch: binding NFLOG group %u in %s: %s", x->cfg->nflog_group, x->cfg->netns,
			  vg_strerror(r));
		goto out;
	}
	printf("watching NFLOG group %u in namespace %s, one summary every %us\n", x->cfg->nflog_group,
	       x->cfg->netns, x->o->interval);
	fflush(stdout);
	pfd[0] = (struct pollfd){.fd = vn_nflog_fd(nf), .events = POLLIN};
	pfd[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
	clock_gettime(CLOCK_MONOTONIC, &next);
	next.tv_sec += x->o->interval;
	for (;;) {
		long ms;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (next.tv_sec - now.tv_sec) * 1000 + (next.tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0) {
			flush_drops(x, d, &ws);
			next.tv_sec += x->o->interval;
			continue;
		}
		if ((r = poll(pfd, 2, (int)ms)) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("watch: poll");
			goto out;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				break;
		}
		if (pfd[0].revents & POLLIN) {
			r = vn_nflog_read(nf, on_packet, d, &lost);
			if (r == -ENOBUFS)
				log_warnx("watch: the kernel dropped log messages (%llu times so far)",
					  (unsigned long long)lost);
			else if (r) {
				log_warnx("watch: reading NFLOG: %s", vg_strerror(r));
				goto out;
			}
		}
	}
	flush_drops(x, d, &ws);
	rc = 0;
out:
	vn_nflog_close(nf);
	if (sfd >= 0)
		close(sfd);
	free(d);
	return rc;
}

/* One changer per namespace (see main). The lock lives on tmpfs: it is
 * about running processes, and a reboot forgets them. */
static int lock_ns(const char *netns, const char *cmd, const char *suffix, int *fd)
{
	char path[256], info[128], holder[256];
	int r;

	if (mkdir(VN_LOCK_DIR, 0700) < 0 && errno != EEXIST) {
		log_warn("%s: %s", cmd, VN_LOCK_DIR);
		return 1;
	}
	snprintf(info, sizeof(info), "vaultnet %s pid %ld", cmd, (long)getpid());
	if (snprintf(path, sizeof(path), "%s/%s.%s", VN_LOCK_DIR, netns, suffix) >= (int)sizeof(path) ||
	    (r = vg_lock_acquire(path, info, fd, holder, sizeof(holder))) == 0)
		return 0;
	if (r == -EBUSY)
		log_warnx("%s: namespace %s is in use by %s; wait for it to finish", cmd, netns,
			  *holder ? holder : "another vaultnet");
	else
		log_warnx("%s: %s: %s", cmd, path, vg_strerror(r));
	return 1;
}

/* serve: the read-only commands for vaultd (the console's firewall page,
 * vault/firewall.h), one request per run: a line on stdin, "show",
 * "verify", "export" or "explain SOURCE [PORT|ping]", nothing else (no
 * options, no other command: serve cannot change anything). The answer is
 * the command's output (errors too: stderr goes to stdout), then a line
 * "vaultnet-exit N". stdin and stdout are a pipe from vaultd, or the
 * connection of a socket-activated unit (image/units/vaultnet-query*). */
static bool serving;

static int serve_request(struct opts *o)
{
	static char line[256];
	static char *words[4];
	int n = 0;
	char *save = NULL;

	if (!fgets(line, sizeof(line), stdin) || !strchr(line, '\n')) {
		printf("serve: expected one request line\n");
		return EXIT_USAGE;
	}
	line[strcspn(line, "\r\n")] = 0;
	for (char *w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (n == 4) {
			printf("serve: too many words\n");
			return EXIT_USAGE;
		}
		words[n++] = w;
	}
	if (n == 0 || (strcmp(words[0], "explain") == 0 ? n < 2 || n > 3 :
		       (strcmp(words[0], "show") && strcmp(words[0], "verify") &&
			strcmp(words[0], "export")) || n != 1) || words[n - 1][0] == '-') {
		printf("serve: expected show, verify, export or explain SOURCE [PORT|ping]\n");
		return EXIT_USAGE;
	}
	o->cmd = words[0];
	o->json = strcmp(words[0], "export") == 0;
	o->vaultd_socket = NULL;
	o->argv = words + 1;
	o->argc = n - 1;
	return 0;
}

static int finish(int r)
{
	if (serving) {
		fflush(stderr);
		printf("vaultnet-exit %d\n", r);
		fflush(stdout);
	}
	return r;
}

int main(int argc, char **argv)
{
	/* lock: the commands that change a namespace (or, for watch, consume
	 * its log) hold VN_LOCK_DIR/NAMESPACE.LOCK for their whole run, so a
	 * second one on the same namespace is refused, naming the first. */
	static const struct {
		const char *name;
		int (*fn)(struct ctx *);
		const char *lock;
	} cmds[] = {
		{"check", cmd_check, NULL}, {"up", cmd_up, "lock"}, {"down", cmd_down, "lock"},
		{"show", cmd_show, NULL}, {"verify", cmd_verify, NULL}, {"explain", cmd_explain, NULL},
		{"export", cmd_export, NULL}, {"watch", cmd_watch, "watch.lock"}, {"exec", cmd_exec, NULL},
	};
	struct opts o;
	struct ctx x;
	int r;

	log_init("vaultnet", false, 0);
	if ((r = parse_args(argc, argv, &o)))
		return r;
	if (strcmp(o.cmd, "serve") == 0) {
		if (o.argc || o.json || o.to || o.force || o.check || o.vaultd_socket) {
			log_warnx("serve: takes --config only; the request comes on stdin");
			return EXIT_USAGE;
		}
		serving = true;
		setvbuf(stdout, NULL, _IOLBF, 1 << 16);
		dup2(STDOUT_FILENO, STDERR_FILENO);
		if ((r = serve_request(&o)))
			return finish(r);
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(o.cmd, cmds[i].name) != 0)
			continue;
		int lfd = -1;
		if (serving && cmds[i].lock)
			break;
		if ((r = ctx_load(&x, &o)))
			return finish(r);
		if (cmds[i].lock && (r = lock_ns(x.cfg->netns, cmds[i].name, cmds[i].lock, &lfd))) {
			ctx_free(&x);
			return finish(r);
		}
		fflush(stdout);
		r = cmds[i].fn(&x);
		fflush(stdout);
		vg_lock_release(lfd);
		ctx_free(&x);
		return finish(r);
	}
	log_warnx("unknown command \"%s\"", o.cmd);
	usage(stderr);
	return EXIT_USAGE;
}
