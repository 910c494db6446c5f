/* config.c - see config.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "names.h"
#include "vg_err.h"

#define CONFIG_MAX_BYTES (64u * 1024u)
#define CONFIG_LINE_MAX 1024u

enum ktype { K_STR, K_PATH, K_U64, K_LISTEN, K_NAME, K_S3LISTEN };

struct key {
	const char *name;
	enum ktype type;
	size_t off;
	uint64_t min, max;
};

#define OFF(f) offsetof(struct gw_config, f)
#define KIB 1024ull
#define GIB (1024ull * 1024ull * 1024ull)

static const struct key keys[] = {
	{"listen", K_LISTEN, 0, 0, 0},
	{"vaultd_socket", K_PATH, OFF(vaultd_socket), 0, 0},
	{"user", K_STR, OFF(user), 0, 0},
	{"tls_cert", K_PATH, OFF(tls_cert), 0, 0},
	{"tls_key", K_PATH, OFF(tls_key), 0, 0},
	{"tls_dir", K_PATH, OFF(tls_dir), 0, 0},
	{"tls_san", K_STR, OFF(tls_san), 0, 0},
	{"tls_client_ca", K_PATH, OFF(tls_client_ca), 0, 0},
	{"tls_ticket_rotate", K_U64, OFF(tls_ticket_rotate), 60, 86400},
	{"restic_vault", K_NAME, OFF(restic_vault), 0, 0},
	{"max_header_bytes", K_U64, OFF(max_header_bytes), 1 * KIB, 64 * KIB},
	{"header_timeout", K_U64, OFF(header_timeout), 1, 600},
	{"idle_timeout", K_U64, OFF(idle_timeout), 1, 3600},
	{"max_connections", K_U64, OFF(max_connections), 1, 65536},
	{"max_connections_per_principal", K_U64, OFF(max_connections_per_principal), 1, 65536},
	{"max_body_json", K_U64, OFF(max_body_json), 1 * KIB, 16 * KIB * KIB},
	{"max_body_object", K_U64, OFF(max_body_object), 1, 1024 * 1024 * GIB},
	{"max_body_restic", K_U64, OFF(max_body_restic), 1, 1024 * GIB},
	{"auth_fail_burst", K_U64, OFF(auth_fail_burst), 1, 100000},
	{"auth_fail_per_minute", K_U64, OFF(auth_fail_per_minute), 1, 100000},
	{"vaultd_connections", K_U64, OFF(vaultd_connections), 1, 1024},
	{"vaultd_links_per_principal", K_U64, OFF(vaultd_links_per_principal), 1, 1024},
	{"vaultd_links_reserved", K_U64, OFF(vaultd_links_reserved), 0, 1023},
	{"workers", K_U64, OFF(workers), 1, 4096},
	{"vaultd_timeout", K_U64, OFF(vaultd_timeout), 1, 3600},
	{"ui_idle_timeout", K_U64, OFF(ui_idle_timeout), 1, 86400},
	{"ui_session_max", K_U64, OFF(ui_session_max), 1, 604800},
	/* S3 (issue 16; gateway/s3/) */
	{"s3_listen", K_S3LISTEN, 0, 0, 0},
	{"s3_vault", K_NAME, OFF(s3_vault), 0, 0},
	{"s3_region", K_STR, OFF(s3_region), 0, 0},
	{"s3_host_suffix", K_STR, OFF(s3_host_suffix), 0, 0},
};
_Static_assert(sizeof(keys) / sizeof(keys[0]) <= 32, "parse_line's seen is a 32-bit mask");

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

int gw_config_defaults(struct gw_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->tls_ticket_rotate = 3600;
	cfg->max_header_bytes = 16 * KIB;
	cfg->header_timeout = 10;
	cfg->idle_timeout = 60;
	cfg->max_connections = 4096;
	cfg->max_connections_per_principal = 64;
	cfg->max_body_json = 64 * KIB;
	cfg->max_body_object = 64 * GIB;
	cfg->max_body_restic = 512 * KIB * KIB;
	cfg->auth_fail_burst = 10;
	cfg->auth_fail_per_minute = 10;
	cfg->vaultd_connections = 64;
	cfg->vaultd_links_per_principal = 16;
	cfg->vaultd_links_reserved = 16;
	cfg->workers = 256;
	cfg->vaultd_timeout = 300;
	cfg->ui_idle_timeout = 900;
	cfg->ui_session_max = 28800;
	if (set_str(&cfg->path, "") || set_str(&cfg->vaultd_socket, "/run/vaultgate/vaultd.sock") ||
	    set_str(&cfg->user, "vaultgw") || set_str(&cfg->tls_dir, "/var/lib/vaultgate/gateway") ||
	    set_str(&cfg->restic_vault, "default") || set_str(&cfg->s3_vault, "default") ||
	    set_str(&cfg->s3_region, "us-east-1")) {
		gw_config_free(cfg);
		return -ENOMEM;
	}
	return 0;
}

void gw_config_free(struct gw_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->vaultd_socket);
	free(cfg->user);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->tls_dir);
	free(cfg->tls_san);
	free(cfg->tls_client_ca);
	free(cfg->restic_vault);
	free(cfg->s3_vault);
	free(cfg->s3_region);
	free(cfg->s3_host_suffix);
	memset(cfg, 0, sizeof(*cfg));
}

int gw_parse_listen(const char *s, struct gw_listen *out)
{
	char host[64];
	const char *port, *end;
	size_t hl;
	uint64_t p;

	memset(out, 0, sizeof(*out));
	if (strlen(s) >= sizeof(out->text))
		return VG_EINVAL;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			return VG_EINVAL;
		hl = (size_t)(end - s - 1);
		if (hl == 0 || hl >= sizeof(host))
			return VG_EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		port = end + 2;
	} else {
		end = strrchr(s, ':');
		if (!end || strchr(s, ':') != end)
			return VG_EINVAL;
		hl = (size_t)(end - s);
		if (hl == 0 || hl >= sizeof(host))
			return VG_EINVAL;
		memcpy(host, s, hl);
		host[hl] = 0;
		port = end + 1;
	}
	if (vg_parse_u64(port, 1, 65535, &p))
		return VG_EINVAL;
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->sa;
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return VG_EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)p);
		out->salen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&out->sa;
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return VG_EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)p);
		out->salen = sizeof(*a);
	}
	strcpy(out->text, s);
	strcpy(out->host, host);
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* One line: "key = value". Returns 0, or an error with why filled in. */
static int parse_line(const char *name, unsigned lineno, char *line, struct gw_config *cfg,
	unsigned *seen, char *why, size_t whysz)
{
	char *k = line, *v, *eq, *e;
	const struct key *key = NULL;
	size_t i;

	while (is_space(*k))
		k++;
	if (*k == 0 || *k == '#')
		return 0;
	eq = strchr(k, '=');
	if (!eq) {
		snprintf(why, whysz, "%s:%u: expected 'key = value', got '%.80s'", name, lineno, k);
		return VG_EINVAL;
	}
	e = eq;
	while (e > k && is_space(e[-1]))
		e--;
	*e = 0;
	v = eq + 1;
	while (is_space(*v))
		v++;
	e = v + strlen(v);
	while (e > v && is_space(e[-1]))
		e--;
	*e = 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, k) == 0) {
			key = &keys[i];
			break;
		}
	if (!key) {
		snprintf(why, whysz, "%s:%u: unknown key '%.80s'", name, lineno, k);
		return VG_EINVAL;
	}
	if (*v == 0) {
		snprintf(why, whysz, "%s:%u: %s: empty value", name, lineno, k);
		return VG_EINVAL;
	}
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f) {
			snprintf(why, whysz, "%s:%u: %s: control character in value", name, lineno, k);
			return VG_EINVAL;
		}
	if (key->type != K_LISTEN && (*seen & (1u << i))) {
		snprintf(why, whysz, "%s:%u: %s given twice", name, lineno, k);
		return VG_EINVAL;
	}
	*seen |= 1u << i;
	switch (key->type) {
	case K_LISTEN:
		if (cfg->nlisten == GW_MAX_LISTEN) {
			snprintf(why, whysz, "%s:%u: more than %d listen addresses", name, lineno,
				GW_MAX_LISTEN);
			return VG_EINVAL;
		}
		if (gw_parse_listen(v, &cfg->listen[cfg->nlisten])) {
			snprintf(why, whysz,
				"%s:%u: listen: '%.80s' is not ADDRESS:PORT or [IPV6]:PORT", name,
				lineno, v);
			return VG_EINVAL;
		}
		cfg->nlisten++;
		return 0;
	case K_S3LISTEN:
		if (gw_parse_listen(v, &cfg->s3_listen)) {
			snprintf(why, whysz,
				"%s:%u: s3_listen: '%.80s' is not ADDRESS:PORT or [IPV6]:PORT", name,
				lineno, v);
			return VG_EINVAL;
		}
		cfg->has_s3 = true;
		return 0;
	case K_U64: {
		uint64_t n;
		if (vg_parse_u64(v, key->min, key->max, &n)) {
			snprintf(why, whysz, "%s:%u: %s: '%.80s' is not a number in %llu..%llu", name,
				lineno, k, v, (unsigned long long)key->min,
				(unsigned long long)key->max);
			return VG_EINVAL;
		}
		*(uint64_t *)((char *)cfg + key->off) = n;
		return 0;
	}
	case K_PATH:
		if (v[0] != '/' || strlen(v) > 1000) {
			snprintf(why, whysz, "%s:%u: %s: '%.80s' is not an absolute path", name,
				lineno, k, v);
			return VG_EINVAL;
		}
		break;
	case K_NAME:
		if (vg_name_check(v, VG_VAULT_NAME_MAX)) {
			snprintf(why, whysz, "%s:%u: %s: '%.80s' is not a valid vault name", name,
				lineno, k, v);
			return VG_EINVAL;
		}
		break;
	case K_STR:
		if ((key->off == OFF(s3_region) || key->off == OFF(s3_host_suffix)) &&
		    (strlen(v) > 63 || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-.") != strlen(v))) {
			snprintf(why, whysz, "%s:%u: %s: '%.80s' is not lower-case letters, digits, "
				"'-' and '.' (at most 63)", name, lineno, k, v);
			return VG_EINVAL;
		}
		if (strlen(v) > 1000) {
			snprintf(why, whysz, "%s:%u: %s: value too long", name, lineno, k);
			return VG_EINVAL;
		}
		break;
	}
	if (set_str((char **)((char *)cfg + key->off), v)) {
		snprintf(why, whysz, "%s:%u: out of memory", name, lineno);
		return -ENOMEM;
	}
	return 0;
}

static bool key_seen(unsigned seen, const char *k)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, k) == 0)
			return (seen & (1u << i)) != 0;
	return false;
}

/* Cross-key checks, after the whole file. */
static int check_all(const char *name, struct gw_config *cfg, unsigned seen, char *why,
	size_t whysz)
{
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		snprintf(why, whysz, "%s: tls_cert and tls_key must be given together", name);
		return VG_EINVAL;
	}
	if (cfg->nlisten == 0) {
		if (gw_parse_listen("0.0.0.0:443", &cfg->listen[0]))
			return VG_EINTERNAL;
		cfg->nlisten = 1;
	}
	if (cfg->max_connections_per_principal > cfg->max_connections) {
		snprintf(why, whysz,
			"%s: max_connections_per_principal %llu exceeds max_connections %llu",
			name, (unsigned long long)cfg->max_connections_per_principal,
			(unsigned long long)cfg->max_connections);
		return VG_EINVAL;
	}
	/* Unless given, the link shares follow the pool: a quarter of it each
	 * (16 and 16 of the default 64). */
	if (!key_seen(seen, "vaultd_links_per_principal"))
		cfg->vaultd_links_per_principal =
			cfg->vaultd_connections >= 4 ? cfg->vaultd_connections / 4 : 1;
	if (!key_seen(seen, "vaultd_links_reserved"))
		cfg->vaultd_links_reserved = cfg->vaultd_connections / 4;
	if (cfg->vaultd_links_per_principal > cfg->vaultd_connections ||
	    cfg->vaultd_links_reserved >= cfg->vaultd_connections) {
		snprintf(why, whysz,
			"%s: vaultd_links_per_principal %llu must be at most, and vaultd_links_reserved "
			"%llu below, vaultd_connections %llu", name,
			(unsigned long long)cfg->vaultd_links_per_principal,
			(unsigned long long)cfg->vaultd_links_reserved,
			(unsigned long long)cfg->vaultd_connections);
		return VG_EINVAL;
	}
	if (vg_name_check(cfg->user, 32)) {
		snprintf(why, whysz, "%s: user '%.80s' is not a valid user name", name, cfg->user);
		return VG_EINVAL;
	}
	return 0;
}

int gw_config_parse(const char *name, const char *text, size_t len, struct gw_config *cfg,
	char *why, size_t whysz)
{
	char line[CONFIG_LINE_MAX + 1];
	unsigned lineno = 0, seen = 0;
	size_t pos = 0;
	int r;

	if ((r = set_str(&cfg->path, name)))
		goto fail;
	while (pos < len) {
		size_t n = 0;
		lineno++;
		while (pos < len && text[pos] != '\n') {
			if (text[pos] == 0) {
				snprintf(why, whysz, "%s:%u: NUL byte", name, lineno);
				r = VG_EINVAL;
				goto fail;
			}
			if (n == CONFIG_LINE_MAX) {
				snprintf(why, whysz, "%s:%u: line longer than %u bytes", name, lineno,
					CONFIG_LINE_MAX);
				r = VG_EINVAL;
				goto fail;
			}
			line[n++] = text[pos++];
		}
		pos++;  /* the newline */
		if (n > 0 && line[n - 1] == '\r')
			n--;
		line[n] = 0;
		if ((r = parse_line(name, lineno, line, cfg, &seen, why, whysz)))
			goto fail;
	}
	if ((r = check_all(name, cfg, seen, why, whysz)))
		goto fail;
	return 0;
fail:
	gw_config_free(cfg);
	return r;
}

/* relayd's check_file_secrecy: owned by root or the service user, not
 * writable by group or others. */
static int check_secrecy(const char *path, const struct stat *st, const char *user, char *why,
	size_t whysz)
{
	struct passwd *pw = getpwnam(user);

	if (st->st_uid != 0 && (!pw || st->st_uid != pw->pw_uid)) {
		snprintf(why, whysz, "%s: owned by uid %u, not root or %s", path,
			(unsigned)st->st_uid, user);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, whysz, "%s: writable by group or others (mode %04o)", path,
			(unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int gw_config_load(const char *path, struct gw_config *cfg, char *why, size_t whysz)
{
	struct stat st;
	char *text = NULL;
	long n;
	int fd = -1, r;

	if ((r = gw_config_defaults(cfg))) {
		snprintf(why, whysz, "out of memory");
		return r;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(why, whysz, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)CONFIG_MAX_BYTES) {
		snprintf(why, whysz, "%s: not a regular file of at most %u bytes", path,
			CONFIG_MAX_BYTES);
		r = VG_EINVAL;
		goto fail;
	}
	if (!(text = malloc((size_t)st.st_size + 1))) {
		r = -ENOMEM;
		snprintf(why, whysz, "out of memory");
		goto fail;
	}
	n = vg_read_full(fd, text, (size_t)st.st_size);
	if (n < 0 || n != (long)st.st_size) {
		r = n < 0 ? (int)n : -EIO;
		snprintf(why, whysz, "%s: short read", path);
		goto fail;
	}
	if ((r = gw_config_parse(path, text, (size_t)n, cfg, why, whysz)))
		goto out;  /* cfg already freed */
	if ((r = check_secrecy(path, &st, cfg->user, why, whysz)))
		goto fail;
	goto out;
fail:
	gw_config_free(cfg);
out:
	free(text);
	if (fd >= 0)
		close(fd);
	return r;
}
