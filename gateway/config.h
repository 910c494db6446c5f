/* config.h - vaultgw's configuration: one plain struct, parsed strictly.
 *
 * File format: one `key = value` per line; `#` starts a comment line; blank
 * lines are ignored. Unknown keys, duplicate keys (except `listen`), bad
 * numbers and out-of-range values are refused with file:line and the value.
 * Every key and its default is listed in gateway/README.md.
 */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define GW_MAX_LISTEN 8

struct gw_listen {
	struct sockaddr_storage sa;
	socklen_t salen;
	char text[80];          /* as written: "127.0.0.1:443", "[::1]:443" */
	char host[64];          /* the address part, without brackets */
};

struct gw_config {
	char *path;                     /* the file it came from ("" for defaults) */
	struct gw_listen listen[GW_MAX_LISTEN];
	int nlisten;
	char *vaultd_socket;
	char *user;
	char *tls_cert;                 /* NULL: generate in tls_dir */
	char *tls_key;
	char *tls_dir;
	char *tls_san;                  /* extra SANs for a generated certificate */
	char *tls_client_ca;            /* NULL: no mTLS */
	uint64_t tls_ticket_rotate;     /* seconds */
	char *restic_vault;
	uint64_t max_header_bytes;
	uint64_t header_timeout;        /* seconds */
	uint64_t idle_timeout;          /* seconds */
	uint64_t max_connections;
	uint64_t max_connections_per_principal;
	uint64_t max_body_json;
	uint64_t max_body_object;
	uint64_t max_body_restic;
	uint64_t auth_fail_burst;
	uint64_t auth_fail_per_minute;
	uint64_t vaultd_connections;
	uint64_t vaultd_links_per_principal;  /* share.h */
	uint64_t vaultd_links_reserved;
	uint64_t workers;
	uint64_t vaultd_timeout;        /* seconds a vaultd call may block */
	uint64_t ui_idle_timeout;       /* the console: a session unused this long ends (s) */
	uint64_t ui_session_max;        /* the console: a session ends this long after login (s) */
	/* S3 (issue 16): off unless s3_listen is given */
	bool has_s3;
	struct gw_listen s3_listen;
	char *s3_vault;                 /* buckets are items of kind s3 here */
	char *s3_region;                /* default us-east-1 */
	char *s3_host_suffix;           /* NULL: path-style only */
};

/* Fills *cfg with the defaults. */
int gw_config_defaults(struct gw_config *cfg);
/* Loads `path` over the defaults. On failure, why names file:line and the
 * offending value, and *cfg is left freed. */
int gw_config_load(const char *path, struct gw_config *cfg, char *why, size_t whysz);
/* Parses text (for tests and fuzzing); `name` is used in messages. */
int gw_config_parse(const char *name, const char *text, size_t len, struct gw_config *cfg,
	char *why, size_t whysz);
void gw_config_free(struct gw_config *cfg);

/* "host:port", "[v6]:port" -> sockaddr. 0 or VG_EINVAL. */
int gw_parse_listen(const char *s, struct gw_listen *out);

#endif
