/* sigv4.c - see sigv4.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sigv4.h"
#include "vg_err.h"

#define QPARAMS_MAX 128u

static int copy_n(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return VG_ETOOBIG;
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vg_sigv4_uri_decode(const char *s, size_t n, char *out, size_t cap, size_t *outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= n)
				return VG_EINVAL;
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0)
				return VG_EINVAL;
			c = (char)(h << 4 | l);
			i += 2;
		}
		if (c == 0)
			return VG_EINVAL;
		if (o + 1 >= cap)
			return VG_ETOOBIG;
		out[o++] = c;
	}
	out[o] = 0;
	if (outlen)
		*outlen = o;
	return 0;
}

void vg_sigv4_uri_encode(struct vg_wr *out, const char *s, size_t n, bool keep_slash)
{
	static const char hx[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
			vg_wr_u8(out, c);
		} else {
			char e[3] = {'%', hx[c >> 4], hx[c & 15]};
			vg_wr_bytes(out, e, 3);
		}
	}
}

int vg_sigv4_parse_cred(struct vg_sigv4_auth *a)
{
	const char *p = a->cred, *s[5];
	size_t l[5];
	int i;

	for (i = 0; i < 5; i++) {
		const char *e = strchr(p, '/');
		if (i < 4 && !e)
			return VG_EINVAL;
		s[i] = p;
		l[i] = e ? (size_t)(e - p) : strlen(p);
		p = e ? e + 1 : p + l[i];
		if (i == 4 && e)
			return VG_EINVAL;
	}
	if (l[0] == 0 || l[1] != 8 || l[2] == 0 || l[3] == 0 || l[4] != 12 ||
	    memcmp(s[4], "aws4_request", 12) != 0)
		return VG_EINVAL;
	for (size_t k = 0; k < 8; k++)
		if (s[1][k] < '0' || s[1][k] > '9')
			return VG_EINVAL;
	if (copy_n(a->akid, sizeof(a->akid), s[0], l[0]) ||
	    copy_n(a->date8, sizeof(a->date8), s[1], l[1]) ||
	    copy_n(a->region, sizeof(a->region), s[2], l[2]) ||
	    copy_n(a->service, sizeof(a->service), s[3], l[3]))
		return VG_EINVAL;
	return 0;
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* SignedHeaders: lower-case token chars joined by ';', strictly ascending. */
static int signed_headers_ok(const char *h)
{
	const char *prev = NULL;
	size_t prevlen = 0;

	if (!*h)
		return VG_EINVAL;
	for (const char *p = h; *p;) {
		const char *e = strchr(p, ';');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0)
			return VG_EINVAL;
		for (size_t i = 0; i < n; i++) {
			char c = p[i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			      c == '.'))
				return VG_EINVAL;
		}
		if (prev) {
			size_t m = prevlen < n ? prevlen : n;
			int cmp = memcmp(prev, p, m);
			if (cmp > 0 || (cmp == 0 && prevlen >= n))
				return VG_EINVAL;
		}
		prev = p;
		prevlen = n;
		p = e ? e + 1 : p + n;
	}
	return 0;
}

int vg_sigv4_parse_authz(const char *authz, struct vg_sigv4_auth *a)
{
	const char *p;
	int have = 0;

	memset(a, 0, sizeof(*a));
	if (strncmp(authz, VG_SIGV4_ALGO " ", sizeof(VG_SIGV4_ALGO)) != 0)
		return VG_EINVAL;
	p = authz + sizeof(VG_SIGV4_ALGO);
	while (*p) {
		const char *e, *eq;
		size_t n;
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		while (n && p[n - 1] == ' ')
			n--;
		eq = memchr(p, '=', n);
		if (!eq)
			return VG_EINVAL;
		{
			size_t kl = (size_t)(eq - p), vl = n - kl - 1;
			const char *v = eq + 1;
			if (kl == 10 && memcmp(p, "Credential", 10) == 0 && !(have & 1)) {
				if (copy_n(a->cred, sizeof(a->cred), v, vl))
					return VG_EINVAL;
				have |= 1;
			} else if (kl == 13 && memcmp(p, "SignedHeaders", 13) == 0 && !(have & 2)) {
				if (copy_n(a->signed_headers, sizeof(a->signed_headers), v, vl))
					return VG_EINVAL;
				have |= 2;
			} else if (kl == 9 && memcmp(p, "Signature", 9) == 0 && !(have & 4)) {
				if (copy_n(a->signature, sizeof(a->signature), v, vl))
					return VG_EINVAL;
				have |= 4;
			} else {
				return VG_EINVAL;
			}
		}
		p = e ? e + 1 : p + strlen(p);
	}
	if (have != 7 || !is_hex64(a->signature) || signed_headers_ok(a->signed_headers))
		return VG_EINVAL;
	return vg_sigv4_parse_cred(a);
}

/* The raw value of query parameter name (not decoded): 1, 0 absent. */
static int raw_param(const char *q, const char *name, const char **v, size_t *vl)
{
	size_t nl = strlen(name);

	for (const char *p = q; p && *p;) {
		const char *e = strchr(p, '&');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
			*v = p + nl + 1;
			*vl = n - nl - 1;
			return 1;
		}
		p = e ? e + 1 : NULL;
	}
	return 0;
}

static int param_dec(const char *q, const char *name, char *out, size_t cap)
{
	const char *v;
	size_t vl;

	if (!raw_param(q, name, &v, &vl))
		return VG_ENOTFOUND;
	return vg_sigv4_uri_decode(v, vl, out, cap, NULL);
}

int vg_sigv4_parse_query(const char *query, struct vg_sigv4_auth *a)
{
	char algo[32], exp[24];
	uint64_t e;

	memset(a, 0, sizeof(*a));
	if (param_dec(query, "X-Amz-Signature", a->signature, sizeof(a->signature)) == VG_ENOTFOUND)
		return VG_ENOTFOUND;
	if (!is_hex64(a->signature) || param_dec(query, "X-Amz-Algorithm", algo, sizeof(algo)) ||
	    strcmp(algo, VG_SIGV4_ALGO) != 0 ||
	    param_dec(query, "X-Amz-Credential", a->cred, sizeof(a->cred)) ||
	    param_dec(query, "X-Amz-Date", a->amz_date, sizeof(a->amz_date)) ||
	    param_dec(query, "X-Amz-SignedHeaders", a->signed_headers, sizeof(a->signed_headers)) ||
	    param_dec(query, "X-Amz-Expires", exp, sizeof(exp)) ||
	    vg_parse_u64(exp, 1, VG_SIGV4_PRESIGN_MAX, &e) ||
	    signed_headers_ok(a->signed_headers))
		return VG_EINVAL;
	a->expires = e;
	a->presigned = true;
	return vg_sigv4_parse_cred(a);
}

int vg_sigv4_parse_amzdate(const char *s, uint64_t *out)
{
	struct tm tm;
	int v[6];
	static const int off[6] = {0, 4, 6, 9, 11, 13}, len[6] = {4, 2, 2, 2, 2, 2};

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return VG_EINVAL;
	for (int i = 0; i < 6; i++) {
		v[i] = 0;
		for (int j = 0; j < len[i]; j++) {
			char c = s[off[i] + j];
			if (c < '0' || c > '9')
				return VG_EINVAL;
			v[i] = v[i] * 10 + (c - '0');
		}
	}
	if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
	    v[4] > 59 || v[5] > 60)
		return VG_EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	*out = (uint64_t)timegm(&tm);
	return 0;
}

/* ---- the canonical request ------------------------------------------------- */

struct qparam {
	char *k, *v;   /* encoded */
};

static int qcmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->k, y->k);
	return c ? c : strcmp(x->v, y->v);
}

static char *encode_dup(const char *s, size_t n, int *err)
{
	char dec[VG_SIGV4_CANON_MAX];
	size_t dl;
	struct vg_wr w;
	char *r;

	if ((*err = vg_sigv4_uri_decode(s, n, dec, sizeof(dec), &dl)))
		return NULL;
	vg_wr_init(&w, VG_SIGV4_CANON_MAX);
	vg_sigv4_uri_encode(&w, dec, dl, false);
	vg_wr_u8(&w, 0);
	if (w.err) {
		*err = VG_ETOOBIG;
		vg_wr_free(&w);
		return NULL;
	}
	r = (char *)w.p;
	return r;
}

static int canonical_query(const char *q, bool presigned, struct vg_wr *out)
{
	struct qparam ps[QPARAMS_MAX];
	size_t np = 0;
	int r = 0;

	for (const char *p = q; p && *p;) {
		const char *e = strchr(p, '&');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		size_t kl = eq ? (size_t)(eq - p) : n;
		if (n == 0) {
			p = e ? e + 1 : NULL;
			continue;
		}
		if (presigned && kl == 15 && memcmp(p, "X-Amz-Signature", 15) == 0) {
			p = e ? e + 1 : NULL;
			continue;
		}
		if (np == QPARAMS_MAX) {
			r = VG_ETOOBIG;
			goto out;
		}
		ps[np].k = encode_dup(p, kl, &r);
		if (!ps[np].k)
			goto out;
		ps[np].v = eq ? encode_dup(eq + 1, n - kl - 1, &r) : strdup("");
		if (!ps[np].v) {
			free(ps[np].k);
			r = r ? r : -12;
			goto out;
		}
		np++;
		p = e ? e + 1 : NULL;
	}
	qsort(ps, np, sizeof(ps[0]), qcmp);
	for (size_t i = 0; i < np; i++) {
		if (i)
			vg_wr_u8(out, '&');
		vg_wr_bytes(out, ps[i].k, strlen(ps[i].k));
		vg_wr_u8(out, '=');
		vg_wr_bytes(out, ps[i].v, strlen(ps[i].v));
	}
out:
	for (size_t i = 0; i < np; i++) {
		free(ps[i].k);
		free(ps[i].v);
	}
	return r;
}

/* Appends name's value(s) from the head: trimmed, runs of spaces as one,
 * several joined by ','. VG_EINVAL if the request lacks it. */
static int header_values(const char *head, size_t hl, const char *name, size_t nl,
	struct vg_wr *out)
{
	const char *end = head + hl, *line = head;
	int found = 0;
	bool first_line = true;

	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t ll = eol ? (size_t)(eol - line) : (size_t)(end - line);
		const char *next = eol ? eol + 1 : end;
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (first_line) {  /* the request line */
			first_line = false;
			line = next;
			continue;
		}
		if (ll > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
			const char *v = line + nl + 1, *ve = line + ll;
			bool sp = false;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			if (found)
				vg_wr_u8(out, ',');
			for (; v < ve; v++) {
				if (*v == ' ' || *v == '\t') {
					sp = true;
					continue;
				}
				if (sp)
					vg_wr_u8(out, ' ');
				sp = false;
				vg_wr_u8(out, (uint8_t)*v);
			}
			found = 1;
		}
		line = next;
	}
	return found ? 0 : VG_EINVAL;
}

int vg_sigv4_header(const char *head, size_t headlen, const char *name, char *out, size_t cap)
{
	struct vg_wr w;
	int r;

	vg_wr_init(&w, cap);
	r = header_values(head, headlen, name, strlen(name), &w);
	if (r) {
		vg_wr_free(&w);
		return VG_ENOTFOUND;
	}
	if (w.err || w.len >= cap) {
		vg_wr_free(&w);
		return VG_ETOOBIG;
	}
	if (w.len)
		memcpy(out, w.p, w.len);
	out[w.len] = 0;
	vg_wr_free(&w);
	return 0;
}

int vg_sigv4_canonical(const struct vg_sigv4_req *r, struct vg_wr *out)
{
	char *path;
	size_t pl, cap = strlen(r->raw_path) + 1;
	int e;

	if (signed_headers_ok(r->signed_headers))
		return VG_EINVAL;
	path = malloc(cap);
	if (!path)
		return -12;
	if ((e = vg_sigv4_uri_decode(r->raw_path, strlen(r->raw_path), path, cap, &pl))) {
		free(path);
		return e;
	}
	vg_wr_bytes(out, r->method, strlen(r->method));
	vg_wr_u8(out, '\n');
	vg_sigv4_uri_encode(out, path, pl, true);
	free(path);
	vg_wr_u8(out, '\n');
	if ((e = canonical_query(r->raw_query, r->presigned, out)))
		return e;
	vg_wr_u8(out, '\n');
	for (const char *p = r->signed_headers; *p;) {
		const char *s = strchr(p, ';');
		size_t n = s ? (size_t)(s - p) : strlen(p);
		vg_wr_bytes(out, p, n);
		vg_wr_u8(out, ':');
		if ((e = header_values(r->head, r->headlen, p, n, out)))
			return e;
		vg_wr_u8(out, '\n');
		p = s ? s + 1 : p + n;
	}
	vg_wr_u8(out, '\n');
	vg_wr_bytes(out, r->signed_headers, strlen(r->signed_headers));
	vg_wr_u8(out, '\n');
	vg_wr_bytes(out, r->payload_hash, strlen(r->payload_hash));
	if (out->err)
		return out->err;
	return out->len > VG_SIGV4_CANON_MAX ? VG_ETOOBIG : 0;
}

/* ---- vaultd's side ---------------------------------------------------------- */

static int next_line(const char **p, const char *end, const char **s, size_t *n)
{
	const char *e;

	if (*p > end)
		return VG_EINVAL;
	e = memchr(*p, '\n', (size_t)(end - *p));
	if (!e)
		return VG_EINVAL;
	*s = *p;
	*n = (size_t)(e - *p);
	*p = e + 1;
	return 0;
}

int vg_sigv4_creq_split(const char *c, size_t n, struct vg_sigv4_creq *q)
{
	const char *p = c, *end = c + n, *s;
	size_t l;

	memset(q, 0, sizeof(*q));
	if (n == 0 || n > VG_SIGV4_CANON_MAX || memchr(c, 0, n))
		return VG_EINVAL;
	if (next_line(&p, end, &q->method, &q->method_len) ||
	    next_line(&p, end, &q->path, &q->path_len) ||
	    next_line(&p, end, &q->query, &q->query_len))
		return VG_EINVAL;
	q->headers = p;
	for (;;) {
		if (next_line(&p, end, &s, &l))
			return VG_EINVAL;
		if (l == 0)
			break;
		if (!memchr(s, ':', l))
			return VG_EINVAL;
	}
	q->headers_len = (size_t)(p - 1 - q->headers);
	if (next_line(&p, end, &q->signed_headers, &q->signed_len))
		return VG_EINVAL;
	q->payload = p;
	q->payload_len = (size_t)(end - p);
	if (q->payload_len == 0 || memchr(q->payload, '\n', q->payload_len))
		return VG_EINVAL;
	return 0;
}

int vg_sigv4_creq_param(const struct vg_sigv4_creq *q, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	const char *p = q->query, *end = q->query + q->query_len;

	while (p < end) {
		const char *e = memchr(p, '&', (size_t)(end - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
		if (n > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
			int r = vg_sigv4_uri_decode(p + nl + 1, n - nl - 1, out, cap, NULL);
			return r ? r : 1;
		}
		p = e ? e + 1 : end;
	}
	return 0;
}

int vg_sigv4_creq_header(const struct vg_sigv4_creq *q, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	const char *p = q->headers, *end = q->headers + q->headers_len;

	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
		if (n > nl && memcmp(p, name, nl) == 0 && p[nl] == ':') {
			if (n - nl - 1 >= cap)
				return VG_ETOOBIG;
			memcpy(out, p + nl + 1, n - nl - 1);
			out[n - nl - 1] = 0;
			return 1;
		}
		p = e ? e + 1 : end;
	}
	return 0;
}
