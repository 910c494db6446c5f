/* ctl_gw.c - see ctl_gw.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ctl_gw.h"
#include "vg_err.h"

int vctl_cert_fingerprint(const char *pem, char fp[VCTL_FP_LEN], char *why, size_t whysz)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	X509 *x, *last = NULL;
	FILE *f = fopen(pem, "re");

	if (!f) {
		snprintf(why, whysz, "%s: %s", pem, strerror(errno));
		return -errno;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL))) {
		X509_free(last);
		last = x;
	}
	fclose(f);
	if (!last) {
		snprintf(why, whysz, "%s: no PEM certificate in it", pem);
		return VG_EINVAL;
	}
	if (X509_digest(last, EVP_sha256(), md, &n) != 1 || n != 32) {
		X509_free(last);
		snprintf(why, whysz, "%s: cannot compute its SHA-256 fingerprint", pem);
		return VG_EINVAL;
	}
	X509_free(last);
	for (unsigned i = 0; i < n; i++)
		snprintf(fp + 3 * i, 4, "%02X%s", md[i], i + 1 < n ? ":" : "");
	return 0;
}

/* "key = value" -> value without surrounding blanks; NULL if not key. */
static char *value_of(char *line, const char *key)
{
	size_t kl = strlen(key), n;
	char *v;

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, key, kl) != 0)
		return NULL;
	v = line + kl;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v != '=')
		return NULL;
	v++;
	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n && (v[n - 1] == '\n' || v[n - 1] == '\r' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		v[--n] = 0;
	return v;
}

int vctl_gw_endpoint(const char *conf, char *url, size_t urlsz, char fp[VCTL_FP_LEN], char *why,
	size_t whysz)
{
	char line[1024], listen[300] = "", cert[1024] = "", dir[1024] = "/var/lib/vaultgate/gateway";
	char certpath[1100];
	const char *port;
	FILE *f = fopen(conf, "re");
	char *v;

	if (!f) {
		snprintf(why, whysz, "%s: %s (give --endpoint and --ca-fingerprint, or --gw-config)", conf,
			strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		if ((v = value_of(line, "listen")) && !*listen)
			snprintf(listen, sizeof(listen), "%s", v);
		else if ((v = value_of(line, "tls_cert")))
			snprintf(cert, sizeof(cert), "%s", v);
		else if ((v = value_of(line, "tls_dir")))
			snprintf(dir, sizeof(dir), "%s", v);
	}
	fclose(f);
	if (url) {
		if (!*listen)
			snprintf(listen, sizeof(listen), "0.0.0.0:443");
		if (strncmp(listen, "0.0.0.0:", 8) == 0 || strncmp(listen, "[::]:", 5) == 0) {
			snprintf(why, whysz, "%s: vaultgw listens on every address (%s); give --endpoint URL",
				conf, listen);
			return VG_EINVAL;
		}
		port = strrchr(listen, ':');
		if (port && strcmp(port, ":443") == 0)
			snprintf(url, urlsz, "https://%.*s", (int)(port - listen), listen);
		else if ((size_t)snprintf(url, urlsz, "https://%s", listen) >= urlsz)
			return VG_ETOOBIG;
	}
	if (!fp)
		return 0;
	if (*cert)
		snprintf(certpath, sizeof(certpath), "%s", cert);
	else
		snprintf(certpath, sizeof(certpath), "%s/server.crt", dir);
	return vctl_cert_fingerprint(certpath, fp, why, whysz);
}
