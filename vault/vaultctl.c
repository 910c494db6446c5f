/* vaultctl.c - the administrator's CLI. It talks to vaultd's socket only.
 *
 * Errors go to stderr as one line ("vaultctl: ..."), exit status 1; usage
 * errors exit 2. See usage() for the commands.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "client.h"
#include "ctl_gw.h"
#include "names.h"
#include "report.h"
#include "ttyprog.h"
#include "vaultctl_watch.h"
#include "vaultctl_restic.h"
#include "vaultctl_s3.h"
#include "vg_err.h"

#define DEFAULT_SOCKET "/run/vaultgate/vaultd.sock"

static const char *prog = "vaultctl";

/* A secret given the old way, on the command line: warn, copy it, and
 * overwrite argv's copy so /proc/PID/cmdline shows it no longer (it was
 * visible until now: the reason for the warning). */
static void legacy_secret(char *arg, const char *what, const char *instead, char *out,
	size_t outsz)
{
	fprintf(stderr, "vaultctl: warning: %s on the command line is visible to other users "
		"(ps, /proc); use %s\n", what, instead);
	snprintf(out, outsz, "%s", arg);
	for (volatile char *p = arg; *p; p++)
		*p = 'x';
}

static void usage_text(FILE *f)
{
	fprintf(f,
		"usage: vaultctl [--socket PATH] [--user NAME --token-file FILE|-] [--pin-file FILE|-]\n"
		"                COMMAND ...\n"
		"\n"
		"  vault create NAME [--double-encryption]       infrastructure encryption: fixed for life\n"
		"  vault key VAULT cmk LABEL                      move to (or rotate) a customer-managed key\n"
		"  vault key VAULT platform                       (refused for a vault under a CMK)\n"
		"  vault list\n"
		"  vault show NAME\n"
		"  item create VAULT ITEM [--kind files|restic|s3] [--agent NAME]\n"
		"  item list VAULT                                 with owner=AGENT of each item\n"
		"  item set VAULT ITEM agent NAME                 give an existing item to an agent\n"
		"  backup VAULT ITEM [--object NAME] [FILE|-]     prints the new point id\n"
		"  points VAULT ITEM [--all]                       one point per line\n"
		"  objects VAULT ITEM POINT\n"
		"  restore VAULT ITEM POINT [--object NAME] [--range A-B] [-o FILE]\n"
		"  audit verify                                    exit 0 only if the chain is intact\n"
		"  audit export [--from SEQ] [--vault V]          JSON lines (all: local root, auditors; V: its Owners)\n"
		"  audit acknowledge --reason TEXT                after a broken chain: allow changes again\n"
		"  audit verify --anchor SEQ:HASH               ... and the chain still holds that anchor\n"
		"  audit anchor                                  sign the chain head, send it off the box, print it\n"
		"  whoami\n"
		"\n"
		"  principal add NAME [--kind user|agent|monitor|auditor]  prints the token once\n"
		"  principal add NAME [--kind K] --token-sha256 HEX  (local root) enrol a token by its hash\n"
		"  principal list\n"
		"  principal rotate NAME [--vault V]              agents need a security PIN (--pin-file)\n"
		"  principal cert add|remove NAME SHA256HEX [--vault V]\n"
		"                                                map an mTLS client certificate\n"
		"                                                (an agent's: --vault V and --pin-file)\n"
		"  role grant PRINCIPAL VAULT ROLE               reader|agent|operator|contributor|owner|replicator\n"
		"  role revoke PRINCIPAL VAULT\n"
		"  role list [VAULT]\n"
		"  agent register VAULT NAME [-o CREDFILE [--item ITEM] [--endpoint URL]\n"
		"                 [--ca-fingerprint FP] [--gw-config FILE]]\n"
		"                                                one-time credential, valid 10 days; the\n"
		"                                                file's endpoint and pin come from vaultgw's\n"
		"                                                config (" VCTL_GW_CONFIG ") unless given\n"
		"  agent activate NAME --token-file FILE|-       exchange the registration token (read\n"
		"                                                from FILE, or stdin with -) for the\n"
		"                                                agent's token\n"
		"  alerts [VAULT] [--json]\n"
		"  metrics                                       Prometheus text (root or a monitor)\n"
		"  report [VAULT] [--days N] [--json] [--html FILE]\n"
		"                                                per vault and item: points, bytes, jobs\n"
		"\n");
	/* Two strings: C11 guarantees string literals of 4095 bytes only. */
	fprintf(f,
		"  vault set VAULT soft-delete off|on|always-on\n"
		"  vault set VAULT soft-delete-days 14..180\n"
		"  vault set VAULT immutability disabled|enabled|locked   (locked is forever)\n"
		"  vault set VAULT guard GUARD|none\n"
		"  vault delete VAULT | vault undelete VAULT\n"
		"  policy set VAULT NAME daily=D[,weekly=W][,monthly=M][,yearly=Y]\n"
		"  policy list VAULT\n"
		"  item policy VAULT ITEM POLICY\n"
		"  item stop VAULT ITEM [--delete-data]\n"
		"  item undelete VAULT ITEM | item resume VAULT ITEM\n"
		"  point delete VAULT ITEM POINT | point undelete VAULT ITEM POINT\n"
		"  point abort VAULT ITEM POINT                 drop a pending point (its opener, or local root)\n"
		"  keys export --to FILE [--passphrase-file F]   (local root; MUA keys-export, target keys)\n"
		"                                                the keys sealed under a passphrase (F or\n"
		"                                                stdin); import: vaultd --import-keys\n"
		"  pending [VAULT] [--json]      weakening changes waiting out their cooling-off\n"
		"  pending cancel ID             (an Owner of the vault or an approver of its guard)\n"
		"  restic deleted VAULT ITEM [--json]            soft-deleted restic files\n"
		"  restic undelete VAULT ITEM (--all | --since TIME | NAME...)\n"
		"  s3 key create PRINCIPAL                      an S3 access key (secret shown once)\n"
		"  s3 key list [PRINCIPAL]\n"
		"  s3 key delete ID\n"
		"  guard create NAME                             (local root)\n"
		"  guard approver add|remove GUARD PRINCIPAL\n"
		"  guard exclude|include GUARD OPERATION         (by a guard approver)\n"
		"  guard check                                   principals both vault Owner and approver\n"
		"  mua request VAULT OPERATION TARGET            prints the request id\n"
		"  mua approve ID [--window SECONDS] | mua deny ID | mua list\n"
		"  pin generate VAULT                            valid 5 minutes, once\n"
		"  purge run                                     (local root) run the purger now\n"
		"  event record OPNAME TARGET REASON             (local root) an external event, audited\n"
		"  clock accept                                  accept a clock jump (Owner; MUA clock-accept)\n"
		"  clock advance SECONDS | clock jump [-]SECONDS (test daemon only)\n"
		"\n"
		"  --grant ID         present an approved MUA grant with the request\n"
		"  --pin-file FILE|-  present a security PIN with the request, read from FILE or stdin\n"
		"\n");
	/* issue 14 (its own literal: C11 guarantees 4095 bytes per literal) */
	fputs(
		"  vault set VAULT quota BYTES|none             uploads past it are refused (507)\n"
		"  item set VAULT ITEM quota BYTES|none         (512K, 10M, 2G, 1T)\n"
		"  item set VAULT ITEM expect-every DURATION|none  backup-missed when none came (90m, 6h, 1d)\n"
		"  scrub [VAULT] [--rate MB/s]                   re-read every blob, check every tag; exit 1 if damaged\n"
		"  remote add NAME URL --ca FILE --user U --token-file F   a primary to pull from (vaultsync)\n"
		"  remote list\n"
		"  sync create JOB --remote NAME --vault SRC --to DST [--every DURATION]\n"
		"  sync run JOB | sync list | sync show JOB      pull replication (deletes never propagate)\n"
		"  scrub VAULT --repair --remote NAME --from-vault V   fetch good copies of damaged objects\n"
		"                                                from the partner's vault V (vaultsync)\n"
		"\n", f);
	fputs(
		"Critical operations under a guard: soft-delete-off, guard-unlink, keys-export\n"
		"(mandatory),\n"
		"delete-data, retention-reduce, stop-protection, pin-generate,\n"
		"immutability-disable, key-change (excludable by the guard's approvers).\n"
		"\n"
		"  --socket PATH      vaultd's socket (default $VAULTD_SOCKET or " DEFAULT_SOCKET ")\n"
		"  --user NAME        principal name (or $VG_USER); the token is read from --token-file\n"
		"  --token-file FILE  a file holding the principal's token, - for stdin (or $VG_TOKEN)\n"
		"  --quiet            no progress line (backup, restore, scrub, sync run draw one on\n"
		"                     stderr only when it is a terminal)\n"
		"  -h, --help         this text\n"
		"\n"
		"Secrets never go on the command line: other users see it in ps and /proc.\n"
		"The old forms `--pin PIN` and `agent activate NAME REGTOKEN` still work but warn.\n"
		"\n"
		"--range A-B restores bytes A through B inclusive (as HTTP Range): A- runs to the end,\n"
		"and so does a B past it; an A past the end is an error.\n",
		f);
}

/* ---- usage errors and options anywhere ------------------------------------- */

/* The command words of this run ("item", "stop"), for a usage error. */
static const char *ucmd = "", *usub = "";

/* The usage text in memory (the one source of what vaultctl accepts). */
static char *usage_buf(void)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	if (!f)
		return NULL;
	usage_text(f);
	if (fclose(f)) {
		free(p);
		return NULL;
	}
	return p;
}

/* --help prints everything; a usage error prints only the synopsis lines
 * of the command that was given, so the mistake is easy to see. */
static void usage(FILE *f)
{
	char *text, *line, *save = NULL, want[80];
	int n = 0;

	if (f == stdout || !*ucmd || !(text = usage_buf())) {
		usage_text(f);
		return;
	}
	/* "item stop" first; if no line starts so, every "item" line. */
	for (int pass = *usub ? 0 : 1; pass < 2 && !n; pass++) {
		char *copy = strdup(text);
		if (pass == 0)
			snprintf(want, sizeof(want), "  %s %s", ucmd, usub);
		else
			snprintf(want, sizeof(want), "  %s", ucmd);
		for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
			size_t wl = strlen(want);
			if (strncmp(line, want, wl) == 0 && (line[wl] == ' ' || line[wl] == 0)) {
				char *end = strstr(line + 2, "   ");   /* the description column */
				if (end)
					*end = 0;
				fprintf(f, "%s %s\n", n++ ? "      " : "usage: vaultctl", line + 2);
			}
		}
		free(copy);
	}
	if (!n)
		fprintf(f, "%s: unknown command \"%s\" (vaultctl --help lists them)\n", prog, ucmd);
	else
		fprintf(f, "(vaultctl --help lists every command and option)\n");
	free(text);
}

/* Is NAME ("--range", "-o") an option the usage text shows, and does it
 * take a value there ("--range A-B": yes; "[--all]": no)? */
static bool usage_option(const char *text, const char *name, bool *takes_value)
{
	size_t nl = strlen(name);

	for (const char *p = text; (p = strstr(p, name)); p += nl) {
		const char *e = p + nl;
		if (p > text && p[-1] != ' ' && p[-1] != '[' && p[-1] != '(')
			continue;
		if (*e != ' ' && *e != ']' && *e != '\n' && *e != ',' && *e != ')')
			continue;
		*takes_value = *e == ' ' && e[1] != '[' && e[1] != '-' && e[1] != '|' && e[1] != ' ' &&
			       e[1] != '\n';
		return true;
	}
	return false;
}

/* A global option after the command is still a global option ("vaultctl
 * item stop V I --delete-data --grant ID"), except where the command has an
 * option of that name itself. */
static const struct {
	const char *cmd, *sub, *opt;
} own_options[] = {
	{"agent", "activate", "--token-file"},
};

static bool own_option(char **rest, int nrest, const char *opt)
{
	for (size_t i = 0; i < sizeof(own_options) / sizeof(own_options[0]); i++)
		if (nrest >= 2 && strcmp(rest[0], own_options[i].cmd) == 0 &&
		    strcmp(rest[1], own_options[i].sub) == 0 && strcmp(opt, own_options[i].opt) == 0)
			return true;
	return false;
}

/* Reorders argv in place: global options (OPTS) first, wherever they were,
 * then the command and its own arguments. An option the usage text does not
 * show is refused here, by name, in one line. Returns 0 or 2. */
static int hoist_globals(int argc, char **argv, const struct option *opts)
{
	char **glob = calloc((size_t)argc + 1, sizeof(*glob)), **rest = calloc((size_t)argc + 1, sizeof(*rest));
	char *text = usage_buf();
	int ng = 0, nr = 0, rc = 0;

	if (!glob || !rest || !text) {
		fprintf(stderr, "%s: out of memory\n", prog);
		rc = 2;
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct option *o = NULL;
		bool value = false;

		if (strcmp(a, "--") == 0) {
			while (i < argc)
				rest[nr++] = argv[i++];
			break;
		}
		if (a[0] == '-' && a[1] == '-') {
			size_t l = strcspn(a + 2, "=");
			for (const struct option *q = opts; q->name; q++)
				if (strlen(q->name) == l && strncmp(q->name, a + 2, l) == 0)
					o = q;
		}
		if (o && !own_option(rest, nr, a)) {
			glob[ng++] = argv[i];
			if (o->has_arg == required_argument && !strchr(a, '=') && i + 1 < argc)
				glob[ng++] = argv[++i];
			continue;
		}
		/* "-5" is a number, "-" is stdin: options start with a letter. */
		if (a[0] == '-' && (isalpha((unsigned char)a[1]) ||
		    (a[1] == '-' && isalpha((unsigned char)a[2]))) && !o && !usage_option(text, a, &value)) {
			fprintf(stderr, "%s: unknown option %s (vaultctl --help lists commands and options)\n",
				prog, a);
			rc = 2;
			goto out;
		}
		if (o)
			value = o->has_arg == required_argument;
		rest[nr++] = argv[i];
		if (value && !strchr(a, '=') && i + 1 < argc)
			rest[nr++] = argv[++i];
	}
	memcpy(argv + 1, glob, (size_t)ng * sizeof(*argv));
	memcpy(argv + 1 + ng, rest, (size_t)nr * sizeof(*argv));
	if (nr > 0)
		ucmd = rest[0];
	if (nr > 1 && rest[1][0] != '-')
		usub = rest[1];
out:
	free(text);
	free(glob);
	free(rest);
	return rc;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int fail_call(struct vgc *c, int r, const char *what)
{
	const char *msg = c && *vgc_errmsg(c) ? vgc_errmsg(c) : vg_strerror(r);
	return fail("%s: %s", what, msg);
}

/* ---- commands -------------------------------------------------------------- */

static int simple(struct vgc *c, const char *what)
{
	struct vg_msg m;
	int r = vgc_call(c, &m);
	return r ? fail_call(c, r, what) : 0;
}

static int cmd_vault(struct vgc *c, int argc, char **argv)
{
	struct vg_msg m;
	struct vg_wr *w;
	char name[128], state[64], det[512];
	uint64_t t;
	int r;

	if ((argc == 2 || argc == 3) && strcmp(argv[0], "create") == 0) {
		int dbl = argc == 3 && strcmp(argv[2], "--double-encryption") == 0;
		if (argc == 3 && !dbl) {
			usage(stderr);
			return 2;
		}
		w = vgc_req(c, VG_OP_VAULT_CREATE);
		vg_msgb_str(w, VG_TAG_VAULT, argv[1]);
		if (dbl)
			vg_msgb_u32(w, VG_TAG_FLAGS, 1);
		if ((r = simple(c, argv[1])))
			return r;
		printf("vault %s created%s\n", argv[1], dbl ? " with infrastructure (double) encryption" : "");
		return 0;
	}
	if ((argc == 3 || argc == 4) && strcmp(argv[0], "key") == 0) {
		int cmk = strcmp(argv[2], "cmk") == 0;
		if ((cmk && argc != 4) || (!cmk && (argc != 3 || strcmp(argv[2], "platform") != 0))) {
			usage(stderr);
			return 2;
		}
		w = vgc_req(c, VG_OP_VAULT_KEY);
		vg_msgb_str(w, VG_TAG_VAULT, argv[1]);
		vg_msgb_str(w, VG_TAG_KIND, argv[2]);
		if (cmk)
			vg_msgb_str(w, VG_TAG_NAME, argv[3]);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, argv[1]);
		vg_msg_str(&m, VG_TAG_KIND, det, sizeof(det));
		printf("vault %s: key is now %s (DEK re-wrapped, data not re-encrypted)\n", argv[1], det);
		return 0;
	}
	if (argc == 2 && strcmp(argv[0], "show") == 0) {
		w = vgc_req(c, VG_OP_VAULT_GET);
		vg_msgb_str(w, VG_TAG_VAULT, argv[1]);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, argv[1]);
		vg_msg_str(&m, VG_TAG_STATE, state, sizeof(state));
		vg_msg_str(&m, VG_TAG_DETAIL, det, sizeof(det));
		printf("vault %s: %s %s\n", argv[1], state, det);
		if (vg_msg_str(&m, VG_TAG_KIND, name, sizeof(name)) == 0)
			printf("key: %s\n", name);
		return 0;
	}
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		vgc_req(c, VG_OP_VAULT_LIST);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, "vault list");
		while ((r = vgc_stream_next(c, &m)) == 1) {
			char ts[32];
			vg_msg_str(&m, VG_TAG_VAULT, name, sizeof(name));
			vg_msg_str(&m, VG_TAG_STATE, state, sizeof(state));
			vg_msg_str(&m, VG_TAG_DETAIL, det, sizeof(det));
			vg_msg_u64(&m, VG_TAG_TIME, &t);
			vg_time_iso(t, "-", ts, sizeof(ts));
			printf("%s\t%s\t%s\t%s\n", name, state, ts, det);
		}
		return r ? fail_call(c, r, "vault list") : 0;
	}
	usage(stderr);
	return 2;
}

static int cmd_item(struct vgc *c, int argc, char **argv)
{
	struct vg_msg m;
	struct vg_wr *w;
	const char *kind = "files";
	int r;

	if (argc >= 3 && strcmp(argv[0], "create") == 0) {
		const char *agent = NULL;
		for (int i = 3; i < argc; i += 2) {
			if (i + 1 < argc && strcmp(argv[i], "--kind") == 0)
				kind = argv[i + 1];
			else if (i + 1 < argc && strcmp(argv[i], "--agent") == 0)
				agent = argv[i + 1];
			else {
				usage(stderr);
				return 2;
			}
		}
		w = vgc_req(c, VG_OP_ITEM_CREATE);
		vg_msgb_str(w, VG_TAG_VAULT, argv[1]);
		vg_msgb_str(w, VG_TAG_ITEM, argv[2]);
		vg_msgb_str(w, VG_TAG_KIND, kind);
		if (agent)
			vg_msgb_str(w, VG_TAG_PRINCIPAL, agent);
		if ((r = simple(c, argv[2])))
			return r;
		printf("item %s/%s created\n", argv[1], argv[2]);
		return 0;
	}
	if (argc == 2 && strcmp(argv[0], "list") == 0) {
		w = vgc_req(c, VG_OP_ITEM_LIST);
		vg_msgb_str(w, VG_TAG_VAULT, argv[1]);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, argv[1]);
		while ((r = vgc_stream_next(c, &m)) == 1) {
			char name[256], k[32], st[32], ts[32], owner[VG_PRINCIPAL_NAME_MAX + 1] = "";
			char repo[32] = "";
			uint64_t last = 0;
			vg_msg_str(&m, VG_TAG_ITEM, name, sizeof(name));
			vg_msg_str(&m, VG_TAG_PRINCIPAL, owner, sizeof(owner));
			vg_msg_str(&m, VG_TAG_KIND, k, sizeof(k));
			vg_msg_str(&m, VG_TAG_STATE, st, sizeof(st));
			vg_msg_u64(&m, VG_TAG_TIME2, &last);
			(void)vg_msg_str(&m, VG_TAG_POINT, repo, sizeof(repo));  /* restic container */
			vg_time_iso(last, "-", ts, sizeof(ts));
			printf("%s\t%s\t%s\tlast-backup=%s\towner=%s%s%s\n", name, k, st, ts, owner,
				*repo ? "\trepo=" : "", repo);
		}
		return r ? fail_call(c, r, "item list") : 0;
	}
	usage(stderr);
	return 2;
}

static int cmd_backup(struct vgc *c, const char *sock, int argc, char **argv)
{
	const char *vault, *item, *object = NULL, *file = "-";
	char objbuf[VG_OBJECT_NAME_MAX + 1], point[65], tmp[PATH_MAX];
	struct vg_msg m;
	struct vg_wr *w;
	struct stat st;
	struct vtp bar = {0};
	uint64_t sent = 0, size = 0;
	char label[400];
	uint8_t *buf = NULL;
	int fd = 0, r, i, npos = 0;
	const char *pos[3];

	(void)sock;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--object") == 0 && i + 1 < argc)
			object = argv[++i];
		else if (npos < 3)
			pos[npos++] = argv[i];
		else {
			usage(stderr);
			return 2;
		}
	}
	if (npos < 2) {
		usage(stderr);
		return 2;
	}
	vault = pos[0];
	item = pos[1];
	if (npos == 3)
		file = pos[2];
	if (!object) {
		if (strcmp(file, "-") == 0)
			object = "stdin";
		else {
			snprintf(tmp, sizeof(tmp), "%s", file);
			snprintf(objbuf, sizeof(objbuf), "%s", basename(tmp));
			object = objbuf;
		}
	}
	if (vg_name_check(object, VG_OBJECT_NAME_MAX))
		return fail("object name \"%s\" is not valid (letters, digits and ._:@+=- only; "
			"use --object NAME)", object);
	if (strcmp(file, "-") != 0 && (fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return fail("%s: %s", file, strerror(errno));

	w = vgc_req(c, VG_OP_POINT_BEGIN);
	vg_msgb_str(w, VG_TAG_VAULT, vault);
	vg_msgb_str(w, VG_TAG_ITEM, item);
	if ((r = vgc_call(c, &m))) {
		r = fail_call(c, r, "backup");
		goto out;
	}
	vg_msg_str(&m, VG_TAG_POINT, point, sizeof(point));

	w = vgc_req(c, VG_OP_OBJECT_PUT);
	vg_msgb_str(w, VG_TAG_VAULT, vault);
	vg_msgb_str(w, VG_TAG_ITEM, item);
	vg_msgb_str(w, VG_TAG_POINT, point);
	vg_msgb_str(w, VG_TAG_OBJECT, object);
	if (fd > 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
		vg_msgb_u64(w, VG_TAG_SIZE, size);
	}
	snprintf(label, sizeof(label), "backup %s/%s", vault, item);
	vtp_begin(&bar, label, size);
	if ((r = vgc_upload_begin(c))) {
		r = fail_call(c, r, "backup");
		goto out;
	}
	buf = malloc(VG_WIRE_MAX_DATA);
	if (!buf) {
		r = fail("out of memory");
		goto out;
	}
	for (;;) {
		long n = vg_read_full(fd, buf, VG_WIRE_MAX_DATA);
		if (n < 0) {
			fail("%s: %s", file, strerror((int)-n));
			vgc_upload_end(c, 1, &m);
			r = 1;
			goto out;
		}
		if (n == 0)
			break;
		if ((r = vgc_upload_write(c, buf, (size_t)n))) {
			if (r != VG_ECLOSED && r > VG_EBASE - 1 && !*vgc_errmsg(c))
				vgc_upload_end(c, 1, &m);
			r = fail_call(c, r, "backup");
			goto out;
		}
		sent += (uint64_t)n;
		vtp_update(&bar, sent);
		if (n < (long)VG_WIRE_MAX_DATA)
			break;
	}
	vtp_end(&bar);
	if ((r = vgc_upload_end(c, 0, &m))) {
		r = fail_call(c, r, "backup");
		goto out;
	}
	w = vgc_req(c, VG_OP_POINT_COMMIT);
	vg_msgb_str(w, VG_TAG_VAULT, vault);
	vg_msgb_str(w, VG_TAG_ITEM, item);
	vg_msgb_str(w, VG_TAG_POINT, point);
	if ((r = vgc_call(c, &m))) {
		r = fail_call(c, r, "backup");
		goto out;
	}
	printf("%s\n", point);
	fflush(stdout);
	r = 0;
out:
	vtp_end(&bar);
	free(buf);
	if (fd > 0)
		close(fd);
	return r;
}

static int cmd_points(struct vgc *c, int argc, char **argv)
{
	struct vg_msg m;
	struct vg_wr *w;
	int r, all = argc == 3 && strcmp(argv[2], "--all") == 0;

	if (argc != 2 && !all) {
		usage(stderr);
		return 2;
	}
	w = vgc_req(c, VG_OP_POINT_LIST);
	vg_msgb_str(w, VG_TAG_VAULT, argv[0]);
	vg_msgb_str(w, VG_TAG_ITEM, argv[1]);
	if (all)
		vg_msgb_u32(w, VG_TAG_FLAGS, 1);
	if ((r = vgc_call(c, &m)))
		return fail_call(c, r, argv[1]);
	while ((r = vgc_stream_next(c, &m)) == 1) {
		char id[65], st[32], ts[32], ex[32];
		uint64_t t = 0, e = 0, sz = 0, n = 0;
		vg_msg_str(&m, VG_TAG_POINT, id, sizeof(id));
		vg_msg_str(&m, VG_TAG_STATE, st, sizeof(st));
		vg_msg_u64(&m, VG_TAG_TIME, &t);
		vg_msg_u64(&m, VG_TAG_TIME2, &e);
		vg_msg_u64(&m, VG_TAG_SIZE, &sz);
		vg_msg_u64(&m, VG_TAG_COUNT, &n);
		vg_time_iso(t, "-", ts, sizeof(ts));
		vg_time_iso(e, "-", ex, sizeof(ex));
		printf("%s\t%s\t%s\t%llu bytes\t%llu objects\texpires=%s\n", id, ts, st,
			(unsigned long long)sz, (unsigned long long)n, ex);
	}
	return r ? fail_call(c, r, "points") : 0;
}

static int cmd_objects(struct vgc *c, int argc, char **argv)
{
	struct vg_msg m;
	struct vg_wr *w;
	int r;

	if (argc != 3) {
		usage(stderr);
		return 2;
	}
	w = vgc_req(c, VG_OP_OBJECT_LIST);
	vg_msgb_str(w, VG_TAG_VAULT, argv[0]);
	vg_msgb_str(w, VG_TAG_ITEM, argv[1]);
	vg_msgb_str(w, VG_TAG_POINT, argv[2]);
	if ((r = vgc_call(c, &m)))
		return fail_call(c, r, argv[2]);
	while ((r = vgc_stream_next(c, &m)) == 1) {
		char name[256], hex[65] = "";
		const uint8_t *sha;
		uint32_t sl;
		uint64_t sz = 0, lock = 0;
		vg_msg_str(&m, VG_TAG_OBJECT, name, sizeof(name));
		vg_msg_u64(&m, VG_TAG_SIZE, &sz);
		if (vg_msg_bytes(&m, VG_TAG_SHA256, &sha, &sl) == 0 && sl == 32)
			vg_hex(hex, sha, 32);
		if (vg_msg_u64(&m, VG_TAG_OFFSET, &lock) == 0) {  /* restic, immutable vault */
			char ts[32];
			vg_time_iso(lock, "-", ts, sizeof(ts));
			printf("%s\t%llu\tsha256:%s\tlock_until=%s\n", name, (unsigned long long)sz,
				hex, ts);
			continue;
		}
		printf("%s\t%llu\tsha256:%s\n", name, (unsigned long long)sz, hex);
	}
	return r ? fail_call(c, r, "objects") : 0;
}

/* The only object of a point, when --object is not given. */
static int sole_object(struct vgc *c, const char *v, const char *i, const char *p,
	char *out, size_t outsz)
{
	struct vg_msg m;
	struct vg_wr *w = vgc_req(c, VG_OP_OBJECT_LIST);
	int r, n = 0;

	vg_msgb_str(w, VG_TAG_VAULT, v);
	vg_msgb_str(w, VG_TAG_ITEM, i);
	vg_msgb_str(w, VG_TAG_POINT, p);
	if ((r = vgc_call(c, &m)))
		return fail_call(c, r, p);
	while ((r = vgc_stream_next(c, &m)) == 1)
		if (n++ == 0)
			vg_msg_str(&m, VG_TAG_OBJECT, out, outsz);
	if (r)
		return fail_call(c, r, p);
	if (n != 1)
		return fail("point %s holds %d objects: choose one with --object NAME", p, n);
	return 0;
}

static int parse_range(const char *s, uint64_t *a, uint64_t *len, int *to_end)
{
	char buf[64], *dash;
	uint64_t b;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf) || !(dash = strchr(buf, '-')))
		return -1;
	*dash = 0;
	if (vg_parse_u64(buf, 0, UINT64_MAX - 1, a))
		return -1;
	if (dash[1] == 0) {
		*to_end = 1;
		return 0;
	}
	if (vg_parse_u64(dash + 1, 0, UINT64_MAX - 1, &b) || b < *a)
		return -1;
	*to_end = 0;
	*len = b - *a + 1;
	return 0;
}

static int cmd_restore(struct vgc *c, int argc, char **argv)
{
	const char *object = NULL, *range = NULL, *outpath = NULL, *pos[3];
	char objbuf[VG_OBJECT_NAME_MAX + 1], tmp[PATH_MAX] = "";
	uint64_t a = 0, len = 0, got = 0;
	int to_end = 1, r, fd = 1, npos = 0;
	struct vg_msg m;
	struct vg_wr *w;
	struct vtp bar;
	char label[700];

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--object") == 0 && i + 1 < argc)
			object = argv[++i];
		else if (strcmp(argv[i], "--range") == 0 && i + 1 < argc)
			range = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			outpath = argv[++i];
		else if (npos < 3)
			pos[npos++] = argv[i];
		else {
			usage(stderr);
			return 2;
		}
	}
	if (npos != 3) {
		usage(stderr);
		return 2;
	}
	if (range && parse_range(range, &a, &len, &to_end))
		return fail("--range %s: expected A-B or A- (bytes, inclusive)", range);
	if (!object) {
		if ((r = sole_object(c, pos[0], pos[1], pos[2], objbuf, sizeof(objbuf))))
			return r;
		object = objbuf;
	}
	if (range && !to_end) {
		/* As in HTTP (RFC 9110 14.1.2): a last byte past the end means
		 * the end; a first byte past it is an error. */
		uint64_t size = 0;
		w = vgc_req(c, VG_OP_OBJECT_STAT);
		vg_msgb_str(w, VG_TAG_VAULT, pos[0]);
		vg_msgb_str(w, VG_TAG_ITEM, pos[1]);
		vg_msgb_str(w, VG_TAG_POINT, pos[2]);
		vg_msgb_str(w, VG_TAG_OBJECT, object);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, object);
		(void)vg_msg_u64(&m, VG_TAG_SIZE, &size);
		if (a >= size)
			return fail("%s: range %s is outside its %llu bytes", object, range,
				(unsigned long long)size);
		if (len > size - a)
			len = size - a;
	}
	w = vgc_req(c, VG_OP_OBJECT_GET);
	vg_msgb_str(w, VG_TAG_VAULT, pos[0]);
	vg_msgb_str(w, VG_TAG_ITEM, pos[1]);
	vg_msgb_str(w, VG_TAG_POINT, pos[2]);
	vg_msgb_str(w, VG_TAG_OBJECT, object);
	if (range) {
		vg_msgb_u64(w, VG_TAG_OFFSET, a);
		if (!to_end)
			vg_msgb_u64(w, VG_TAG_LENGTH, len);
	}
	if ((r = vgc_call(c, &m)))
		return fail_call(c, r, object);
	if (range && to_end) {
		/* As in HTTP, "A-" needs byte A to exist; vaultd serves an
		 * offset equal to the size as an empty stream. */
		uint64_t size = 0;
		(void)vg_msg_u64(&m, VG_TAG_SIZE, &size);
		if (a >= size)
			return fail("%s: range %s is outside its %llu bytes", object, range,
				(unsigned long long)size);
	}
	if (outpath && strcmp(outpath, "-") != 0) {
		struct stat ost;
		if (stat(outpath, &ost) == 0 && !S_ISREG(ost.st_mode)) {
			/* A device or FIFO (-o /dev/null): write to it; never
			 * replace it with a regular file. */
			if ((fd = open(outpath, O_WRONLY | O_CLOEXEC)) < 0)
				return fail("%s: %s", outpath, strerror(errno));
		} else {
			/* Write beside the target and rename only when every byte is in. */
			if (snprintf(tmp, sizeof(tmp), "%s.vgpart.XXXXXX", outpath) >= (int)sizeof(tmp))
				return fail("%s: path too long", outpath);
			if ((fd = mkstemp(tmp)) < 0)
				return fail("%s: %s", outpath, strerror(errno));
		}
	}
	{
		uint64_t total = 0;
		(void)vg_msg_u64(&m, VG_TAG_LENGTH, &total);
		snprintf(label, sizeof(label), "restore %s/%s/%s", pos[0], pos[1], object);
		vtp_begin(&bar, label, total);
	}
	while ((r = vgc_stream_next(c, &m)) == 1) {
		if (m.type != VG_F_DATA || vg_write_full(fd, m.data, m.datalen)) {
			r = m.type != VG_F_DATA ? VG_EPROTO : -errno;
			break;
		}
		got += m.datalen;
		vtp_update(&bar, got);
	}
	vtp_end(&bar);
	if (fd != 1 && !*tmp) {
		close(fd);
	} else if (fd != 1) {
		if (!r && fsync(fd) < 0)
			r = -errno;
		close(fd);
		if (!r && rename(tmp, outpath) < 0)
			r = -errno;
		if (r)
			unlink(tmp);
	}
	return r ? fail_call(c, r, object) : 0;
}

static int cmd_audit(struct vgc *c, int argc, char **argv)
{
	struct vg_msg m;
	struct vg_wr *w;
	uint64_t n = 0, seq = 0, from = 1;
	int r;

	if (argc == 1 && strcmp(argv[0], "anchor") == 0) {
		char line[500];
		vgc_req(c, VG_OP_AUDIT_ANCHOR);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, "audit anchor");
		if (vg_msg_str(&m, VG_TAG_DETAIL, line, sizeof(line)))
			return fail_call(c, VG_EPROTO, "audit anchor");
		printf("%s\n", line);
		return 0;
	}
	if ((argc == 1 || (argc == 3 && strcmp(argv[1], "--anchor") == 0)) &&
	    strcmp(argv[0], "verify") == 0) {
		uint8_t ah[32];
		uint64_t aseq = 0;
		w = vgc_req(c, VG_OP_AUDIT_VERIFY);
		if (argc == 3) {
			/* SEQ:HASH, as in an anchor line's seq= and hash= */
			const char *colon = strchr(argv[2], ':');
			char sq[24];
			if (!colon || (size_t)(colon - argv[2]) >= sizeof(sq) ||
			    (memcpy(sq, argv[2], (size_t)(colon - argv[2])), sq[colon - argv[2]] = 0,
			     vg_parse_u64(sq, 1, UINT64_MAX, &aseq)) ||
			    strlen(colon + 1) != 64 || vg_unhex(ah, sizeof(ah), colon + 1))
				return fail("--anchor %s: expected SEQ:HASH (64 hex digits)", argv[2]);
			vg_msgb_u64(w, VG_TAG_SEQ, aseq);
			vg_msgb_bytes(w, VG_TAG_HASH, ah, sizeof(ah));
		}
		r = vgc_call(c, &m);
		vg_msg_u64(&m, VG_TAG_COUNT, &n);
		if (r == VG_EINTEGRITY && argc == 3) {
			vg_msg_u64(&m, VG_TAG_SEQ, &seq);
			if (seq == aseq)
				return fail("audit anchor %s NOT in the chain: %s", argv[2], vgc_errmsg(c));
		}
		if (r == VG_EINTEGRITY) {
			vg_msg_u64(&m, VG_TAG_SEQ, &seq);
			return fail("audit chain BROKEN at entry %llu: %s", (unsigned long long)seq,
				vgc_errmsg(c));
		}
		if (r)
			return fail_call(c, r, "audit verify");
		printf("audit chain intact: %llu entries\n", (unsigned long long)n);
		if (argc == 3)
			printf("anchor %s is in the chain\n", argv[2]);
		{
			char known[400];
			if (vg_msg_str(&m, VG_TAG_DETAIL, known, sizeof(known)) == 0)
				printf("%s\n", known);
		}
		return 0;
	}
	if (argc == 3 && strcmp(argv[0], "acknowledge") == 0 && strcmp(argv[1], "--reason") == 0) {
		w = vgc_req(c, VG_OP_AUDIT_ACK);
		vg_msgb_str(w, VG_TAG_REASON, argv[2]);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, "audit acknowledge");
		vg_msg_u64(&m, VG_TAG_SEQ, &seq);
		printf("audit break acknowledged at entry %llu\n", (unsigned long long)seq);
		return 0;
	}
	if (argc >= 1 && strcmp(argv[0], "export") == 0) {
		const char *vault = NULL;
		for (int i = 1; i < argc; i += 2) {
			if (i + 1 >= argc)
				return fail("audit export: %s needs a value", argv[i]);
			if (strcmp(argv[i], "--from") == 0) {
				if (vg_parse_u64(argv[i + 1], 1, UINT64_MAX, &from))
					return fail("audit export: --from needs an entry number");
			} else if (strcmp(argv[i], "--vault") == 0) {
				vault = argv[i + 1];
			} else {
				usage(stderr);
				return 2;
			}
		}
		w = vgc_req(c, VG_OP_AUDIT_EXPORT);
		vg_msgb_u64(w, VG_TAG_SEQ, from);
		if (vault)
			vg_msgb_str(w, VG_TAG_VAULT, vault);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, "audit export");
		while ((r = vgc_stream_next(c, &m)) == 1) {
			char f[6][1100], ts[32], hex[65] = "";
			const uint8_t *h;
			uint32_t hl;
			uint64_t t = 0;
			json_t *o;
			char *s;
			static const uint16_t tags[6] = {VG_TAG_PRINCIPAL, VG_TAG_OPNAME,
				VG_TAG_TARGET, VG_TAG_RESULT, VG_TAG_REASON, VG_TAG_PEER};
			for (int i = 0; i < 6; i++)
				if (vg_msg_str(&m, tags[i], f[i], sizeof(f[i])))
					f[i][0] = 0;
			vg_msg_u64(&m, VG_TAG_SEQ, &seq);
			vg_msg_u64(&m, VG_TAG_TIME, &t);
			if (vg_msg_bytes(&m, VG_TAG_HASH, &h, &hl) == 0 && hl == 32)
				vg_hex(hex, h, 32);
			vg_time_iso(t, "-", ts, sizeof(ts));
			o = json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
				"seq", (json_int_t)seq, "time", ts, "unix", (json_int_t)t,
				"principal", f[0], "op", f[1], "target", f[2], "result", f[3],
				"reason", f[4], "peer", f[5], "hash", hex);
			if (!o || !(s = json_dumps(o, JSON_COMPACT))) {
				json_decref(o);
				return fail("out of memory");
			}
			puts(s);
			free(s);
			json_decref(o);
		}
		return r ? fail_call(c, r, "audit export") : 0;
	}
	usage(stderr);
	return 2;
}


static int print_token_resp(const struct vg_msg *m, const char *what)
{
	char tok[300];

	if (vg_msg_str(m, VG_TAG_TOKEN, tok, sizeof(tok)))
		return fail("%s: no token in the answer", what);
	printf("%s\n", tok);
	return 0;
}

static int cmd_principal(struct vgc *c, int argc, char **argv)
{
	struct vg_msg m;
	struct vg_wr *w;
	int r;

	if (argc >= 2 && strcmp(argv[0], "add") == 0) {
		const char *kind = "user", *hashhex = NULL;
		uint8_t hash[32];
		for (int i = 2; i < argc; i += 2) {
			if (i + 1 < argc && strcmp(argv[i], "--kind") == 0)
				kind = argv[i + 1];
			else if (i + 1 < argc && strcmp(argv[i], "--token-sha256") == 0)
				hashhex = argv[i + 1];
			else {
				usage(stderr);
				return 2;
			}
		}
		if (hashhex && vg_unhex(hash, sizeof(hash), hashhex))
			return fail("--token-sha256 %s: expected 64 hex digits", hashhex);
		w = vgc_req(c, VG_OP_PRINCIPAL_ADD);
		vg_msgb_str(w, VG_TAG_NAME, argv[1]);
		vg_msgb_str(w, VG_TAG_KIND, kind);
		if (hashhex)
			vg_msgb_bytes(w, VG_TAG_HASH, hash, 32);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, argv[1]);
		if (hashhex) {
			printf("principal %s added with the given token hash\n", argv[1]);
			return 0;
		}
		return print_token_resp(&m, argv[1]);
	}
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		vgc_req(c, VG_OP_PRINCIPAL_LIST);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, "principal list");
		while ((r = vgc_stream_next(c, &m)) == 1) {
			char n[80], k[16], st[32];
			uint64_t certs = 0;
			vg_msg_str(&m, VG_TAG_NAME, n, sizeof(n));
			vg_msg_str(&m, VG_TAG_KIND, k, sizeof(k));
			vg_msg_str(&m, VG_TAG_STATE, st, sizeof(st));
			vg_msg_u64(&m, VG_TAG_COUNT, &certs);
			printf("%s\t%s\t%s\tcerts=%llu\n", n, k, st, (unsigned long long)certs);
		}
		return r ? fail_call(c, r, "principal list") : 0;
	}
	if (argc >= 2 && strcmp(argv[0], "rotate") == 0) {
		w = vgc_req(c, VG_OP_PRINCIPAL_ROTATE);
		vg_msgb_str(w, VG_TAG_NAME, argv[1]);
		for (int i = 2; i + 1 < argc; i += 2) {
			if (strcmp(argv[i], "--vault") == 0)
				vg_msgb_str(w, VG_TAG_VAULT, argv[i + 1]);
			else if (strcmp(argv[i], "--pin") == 0) {
				char pin[64];
				legacy_secret(argv[i + 1], "--pin PIN", "the global --pin-file FILE|-", pin,
					sizeof(pin));
				vg_msgb_str(w, VG_TAG_PIN, pin);
				memset(pin, 0, sizeof(pin));
			}
			else {
				usage(stderr);
				return 2;
			}
		}
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, argv[1]);
		return print_token_resp(&m, argv[1]);
	}
	if ((argc == 4 || (argc == 6 && strcmp(argv[4], "--vault") == 0)) &&
	    strcmp(argv[0], "cert") == 0 &&
	    (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "remove") == 0)) {
		uint8_t fp[32];
		char hex[65];
		size_t j = 0;
		/* Accept "AB:CD:..." as openssl prints it, or plain hex. */
		for (const char *p = argv[3]; *p && j < sizeof(hex) - 1; p++)
			if (*p != ':')
				hex[j++] = *p;
		hex[j] = 0;
		if (vg_unhex(fp, sizeof(fp), hex))
			return fail("%s: expected a SHA-256 fingerprint (64 hex digits)", argv[3]);
		w = vgc_req(c, VG_OP_PRINCIPAL_CERT);
		vg_msgb_str(w, VG_TAG_NAME, argv[2]);
		vg_msgb_bytes(w, VG_TAG_HASH, fp, 32);
		if (argc == 6)
			vg_msgb_str(w, VG_TAG_VAULT, argv[5]);
		if (strcmp(argv[1], "remove") == 0)
			vg_msgb_u32(w, VG_TAG_FLAGS, 1);
		return simple(c, argv[2]);
	}
	usage(stderr);
	return 2;
}

static int cmd_role(struct vgc *c, int argc, char **argv)
{
	struct vg_msg m;
	struct vg_wr *w;
	int r;

	if ((argc == 4 && strcmp(argv[0], "grant") == 0) || (argc == 3 && strcmp(argv[0], "revoke") == 0)) {
		w = vgc_req(c, VG_OP_ROLE_SET);
		vg_msgb_str(w, VG_TAG_NAME, argv[1]);
		vg_msgb_str(w, VG_TAG_VAULT, argv[2]);
		vg_msgb_str(w, VG_TAG_ROLE, argc == 4 ? argv[3] : "none");
		if ((r = simple(c, argv[1])))
			return r;
		printf("%s %s on %s\n", argv[1], argc == 4 ? argv[3] : "revoked", argv[2]);
		return 0;
	}
	if ((argc == 1 || argc == 2) && strcmp(argv[0], "list") == 0) {
		w = vgc_req(c, VG_OP_ROLE_LIST);
		if (argc == 2)
			vg_msgb_str(w, VG_TAG_VAULT, argv[1]);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, "role list");
		while ((r = vgc_stream_next(c, &m)) == 1) {
			char n[80], v[80], ro[32];
			vg_msg_str(&m, VG_TAG_NAME, n, sizeof(n));
			vg_msg_str(&m, VG_TAG_VAULT, v, sizeof(v));
			vg_msg_str(&m, VG_TAG_ROLE, ro, sizeof(ro));
			printf("%s\t%s\t%s\n", n, v, ro);
		}
		return r ? fail_call(c, r, "role list") : 0;
	}
	usage(stderr);
	return 2;
}

/* "ab:CD:..." or 64 hex digits -> "AB:CD:..." (as openssl prints it). */
static int norm_fingerprint(const char *in, char out[VCTL_FP_LEN])
{
	size_t n = 0;

	for (const char *p = in; *p; p++) {
		if (*p == ':')
			continue;
		if (!isxdigit((unsigned char)*p) || n == 64)
			return VG_EINVAL;
		if (n && n % 2 == 0)
			out[n / 2 * 3 - 1] = ':';
		out[n / 2 * 3 + n % 2] = (char)toupper((unsigned char)*p);
		n++;
	}
	if (n != 64)
		return VG_EINVAL;
	out[VCTL_FP_LEN - 1] = 0;
	return 0;
}

static int cmd_agent(struct vgc *c, int argc, char **argv)
{
	struct vg_msg m;
	struct vg_wr *w;
	int r;

	if (argc >= 3 && strcmp(argv[0], "register") == 0) {
		const char *out = NULL, *endpoint = NULL, *cafp = NULL, *gwconf = NULL, *item = NULL;
		char tok[300], ts[32], url[400] = "", fp[VCTL_FP_LEN] = "", why[600];
		uint64_t exp = 0;
		for (int i = 3; i < argc; i += 2) {
			const char **slot = i + 1 >= argc ? NULL :
				strcmp(argv[i], "-o") == 0 ? &out :
				strcmp(argv[i], "--endpoint") == 0 ? &endpoint :
				strcmp(argv[i], "--ca-fingerprint") == 0 ? &cafp :
				strcmp(argv[i], "--gw-config") == 0 ? &gwconf :
				strcmp(argv[i], "--item") == 0 ? &item : NULL;
			if (!slot) {
				usage(stderr);
				return 2;
			}
			*slot = argv[i + 1];
		}
		/* The credentials file is useless without where to go and what to
		 * pin: both are settled before the registration is made. */
		/* A given pin is written as given, once it is known to be one. */
		if (out && cafp && (norm_fingerprint(cafp, fp) || strlen(cafp) >= sizeof(fp)))
			return fail("--ca-fingerprint %s: expected a SHA-256 fingerprint (64 hex digits, ':' allowed)",
				cafp);
		if (cafp)
			snprintf(fp, sizeof(fp), "%s", cafp);
		if (out && (!endpoint || !cafp) &&
		    vctl_gw_endpoint(gwconf ? gwconf : VCTL_GW_CONFIG, endpoint ? NULL : url, sizeof(url),
			    cafp ? NULL : fp, why, sizeof(why)))
			return fail("agent register: %s", why);
		if (endpoint && (strncmp(endpoint, "https://", 8) != 0 || strpbrk(endpoint, " \t\n\"'$`\\")))
			return fail("--endpoint %s: expected https://HOST[:PORT]", endpoint);
		if (endpoint)
			snprintf(url, sizeof(url), "%s", endpoint);
		if (item && vg_name_check(item, VG_ITEM_NAME_MAX))
			return fail("--item %s: not a valid item name", item);
		w = vgc_req(c, VG_OP_AGENT_REGISTER);
		vg_msgb_str(w, VG_TAG_VAULT, argv[1]);
		vg_msgb_str(w, VG_TAG_NAME, argv[2]);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, argv[2]);
		vg_msg_str(&m, VG_TAG_TOKEN, tok, sizeof(tok));
		vg_msg_u64(&m, VG_TAG_TIME2, &exp);
		vg_time_iso(exp, "-", ts, sizeof(ts));
		if (out) {
			/* The credentials file: endpoint, pinned fingerprint, one-time
			 * token (image/files/vaultgate-agent-enrol reads it). */
			int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
			if (!f) {
				OPENSSL_cleanse(tok, sizeof(tok));
				return fail("%s: %s", out, strerror(errno));
			}
			fprintf(f, "VG_ENDPOINT=%s\nVG_CA_FINGERPRINT=%s\nVG_VAULT=%s\nVG_AGENT=%s\n"
				"VG_ITEM=%s\nVG_REGISTRATION_TOKEN=%s\nVG_EXPIRES=%s\n", url, fp, argv[1],
				argv[2], item ? item : "", tok, ts);
			OPENSSL_cleanse(tok, sizeof(tok));
			if (fclose(f))
				return fail("%s: %s", out, strerror(errno));
			printf("agent %s registered; credentials in %s, valid until %s\n"
			       "endpoint %s, certificate SHA-256 %s\n", argv[2], out, ts, url, fp);
		} else {
			printf("%s\nexpires %s\n", tok, ts);
			OPENSSL_cleanse(tok, sizeof(tok));
		}
		return 0;
	}
	if ((argc == 3 || (argc == 4 && strcmp(argv[2], "--token-file") == 0)) &&
	    strcmp(argv[0], "activate") == 0) {
		char reg[300];
		if (argc == 3)
			legacy_secret(argv[2], "the registration token", "--token-file FILE|-", reg,
				sizeof(reg));
		else if ((r = vgc_read_secret(argv[3], reg, sizeof(reg))))
			return fail("%s: cannot read a registration token: %s", argv[3], vgc_secret_strerror(r));
		w = vgc_req(c, VG_OP_AGENT_ACTIVATE);
		vg_msgb_str(w, VG_TAG_NAME, argv[1]);
		vg_msgb_str(w, VG_TAG_TOKEN, reg);
		memset(reg, 0, sizeof(reg));
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, argv[1]);
		return print_token_resp(&m, argv[1]);
	}
	usage(stderr);
	return 2;
}

/* The arguments [VAULT] [--json] of a listing: 0, or 2 after the usage. */
static int vault_json_args(int argc, char **argv, const char **vault, int *json)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			*json = 1;
		else if (!*vault)
			*vault = argv[i];
		else {
			usage(stderr);
			return 2;
		}
	}
	return 0;
}

/* Sends op (for one vault, or all) and opens its rows: 0, or the exit
 * code after the failure is printed. */
static int open_rows(struct vgc *c, uint32_t op, const char *vault, const char *what,
	struct vg_msg *m)
{
	struct vg_wr *w = vgc_req(c, op);
	int r;

	if (vault)
		vg_msgb_str(w, VG_TAG_VAULT, vault);
	if ((r = vgc_call(c, m)))
		return fail_call(c, r, what);
	return 0;
}

static int cmd_alerts(struct vgc *c, int argc, char **argv)
{
	struct vg_msg m;
	const char *vault = NULL;
	int r, json = 0;

	if ((r = vault_json_args(argc, argv, &vault, &json)) ||
	    (r = open_rows(c, VG_OP_ALERT_LIST, vault, "alerts", &m)))
		return r;
	while ((r = vgc_stream_next(c, &m)) == 1) {
		char n[40], sev[20], p[80], v[80], t[600], d[600], ts[32];
		uint64_t seq = 0, tm = 0;
		vg_msg_u64(&m, VG_TAG_SEQ, &seq);
		vg_msg_u64(&m, VG_TAG_TIME, &tm);
		vg_msg_str(&m, VG_TAG_NAME, n, sizeof(n));
		vg_msg_str(&m, VG_TAG_STATE, sev, sizeof(sev));
		vg_msg_str(&m, VG_TAG_PRINCIPAL, p, sizeof(p));
		vg_msg_str(&m, VG_TAG_VAULT, v, sizeof(v));
		vg_msg_str(&m, VG_TAG_TARGET, t, sizeof(t));
		vg_msg_str(&m, VG_TAG_DETAIL, d, sizeof(d));
		vg_time_iso(tm, "-", ts, sizeof(ts));
		if (json) {
			json_t *o = json_pack("{s:I,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "seq",
				(json_int_t)seq, "time", ts, "unix", (json_int_t)tm, "name", n, "severity",
				sev, "principal", p, "vault", v, "target", t, "detail", d);
			char *js = o ? json_dumps(o, JSON_COMPACT) : NULL;
			if (js)
				puts(js);
			free(js);
			json_decref(o);
		} else {
			printf("%llu\t%s\t%s\t%s\tvault=%s\ttarget=%s\tby=%s\t%s\n",
				(unsigned long long)seq, ts, sev, n, *v ? v : "-", t, p, d);
		}
	}
	return r ? fail_call(c, r, "alerts") : 0;
}

/* vaultctl pending [VAULT] [--json]: weakening changes in their cooling-off. */
static int cmd_pending(struct vgc *c, int argc, char **argv)
{
	struct vg_msg m;
	const char *vault = NULL;
	int r, json = 0;

	if ((r = vault_json_args(argc, argv, &vault, &json)) ||
	    (r = open_rows(c, VG_OP_PENDING_LIST, vault, "pending", &m)))
		return r;
	while ((r = vgc_stream_next(c, &m)) == 1) {
		char id[40], v[80], what[300], to[300], from[300], p[80], al[40], t1[32], t2[32];
		uint64_t req = 0, eff = 0;
		vg_msg_str(&m, VG_TAG_ID, id, sizeof(id));
		vg_msg_str(&m, VG_TAG_VAULT, v, sizeof(v));
		vg_msg_str(&m, VG_TAG_NAME, what, sizeof(what));
		vg_msg_str(&m, VG_TAG_VALUE, to, sizeof(to));
		vg_msg_str(&m, VG_TAG_REASON, from, sizeof(from));
		vg_msg_str(&m, VG_TAG_PRINCIPAL, p, sizeof(p));
		vg_msg_str(&m, VG_TAG_KIND, al, sizeof(al));
		vg_msg_u64(&m, VG_TAG_TIME, &req);
		vg_msg_u64(&m, VG_TAG_TIME2, &eff);
		vg_time_iso(req, "-", t1, sizeof(t1));
		vg_time_iso(eff, "-", t2, sizeof(t2));
		if (json) {
			json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", id, "vault", v,
				"what", what, "from", from, "to", to, "requested_by", p,
				"requested_at", t1, "effective_at", t2, "alert", al);
			char *js = o ? json_dumps(o, JSON_COMPACT) : NULL;
			if (js)
				puts(js);
			free(js);
			json_decref(o);
		} else {
			printf("%s\t%s\t%s\t%s -> %s\tby=%s\trequested=%s\teffective=%s\n", id, v, what,
				from, to, p, t1, t2);
		}
	}
	return r ? fail_call(c, r, "pending") : 0;
}

static int cmd_metrics(struct vgc *c)
{
	struct vg_msg m;
	int r;

	vgc_req(c, VG_OP_METRICS);
	if ((r = vgc_call(c, &m)))
		return fail_call(c, r, "metrics");
	while ((r = vgc_stream_next(c, &m)) == 1)
		if (m.type != VG_F_DATA || vg_write_full(1, m.data, m.datalen)) {
			r = VG_EPROTO;
			break;
		}
	return r ? fail_call(c, r, "metrics") : 0;
}

/* ---- table-driven commands: WORD SUB ARGS... -> one request ------------- */

struct tcmd {
	const char *word, *sub;
	uint32_t op;
	int nargs;
	uint16_t tags[4];
	uint32_t flags;          /* VG_TAG_FLAGS to send, 0: none */
	const char *done;        /* printed before the first argument, NULL: silent */
	uint16_t show;           /* a string field of the answer to print, 0: none */
};

static const struct tcmd tcmds[] = {
	{"vault", "set", VG_OP_VAULT_SET, 3, {VG_TAG_VAULT, VG_TAG_NAME, VG_TAG_VALUE}, 0, "vault updated", 0},
	{"vault", "delete", VG_OP_VAULT_DELETE, 1, {VG_TAG_VAULT}, 0, "vault deleted", 0},
	{"vault", "undelete", VG_OP_VAULT_UNDELETE, 1, {VG_TAG_VAULT}, 0, "vault restored", 0},
	{"policy", "set", VG_OP_POLICY_SET, 3, {VG_TAG_VAULT, VG_TAG_NAME, VG_TAG_VALUE}, 0, "policy set in vault", 0},
	{"item", "policy", VG_OP_ITEM_SET_POLICY, 3, {VG_TAG_VAULT, VG_TAG_ITEM, VG_TAG_NAME}, 0, "item policy changed in vault", 0},
	{"item", "undelete", VG_OP_ITEM_UNDELETE, 2, {VG_TAG_VAULT, VG_TAG_ITEM}, 0, "item restored to stopped-retain in vault", 0},
	{"item", "set", VG_OP_ITEM_SET, 4, {VG_TAG_VAULT, VG_TAG_ITEM, VG_TAG_NAME, VG_TAG_VALUE}, 0, "item updated in vault", 0},
	{"item", "resume", VG_OP_ITEM_RESUME, 2, {VG_TAG_VAULT, VG_TAG_ITEM}, 0, "protection resumed in vault", 0},
	{"point", "delete", VG_OP_POINT_DELETE, 3, {VG_TAG_VAULT, VG_TAG_ITEM, VG_TAG_POINT}, 0, "point deleted in vault", 0},
	{"point", "undelete", VG_OP_POINT_UNDELETE, 3, {VG_TAG_VAULT, VG_TAG_ITEM, VG_TAG_POINT}, 0, "point restored in vault", 0},
	{"point", "abort", VG_OP_POINT_ABORT, 3, {VG_TAG_VAULT, VG_TAG_ITEM, VG_TAG_POINT}, 0, "pending point aborted in vault", 0},
	{"guard", "create", VG_OP_GUARD_CREATE, 1, {VG_TAG_NAME}, 0, "guard created", 0},
	{"guard", "exclude", VG_OP_GUARD_EXCLUDE, 2, {VG_TAG_NAME, VG_TAG_OPNAME}, 0, "guard updated", 0},
	{"guard", "include", VG_OP_GUARD_EXCLUDE, 2, {VG_TAG_NAME, VG_TAG_OPNAME}, 1, "guard updated", 0},
	{"mua", "request", VG_OP_MUA_REQUEST, 3, {VG_TAG_VAULT, VG_TAG_OPNAME, VG_TAG_TARGET}, 0, NULL, VG_TAG_ID},
	{"mua", "deny", VG_OP_MUA_APPROVE, 1, {VG_TAG_ID}, 1, "request denied", 0},
	{"pin", "generate", VG_OP_PIN_GENERATE, 1, {VG_TAG_VAULT}, 0, NULL, VG_TAG_PIN},
	{"purge", "run", VG_OP_PURGE_RUN, 0, {0}, 0, NULL, VG_TAG_DETAIL},
	{"event", "record", VG_OP_EVENT_RECORD, 3, {VG_TAG_OPNAME, VG_TAG_TARGET, VG_TAG_REASON}, 0, "event recorded", 0},
	{"pending", "cancel", VG_OP_PENDING_CANCEL, 1, {VG_TAG_ID}, 0, "pending change cancelled", 0},
	{"pending", "expedite", VG_OP_PENDING_CANCEL, 1, {VG_TAG_ID}, 1, "pending change applied now (test daemon)", 0},
};

static int cmd_table(struct vgc *c, const char *word, int argc, char **argv, int *handled)
{
	struct vg_msg m;
	struct vg_wr *w;
	int r;

	*handled = 0;
	if (argc < 1)
		return 0;
	for (size_t i = 0; i < sizeof(tcmds) / sizeof(tcmds[0]); i++) {
		const struct tcmd *t = &tcmds[i];
		char out[600], state[32];
		if (strcmp(t->word, word) != 0 || strcmp(t->sub, argv[0]) != 0)
			continue;
		*handled = 1;
		if (argc - 1 != t->nargs) {
			usage(stderr);
			return 2;
		}
		w = vgc_req(c, t->op);
		for (int j = 0; j < t->nargs; j++)
			vg_msgb_str(w, t->tags[j], argv[1 + j]);
		if (t->flags)
			vg_msgb_u32(w, VG_TAG_FLAGS, t->flags);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, t->nargs ? argv[1] : word);
		if (t->show && vg_msg_str(&m, t->show, out, sizeof(out)) == 0)
			printf("%s\n", out);
		/* What really happened (SPEC §2, §11): "soft-deleted until T",
		 * "permanently deleted", "pending until T (id ID)". */
		if (vg_msg_str(&m, VG_TAG_STATE, state, sizeof(state)) == 0 && strcmp(state, "done") != 0 &&
		    vg_msg_str(&m, VG_TAG_DETAIL, out, sizeof(out)) == 0) {
			printf("%s: %s: %s\n", t->done ? t->done : t->sub, t->nargs ? argv[1] : "", out);
			return 0;
		}
		if (t->done)
			printf("%s: %s\n", t->done, t->nargs ? argv[1] : "");
		return 0;
	}
	return 0;
}

/* keys export --to FILE [--passphrase-file FILE]: the passphrase is the
 * first line of the file, or of stdin (never argv). The file is written
 * new (O_EXCL, 0600) and fsync'd; vaultd seals it (vault/keyexport.h). */
static int cmd_keys(struct vgc *c, int argc, char **argv)
{
	const char *to = NULL, *pf = NULL;
	char pass[4097], *txt = NULL;
	struct vg_msg m;
	struct vg_wr *w;
	FILE *f;
	size_t n;
	int r, fd;

	for (int i = 1; i < argc; i += 2) {
		const char **slot = i + 1 >= argc ? NULL : strcmp(argv[i], "--to") == 0 ? &to :
			strcmp(argv[i], "--passphrase-file") == 0 ? &pf : NULL;
		if (!slot) {
			usage(stderr);
			return 2;
		}
		*slot = argv[i + 1];
	}
	if (!to) {
		usage(stderr);
		return 2;
	}
	f = pf ? fopen(pf, "re") : stdin;
	if (!f)
		return fail("%s: %s", pf, strerror(errno));
	if (!fgets(pass, sizeof(pass), f))
		pass[0] = 0;
	if (pf)
		fclose(f);
	n = strlen(pass);
	while (n && (pass[n - 1] == '\n' || pass[n - 1] == '\r'))
		pass[--n] = 0;
	if (n < 12) {
		OPENSSL_cleanse(pass, sizeof(pass));
		return fail("keys export: the passphrase (first line of %s) must be at least 12 bytes",
			pf ? pf : "stdin");
	}
	/* The file first: a refusal here costs no MUA grant. */
	if ((fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		r = errno;
		OPENSSL_cleanse(pass, sizeof(pass));
		return fail("%s: %s (it is never overwritten)", to, strerror(r));
	}
	w = vgc_req(c, VG_OP_KEYS_EXPORT);
	vg_msgb_str(w, VG_TAG_VALUE, pass);
	OPENSSL_cleanse(pass, sizeof(pass));
	r = vgc_call(c, &m);
	OPENSSL_cleanse(w->p, w->cap);
	if (r) {
		close(fd);
		unlink(to);
		return fail_call(c, r, to);
	}
	if (!(txt = calloc(1, 4097))) {
		close(fd);
		unlink(to);
		return fail("keys export: out of memory");
	}
	n = 0;
	while ((r = vgc_stream_next(c, &m)) == 1) {
		if (m.type != VG_F_DATA || m.datalen > 4096 - n) {
			r = VG_EPROTO;
			break;
		}
		memcpy(txt + n, m.data, m.datalen);
		n += m.datalen;
	}
	if (r || n == 0) {
		free(txt);
		close(fd);
		unlink(to);
		return r ? fail_call(c, r, to) : fail("keys export: vaultd sent no file");
	}
	if (vg_write_full(fd, txt, n) || fsync(fd) || close(fd)) {
		r = errno;
		free(txt);
		unlink(to);
		return fail("%s: %s", to, strerror(r));
	}
	free(txt);
	printf("keys exported to %s (platform, audit and infrastructure keys sealed under the "
	       "passphrase); keep it and the passphrase apart, off this appliance\n", to);
	return 0;
}

static int cmd_misc(struct vgc *c, const char *word, int argc, char **argv)
{
	struct vg_msg m;
	struct vg_wr *w;
	int r;

	if (strcmp(word, "keys") == 0 && argc >= 1 && strcmp(argv[0], "export") == 0)
		return cmd_keys(c, argc, argv);

	if (strcmp(word, "item") == 0 && argc >= 3 && strcmp(argv[0], "stop") == 0) {
		int del = argc == 4 && strcmp(argv[3], "--delete-data") == 0;
		if (argc != 3 && !del) {
			usage(stderr);
			return 2;
		}
		w = vgc_req(c, VG_OP_ITEM_STOP);
		vg_msgb_str(w, VG_TAG_VAULT, argv[1]);
		vg_msgb_str(w, VG_TAG_ITEM, argv[2]);
		vg_msgb_u32(w, VG_TAG_FLAGS, del ? 1 : 0);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, argv[2]);
		if (del) {
			char detail[200];
			if (vg_msg_str(&m, VG_TAG_DETAIL, detail, sizeof(detail)))
				return fail_call(c, VG_EPROTO, argv[2]);
			printf("protection of %s/%s stopped, data %s\n", argv[1], argv[2], detail);
		} else {
			printf("protection of %s/%s stopped, data retained\n", argv[1], argv[2]);
		}
		return 0;
	}
	if (strcmp(word, "guard") == 0 && argc == 4 && strcmp(argv[0], "approver") == 0 &&
	    (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "remove") == 0)) {
		w = vgc_req(c, VG_OP_GUARD_APPROVER);
		vg_msgb_str(w, VG_TAG_NAME, argv[2]);
		vg_msgb_str(w, VG_TAG_PRINCIPAL, argv[3]);
		if (strcmp(argv[1], "remove") == 0)
			vg_msgb_u32(w, VG_TAG_FLAGS, 1);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, argv[2]);
		printf("guard %s: approver %s %s\n", argv[2], argv[3],
			strcmp(argv[1], "add") == 0 ? "added" : "removed");
		return 0;
	}
	if (strcmp(word, "guard") == 0 && argc == 1 && strcmp(argv[0], "check") == 0) {
		int n = 0;
		vgc_req(c, VG_OP_GUARD_CHECK);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, "guard check");
		while ((r = vgc_stream_next(c, &m)) == 1) {
			char g[80], v[80], p[80], by[80];
			vg_msg_str(&m, VG_TAG_NAME, g, sizeof(g));
			vg_msg_str(&m, VG_TAG_VAULT, v, sizeof(v));
			vg_msg_str(&m, VG_TAG_PRINCIPAL, p, sizeof(p));
			if (vg_msg_str(&m, VG_TAG_REASON, by, sizeof(by)) == 0)
				printf("CREATED BY OWNER: approver %s of guard %s was created by %s, Owner of "
					"vault %s: MUA is defeated\n", p, g, by, v);
			else
				printf("OVERLAP: %s is Owner of vault %s and approver of its guard %s: MUA is "
					"defeated\n", p, v, g);
			n++;
		}
		if (r)
			return fail_call(c, r, "guard check");
		if (!n)
			printf("no principal is both a vault Owner and an approver of its guard\n");
		return n ? 1 : 0;
	}
	if (strcmp(word, "mua") == 0 && argc >= 2 && strcmp(argv[0], "approve") == 0) {
		uint64_t win = 0;
		if (argc == 4 && strcmp(argv[2], "--window") == 0) {
			if (vg_parse_u64(argv[3], 1, UINT32_MAX, &win))
				return fail("--window %s: expected seconds", argv[3]);
		} else if (argc != 2) {
			usage(stderr);
			return 2;
		}
		w = vgc_req(c, VG_OP_MUA_APPROVE);
		vg_msgb_str(w, VG_TAG_ID, argv[1]);
		if (win)
			vg_msgb_u64(w, VG_TAG_SIZE, win);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, argv[1]);
		printf("request %s approved\n", argv[1]);
		return 0;
	}
	if (strcmp(word, "mua") == 0 && argc == 1 && strcmp(argv[0], "list") == 0) {
		vgc_req(c, VG_OP_MUA_LIST);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, "mua list");
		while ((r = vgc_stream_next(c, &m)) == 1) {
			char id[40], g[80], op[40], t[520], p[80], st[20], ts[32];
			uint64_t exp = 0;
			vg_msg_str(&m, VG_TAG_ID, id, sizeof(id));
			vg_msg_str(&m, VG_TAG_NAME, g, sizeof(g));
			vg_msg_str(&m, VG_TAG_OPNAME, op, sizeof(op));
			vg_msg_str(&m, VG_TAG_TARGET, t, sizeof(t));
			vg_msg_str(&m, VG_TAG_PRINCIPAL, p, sizeof(p));
			vg_msg_str(&m, VG_TAG_STATE, st, sizeof(st));
			vg_msg_u64(&m, VG_TAG_TIME2, &exp);
			vg_time_iso(exp, "-", ts, sizeof(ts));
			printf("%s\t%s\t%s\t%s\tguard=%s\tby=%s\tuntil=%s\n", id, st, op, t, g, p, ts);
		}
		return r ? fail_call(c, r, "mua list") : 0;
	}
	if (strcmp(word, "policy") == 0 && argc == 2 && strcmp(argv[0], "list") == 0) {
		w = vgc_req(c, VG_OP_POLICY_LIST);
		vg_msgb_str(w, VG_TAG_VAULT, argv[1]);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, argv[1]);
		while ((r = vgc_stream_next(c, &m)) == 1) {
			char n[80], v[200];
			vg_msg_str(&m, VG_TAG_NAME, n, sizeof(n));
			vg_msg_str(&m, VG_TAG_VALUE, v, sizeof(v));
			printf("%s\t%s\n", n, v);
		}
		return r ? fail_call(c, r, "policy list") : 0;
	}
	if (strcmp(word, "clock") == 0 && argc == 1 && strcmp(argv[0], "accept") == 0) {
		char d[200] = "";
		vgc_req(c, VG_OP_CLOCK_ACCEPT);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, "clock accept");
		vg_msg_str(&m, VG_TAG_DETAIL, d, sizeof(d));
		printf("clock jump accepted: %s\n", d);
		return 0;
	}
	if (strcmp(word, "clock") == 0 && argc == 2 &&
	    (strcmp(argv[0], "advance") == 0 || strcmp(argv[0], "jump") == 0)) {
		uint64_t secs, now = 0;
		int jump = strcmp(argv[0], "jump") == 0, back = jump && argv[1][0] == '-';
		char ts[32];
		if (vg_parse_u64(argv[1] + back, 0, UINT64_MAX, &secs))
			return fail("clock %s %s: expected seconds", argv[0], argv[1]);
		w = vgc_req(c, VG_OP_CLOCK_ADVANCE);
		vg_msgb_u64(w, VG_TAG_SIZE, secs);
		if (jump)
			vg_msgb_u32(w, VG_TAG_FLAGS, back ? 3 : 1);
		if ((r = vgc_call(c, &m)))
			return fail_call(c, r, "clock advance");
		vg_msg_u64(&m, VG_TAG_TIME, &now);
		vg_time_iso(now, "-", ts, sizeof(ts));
		printf("vaultd time is now %s\n", ts);
		return 0;
	}
	usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"user", required_argument, NULL, 'u'},
		{"token-file", required_argument, NULL, 't'},
		{"grant", required_argument, NULL, 'G'},
		{"pin", required_argument, NULL, 'P'},
		{"pin-file", required_argument, NULL, 'p'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *sock = getenv("VAULTD_SOCKET"), *cmd;
	struct vgc_auth auth = {0};
	static char token[300], pin[64];
	struct vgc *c = NULL;
	int ch, r;

	if (!sock)
		sock = DEFAULT_SOCKET;
	/* A vaultd that goes away is an error message, not a silent signal death. */
	signal(SIGPIPE, SIG_IGN);
	auth.user = getenv("VG_USER");
	if (getenv("VG_TOKEN")) {
		snprintf(token, sizeof(token), "%s", getenv("VG_TOKEN"));
		auth.token = token;
	}
	/* remote and sync are vaultsync's: their options are its own. */
	if ((r = vctl_sync_exec(sock, argc, argv)) >= 0)
		return r;
	if ((r = hoist_globals(argc, argv, opts)))
		return r;
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'u': auth.user = optarg; break;
		case 't':
			if ((r = vgc_read_secret(optarg, token, sizeof(token))))
				return fail("%s: cannot read a token: %s", optarg, vgc_secret_strerror(r));
			auth.token = token;
			break;
		case 'G': auth.grant = optarg; break;
		case 'P':
			legacy_secret(optarg, "--pin PIN", "--pin-file FILE|-", pin, sizeof(pin));
			auth.pin = pin;
			break;
		case 'p':
			if ((r = vgc_read_secret(optarg, pin, sizeof(pin))))
				return fail("%s: cannot read a PIN: %s", optarg, vgc_secret_strerror(r));
			auth.pin = pin;
			break;
		case 'q': vtp_set_quiet(true); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	if ((r = vgc_connect(sock, &c)))
		return fail("cannot reach vaultd at %s: %s", sock, vg_strerror(r));
	vgc_set_auth(c, &auth);
	vctl_progress_link(sock, &auth);
	{
		int handled;
		r = cmd_table(c, cmd, argc, argv, &handled);
		if (handled) {
			vgc_close(c);
			return r;
		}
	}
	if (strcmp(cmd, "vault") == 0 && argc >= 1 && (strcmp(argv[0], "create") == 0 ||
		strcmp(argv[0], "list") == 0 || strcmp(argv[0], "show") == 0 ||
		strcmp(argv[0], "key") == 0))
		r = cmd_vault(c, argc, argv);
	else if (strcmp(cmd, "item") == 0 && argc >= 1 && (strcmp(argv[0], "create") == 0 ||
		 strcmp(argv[0], "list") == 0))
		r = cmd_item(c, argc, argv);
	else if (strcmp(cmd, "backup") == 0)
		r = cmd_backup(c, sock, argc, argv);
	else if (strcmp(cmd, "points") == 0)
		r = cmd_points(c, argc, argv);
	else if (strcmp(cmd, "objects") == 0)
		r = cmd_objects(c, argc, argv);
	else if (strcmp(cmd, "restore") == 0)
		r = cmd_restore(c, argc, argv);
	else if (strcmp(cmd, "audit") == 0 && argc >= 1)
		r = cmd_audit(c, argc, argv);
	else if (strcmp(cmd, "principal") == 0 && argc >= 1)
		r = cmd_principal(c, argc, argv);
	else if (strcmp(cmd, "role") == 0 && argc >= 1)
		r = cmd_role(c, argc, argv);
	else if (strcmp(cmd, "agent") == 0 && argc >= 1)
		r = cmd_agent(c, argc, argv);
	else if (strcmp(cmd, "alerts") == 0)
		r = cmd_alerts(c, argc, argv);
	else if (strcmp(cmd, "pending") == 0)
		r = cmd_pending(c, argc, argv);
	else if (strcmp(cmd, "metrics") == 0 && argc == 0)
		r = cmd_metrics(c);
	else if (strcmp(cmd, "report") == 0)
		r = vctl_report(c, argc, argv);
	else if (strcmp(cmd, "scrub") == 0)
		r = vctl_scrub(c, argc, argv);
	else if (strcmp(cmd, "restic") == 0)
		r = vctl_restic(c, argc, argv);
	else if (strcmp(cmd, "s3") == 0)
		r = vctl_s3(c, argc, argv);
	else if (strcmp(cmd, "whoami") == 0 && argc == 0) {
		struct vg_msg m;
		char p[130];
		vgc_req(c, VG_OP_WHOAMI);
		if ((r = vgc_call(c, &m)))
			r = fail_call(c, r, "whoami");
		else if (!vg_msg_str(&m, VG_TAG_PRINCIPAL, p, sizeof(p)))
			printf("%s\n", p);
	} else {
		r = cmd_misc(c, cmd, argc, argv);
	}
	vgc_close(c);
	return r;
}
