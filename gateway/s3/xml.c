/* xml.c - S3 request bodies through expat against a fixed schema per
 * document, and the escaping writer. See xml.h for what is refused.
 *
 * One engine serves every document: a schema is a table of nodes (name,
 * parent, flags, text limit). The engine keeps the stack of open nodes, the
 * children seen under each open element (a duplicate of a non-repeating one
 * is refused, a missing required one is refused when its parent closes),
 * collects a leaf's text within its limit, and calls the document's
 * callbacks: start(node) when an element opens and end(node, text) when it
 * closes. The callbacks fill the output struct and may refuse with a code.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>

#include "vg_err.h"
#include "xml.h"

#define NS_SEP '\x01'

enum {
	N_LEAF = 1u << 0,  /* holds text, no children */
	N_MULTI = 1u << 1, /* may repeat under its parent */
	N_REQ = 1u << 2,   /* required under its parent */
};

struct node {
	const char *name;
	int parent;       /* index, -1 for the root */
	unsigned flags;
	size_t text_max;  /* leaves: the longest text accepted */
	const char *too_long; /* code when over text_max (default MalformedXML) */
};

#define SCHEMA_MAX 32 /* nodes per schema: seen-sets are uint32_t masks */

struct engine;
struct doc {
	const struct node *nodes;
	size_t n_nodes;
	int (*start)(struct engine *e, int node);
	int (*end)(struct engine *e, int node, const char *text, size_t len);
	void *out;
};

struct engine {
	XML_Parser p;
	const struct doc *doc;
	int stack[S3X_DEPTH_MAX];
	uint32_t seen[S3X_DEPTH_MAX + 1];
	unsigned depth;
	unsigned elems;
	int root_done;
	char *text;
	size_t text_len, text_cap;
	int err;
	const char *code;
};

static const char MALFORMED[] = "MalformedXML";

static void fail(struct engine *e, int err, const char *code)
{
	if (e->err)
		return;
	e->err = err;
	e->code = code;
	XML_StopParser(e->p, XML_FALSE);
}

static const char *local_name(const char *name)
{
	const char *sep = strchr(name, NS_SEP);

	return sep ? sep + 1 : name;
}

bool s3x_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = u[i], need, cp, min;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return false;
		}
		if (n - i - 1 < need)
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (u[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

bool s3x_key_valid(const char *s, size_t n)
{
	return n >= 1 && n <= S3X_KEY_MAX && s3x_utf8_valid(s, n);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct engine *e = ud;
	const struct doc *d = e->doc;
	const char *local = local_name(name);
	int parent = e->depth ? e->stack[e->depth - 1] : -1;
	int found = -1;

	(void)attrs;
	if (e->err)
		return;
	if (++e->elems > S3X_ELEMS_MAX || e->depth >= S3X_DEPTH_MAX) {
		fail(e, VG_EINVAL, MALFORMED);
		return;
	}
	if (parent >= 0 && (d->nodes[parent].flags & N_LEAF)) {
		fail(e, VG_EINVAL, MALFORMED); /* an element inside a leaf */
		return;
	}
	if (parent < 0 && e->root_done) {
		fail(e, VG_EINVAL, MALFORMED);
		return;
	}
	for (size_t i = 0; i < d->n_nodes; i++) {
		if (d->nodes[i].parent == parent && strcmp(d->nodes[i].name, local) == 0) {
			found = (int)i;
			break;
		}
	}
	if (found < 0) {
		fail(e, VG_EINVAL, MALFORMED);
		return;
	}
	if (!(d->nodes[found].flags & N_MULTI) && (e->seen[e->depth] & (1u << found))) {
		fail(e, VG_EINVAL, MALFORMED);
		return;
	}
	e->seen[e->depth] |= 1u << found;
	e->stack[e->depth++] = found;
	e->seen[e->depth] = 0;
	e->text_len = 0;
	if (d->start) {
		int r = d->start(e, found);

		if (r)
			fail(e, r, e->code ? e->code : MALFORMED);
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct engine *e = ud;
	const struct doc *d = e->doc;
	int node;

	(void)name;
	if (e->err || e->depth == 0)
		return;
	node = e->stack[e->depth - 1];
	/* Required children of the closing element. */
	for (size_t i = 0; i < d->n_nodes; i++) {
		if (d->nodes[i].parent == node && (d->nodes[i].flags & N_REQ) &&
		    !(e->seen[e->depth] & (1u << i))) {
			fail(e, VG_EINVAL, MALFORMED);
			return;
		}
	}
	if (!s3x_utf8_valid(e->text, e->text_len)) {
		fail(e, VG_EINVAL, MALFORMED);
		return;
	}
	e->text[e->text_len] = 0; /* non-leaves: always "" (text goes to leaves only) */
	e->depth--;
	if (e->depth == 0)
		e->root_done = 1;
	if (d->end) {
		int r = d->end(e, node, e->text, (d->nodes[node].flags & N_LEAF) ? e->text_len : 0);

		if (r)
			fail(e, r, e->code ? e->code : MALFORMED);
	}
	e->text_len = 0;
}

static bool all_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct engine *e = ud;
	const struct node *n;

	if (e->err || len <= 0)
		return;
	if (e->depth == 0) {
		if (!all_space(s, (size_t)len))
			fail(e, VG_EINVAL, MALFORMED);
		return;
	}
	n = &e->doc->nodes[e->stack[e->depth - 1]];
	if (!(n->flags & N_LEAF)) {
		if (!all_space(s, (size_t)len))
			fail(e, VG_EINVAL, MALFORMED);
		return;
	}
	if ((size_t)len > n->text_max - e->text_len) {
		fail(e, VG_EINVAL, n->too_long ? n->too_long : MALFORMED);
		return;
	}
	memcpy(e->text + e->text_len, s, (size_t)len);
	e->text_len += (size_t)len;
}

/* No DTD at all: no entity can be declared, so none is expanded. */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int internal)
{
	(void)name; (void)sysid; (void)pubid; (void)internal;
	fail(ud, VG_EINVAL, MALFORMED);
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int pe, const XML_Char *value,
			      int vlen, const XML_Char *base, const XML_Char *sysid,
			      const XML_Char *pubid, const XML_Char *notation)
{
	(void)name; (void)pe; (void)value; (void)vlen; (void)base; (void)sysid; (void)pubid;
	(void)notation;
	fail(ud, VG_EINVAL, MALFORMED);
}

/* An undeclared entity reference (&foo;) in a document without DTD is a
 * well-formedness error in expat already; this catches the rest. */
static void XMLCALL on_skipped(void *ud, const XML_Char *name, int pe)
{
	(void)name; (void)pe;
	fail(ud, VG_EINVAL, MALFORMED);
}

static int run(const struct doc *d, const char *body, size_t len, const char **code)
{
	struct engine e;
	size_t text_max = 0;
	int r = 0;

	*code = NULL;
	if (len > S3X_BODY_MAX || len > INT_MAX) {
		*code = "MaxMessageLengthExceeded";
		return VG_ETOOBIG;
	}
	if (len == 0) {
		*code = MALFORMED;
		return VG_EINVAL;
	}
	memset(&e, 0, sizeof(e));
	e.doc = d;
	for (size_t i = 0; i < d->n_nodes; i++)
		if (d->nodes[i].text_max > text_max)
			text_max = d->nodes[i].text_max;
	e.text = malloc(text_max + 1);
	e.p = XML_ParserCreateNS(NULL, NS_SEP);
	if (!e.text || !e.p) {
		*code = "InternalError";
		r = -ENOMEM;
		goto out;
	}
	XML_SetUserData(e.p, &e);
	XML_SetElementHandler(e.p, on_start, on_end);
	XML_SetCharacterDataHandler(e.p, on_text);
	XML_SetStartDoctypeDeclHandler(e.p, on_doctype);
	XML_SetEntityDeclHandler(e.p, on_entity);
	XML_SetSkippedEntityHandler(e.p, on_skipped);
	XML_SetParamEntityParsing(e.p, XML_PARAM_ENTITY_PARSING_NEVER);
	if (XML_Parse(e.p, body, (int)len, XML_TRUE) != XML_STATUS_OK || e.err) {
		r = e.err ? e.err : VG_EINVAL;
		*code = e.code ? e.code : MALFORMED;
		goto out;
	}
	if (!e.root_done) {
		r = VG_EINVAL;
		*code = MALFORMED;
	}
out:
	if (e.p)
		XML_ParserFree(e.p);
	free(e.text);
	return r;
}

static int set_code(struct engine *e, int err, const char *code)
{
	e->code = code;
	return err;
}

static int parse_uint(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 10)
		return VG_EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return VG_EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return VG_EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int parse_mode(const char *s, enum s3x_mode *m)
{
	if (strcmp(s, "GOVERNANCE") == 0)
		*m = S3X_GOVERNANCE;
	else if (strcmp(s, "COMPLIANCE") == 0)
		*m = S3X_COMPLIANCE;
	else
		return VG_EINVAL;
	return 0;
}

static char *dup_text(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

/* ---- <Delete> ---- */

enum { D_ROOT, D_QUIET, D_OBJ, D_KEY, D_VER, D_ETAG, D_MTIME, D_SIZE };
static const struct node delete_nodes[] = {
	[D_ROOT] = {"Delete", -1, 0, 0, NULL},
	[D_QUIET] = {"Quiet", D_ROOT, N_LEAF, 8, NULL},
	[D_OBJ] = {"Object", D_ROOT, N_MULTI | N_REQ, 0, NULL},
	[D_KEY] = {"Key", D_OBJ, N_LEAF | N_REQ, S3X_KEY_MAX, "KeyTooLongError"},
	[D_VER] = {"VersionId", D_OBJ, N_LEAF, S3X_VERSION_MAX, NULL},
	[D_ETAG] = {"ETag", D_OBJ, N_LEAF, 256, NULL},
	[D_MTIME] = {"LastModifiedTime", D_OBJ, N_LEAF, 64, NULL},
	[D_SIZE] = {"Size", D_OBJ, N_LEAF, 32, NULL},
};

static int delete_start(struct engine *e, int node)
{
	struct s3x_delete *d = e->doc->out;

	if (node != D_OBJ)
		return 0;
	if (d->n >= S3X_DELETE_MAX)
		return set_code(e, VG_EINVAL, MALFORMED);
	if (d->n == 0) {
		/* Grown in steps: a small Delete costs little. */
		d->obj = calloc(16, sizeof(*d->obj));
	} else if (d->n >= 16 && (d->n & (d->n - 1)) == 0) {
		struct s3x_obj *o = realloc(d->obj, 2 * d->n * sizeof(*o));

		if (!o)
			return set_code(e, -ENOMEM, "InternalError");
		memset(o + d->n, 0, d->n * sizeof(*o));
		d->obj = o;
	}
	if (!d->obj)
		return set_code(e, -ENOMEM, "InternalError");
	d->n++;
	return 0;
}

static int delete_end(struct engine *e, int node, const char *text, size_t len)
{
	struct s3x_delete *d = e->doc->out;
	struct s3x_obj *o = d->n ? &d->obj[d->n - 1] : NULL;

	switch (node) {
	case D_QUIET:
		if (strcasecmp(text, "true") == 0)
			d->quiet = 1;
		else if (strcasecmp(text, "false") == 0)
			d->quiet = 0;
		else
			return set_code(e, VG_EINVAL, MALFORMED);
		return 0;
	case D_KEY:
		if (!s3x_key_valid(text, len))
			return set_code(e, VG_EINVAL, len ? "KeyTooLongError" : "UserKeyMustBeSpecified");
		if (!(o->key = dup_text(text, len)))
			return set_code(e, -ENOMEM, "InternalError");
		return 0;
	case D_VER:
		if (len == 0)
			return set_code(e, VG_EINVAL, MALFORMED);
		if (!(o->version_id = dup_text(text, len)))
			return set_code(e, -ENOMEM, "InternalError");
		return 0;
	default:
		return 0;
	}
}

void s3x_delete_free(struct s3x_delete *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->obj[i].key);
		free(d->obj[i].version_id);
	}
	free(d->obj);
	memset(d, 0, sizeof(*d));
}

int s3x_parse_delete(const char *body, size_t len, struct s3x_delete *out, const char **code)
{
	const struct doc d = {delete_nodes, sizeof(delete_nodes) / sizeof(delete_nodes[0]),
			      delete_start, delete_end, out};
	int r;

	memset(out, 0, sizeof(*out));
	r = run(&d, body, len, code);
	if (r)
		s3x_delete_free(out);
	return r;
}

/* ---- <CompleteMultipartUpload> ---- */

enum { C_ROOT, C_PART, C_NUM, C_ETAG, C_CRC32, C_CRC32C, C_SHA1, C_SHA256, C_CRC64 };
static const struct node complete_nodes[] = {
	[C_ROOT] = {"CompleteMultipartUpload", -1, 0, 0, NULL},
	[C_PART] = {"Part", C_ROOT, N_MULTI | N_REQ, 0, NULL},
	[C_NUM] = {"PartNumber", C_PART, N_LEAF | N_REQ, 16, "InvalidArgument"},
	[C_ETAG] = {"ETag", C_PART, N_LEAF | N_REQ, 256, "InvalidPart"},
	[C_CRC32] = {"ChecksumCRC32", C_PART, N_LEAF, 128, NULL},
	[C_CRC32C] = {"ChecksumCRC32C", C_PART, N_LEAF, 128, NULL},
	[C_SHA1] = {"ChecksumSHA1", C_PART, N_LEAF, 128, NULL},
	[C_SHA256] = {"ChecksumSHA256", C_PART, N_LEAF, 128, NULL},
	[C_CRC64] = {"ChecksumCRC64NVME", C_PART, N_LEAF, 128, NULL},
};

static int complete_start(struct engine *e, int node)
{
	struct s3x_complete *c = e->doc->out;

	if (node != C_PART)
		return 0;
	if (c->n >= S3X_PARTS_MAX)
		return set_code(e, VG_EINVAL, MALFORMED);
	if (c->n == 0) {
		c->part = calloc(16, sizeof(*c->part));
	} else if (c->n >= 16 && (c->n & (c->n - 1)) == 0) {
		struct s3x_part *p = realloc(c->part, 2 * c->n * sizeof(*p));

		if (!p)
			return set_code(e, -ENOMEM, "InternalError");
		memset(p + c->n, 0, c->n * sizeof(*p));
		c->part = p;
	}
	if (!c->part)
		return set_code(e, -ENOMEM, "InternalError");
	c->n++;
	return 0;
}

static int complete_end(struct engine *e, int node, const char *text, size_t len)
{
	struct s3x_complete *c = e->doc->out;
	struct s3x_part *p = c->n ? &c->part[c->n - 1] : NULL;

	switch (node) {
	case C_NUM:
		if (parse_uint(text, len, S3X_PARTS_MAX, &p->number) || p->number == 0)
			return set_code(e, VG_EINVAL, "InvalidArgument");
		return 0;
	case C_ETAG:
		if (len >= 2 && text[0] == '"' && text[len - 1] == '"') {
			text++;
			len -= 2;
		}
		if (len == 0 || len >= sizeof(p->etag))
			return set_code(e, VG_EINVAL, "InvalidPart");
		for (size_t i = 0; i < len; i++)
			if (text[i] <= ' ' || text[i] > '~' || text[i] == '"')
				return set_code(e, VG_EINVAL, "InvalidPart");
		memcpy(p->etag, text, len);
		p->etag[len] = 0;
		return 0;
	case C_PART:
		if (c->n >= 2 && p->number <= c->part[c->n - 2].number)
			return set_code(e, VG_EINVAL, "InvalidPartOrder");
		return 0;
	default:
		return 0;
	}
}

void s3x_complete_free(struct s3x_complete *c)
{
	if (!c)
		return;
	free(c->part);
	memset(c, 0, sizeof(*c));
}

int s3x_parse_complete(const char *body, size_t len, struct s3x_complete *out,
		       const char **code)
{
	const struct doc d = {complete_nodes, sizeof(complete_nodes) / sizeof(complete_nodes[0]),
			      complete_start, complete_end, out};
	int r;

	memset(out, 0, sizeof(*out));
	r = run(&d, body, len, code);
	if (r)
		s3x_complete_free(out);
	return r;
}

/* ---- <ObjectLockConfiguration> ---- */

enum { L_ROOT, L_ENABLED, L_RULE, L_DEFAULT, L_MODE, L_DAYS, L_YEARS };
static const struct node lockcfg_nodes[] = {
	[L_ROOT] = {"ObjectLockConfiguration", -1, 0, 0, NULL},
	[L_ENABLED] = {"ObjectLockEnabled", L_ROOT, N_LEAF, 16, NULL},
	[L_RULE] = {"Rule", L_ROOT, 0, 0, NULL},
	[L_DEFAULT] = {"DefaultRetention", L_RULE, N_REQ, 0, NULL},
	[L_MODE] = {"Mode", L_DEFAULT, N_LEAF | N_REQ, 16, NULL},
	[L_DAYS] = {"Days", L_DEFAULT, N_LEAF, 16, "InvalidArgument"},
	[L_YEARS] = {"Years", L_DEFAULT, N_LEAF, 16, "InvalidArgument"},
};

static int lockcfg_end(struct engine *e, int node, const char *text, size_t len)
{
	struct s3x_lockcfg *l = e->doc->out;

	switch (node) {
	case L_ENABLED:
		if (strcmp(text, "Enabled") != 0)
			return set_code(e, VG_EINVAL, MALFORMED);
		l->enabled = 1;
		return 0;
	case L_MODE:
		return parse_mode(text, &l->mode) ? set_code(e, VG_EINVAL, MALFORMED) : 0;
	case L_DAYS:
		if (parse_uint(text, len, 36500, &l->days) || l->days == 0)
			return set_code(e, VG_EINVAL, "InvalidArgument");
		return 0;
	case L_YEARS:
		if (parse_uint(text, len, 100, &l->years) || l->years == 0)
			return set_code(e, VG_EINVAL, "InvalidArgument");
		return 0;
	case L_DEFAULT:
		if ((l->days != 0) == (l->years != 0))
			return set_code(e, VG_EINVAL, MALFORMED);
		return 0;
	default:
		return 0;
	}
}

int s3x_parse_lockcfg(const char *body, size_t len, struct s3x_lockcfg *out,
		      const char **code)
{
	const struct doc d = {lockcfg_nodes, sizeof(lockcfg_nodes) / sizeof(lockcfg_nodes[0]),
			      NULL, lockcfg_end, out};
	int r;

	memset(out, 0, sizeof(*out));
	r = run(&d, body, len, code);
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
}

/* ---- <Retention> ---- */

enum { R_ROOT, R_MODE, R_UNTIL };
static const struct node retention_nodes[] = {
	[R_ROOT] = {"Retention", -1, 0, 0, NULL},
	[R_MODE] = {"Mode", R_ROOT, N_LEAF, 16, NULL},
	[R_UNTIL] = {"RetainUntilDate", R_ROOT, N_LEAF, 39, "InvalidArgument"},
};

static bool date_shape(const char *s, size_t len)
{
	if (len < 5 || len >= 40)
		return false;
	for (size_t i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	if (s[4] != '-')
		return false;
	for (size_t i = 5; i < len; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == ':' || c == '.' || c == '+' || c == '-'))
			return false;
	}
	return true;
}

static int retention_end(struct engine *e, int node, const char *text, size_t len)
{
	struct s3x_retention *r = e->doc->out;

	switch (node) {
	case R_MODE:
		return parse_mode(text, &r->mode) ? set_code(e, VG_EINVAL, MALFORMED) : 0;
	case R_UNTIL:
		if (!date_shape(text, len))
			return set_code(e, VG_EINVAL, "InvalidArgument");
		memcpy(r->until, text, len);
		r->until[len] = 0;
		return 0;
	case R_ROOT:
		if ((r->mode == S3X_NONE) != (r->until[0] == 0))
			return set_code(e, VG_EINVAL, MALFORMED);
		return 0;
	default:
		return 0;
	}
}

int s3x_parse_retention(const char *body, size_t len, struct s3x_retention *out,
			const char **code)
{
	const struct doc d = {retention_nodes, sizeof(retention_nodes) / sizeof(retention_nodes[0]),
			      NULL, retention_end, out};
	int r;

	memset(out, 0, sizeof(*out));
	r = run(&d, body, len, code);
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
}

/* ---- <LegalHold> ---- */

enum { H_ROOT, H_STATUS };
static const struct node hold_nodes[] = {
	[H_ROOT] = {"LegalHold", -1, 0, 0, NULL},
	[H_STATUS] = {"Status", H_ROOT, N_LEAF | N_REQ, 8, NULL},
};

static int hold_end(struct engine *e, int node, const char *text, size_t len)
{
	struct s3x_hold *h = e->doc->out;

	(void)len;
	if (node != H_STATUS)
		return 0;
	if (strcmp(text, "ON") == 0)
		h->on = 1;
	else if (strcmp(text, "OFF") == 0)
		h->on = 0;
	else
		return set_code(e, VG_EINVAL, MALFORMED);
	return 0;
}

int s3x_parse_hold(const char *body, size_t len, struct s3x_hold *out, const char **code)
{
	const struct doc d = {hold_nodes, sizeof(hold_nodes) / sizeof(hold_nodes[0]), NULL,
			      hold_end, out};
	int r;

	memset(out, 0, sizeof(*out));
	r = run(&d, body, len, code);
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
}

/* ---- <VersioningConfiguration> ---- */

enum { V_ROOT, V_STATUS, V_MFA };
static const struct node versioning_nodes[] = {
	[V_ROOT] = {"VersioningConfiguration", -1, 0, 0, NULL},
	[V_STATUS] = {"Status", V_ROOT, N_LEAF, 16, NULL},
	[V_MFA] = {"MfaDelete", V_ROOT, N_LEAF, 16, NULL},
};

static int versioning_end(struct engine *e, int node, const char *text, size_t len)
{
	struct s3x_versioning *v = e->doc->out;

	(void)len;
	switch (node) {
	case V_STATUS:
		if (strcmp(text, "Enabled") == 0)
			v->enabled = 1;
		else if (strcmp(text, "Suspended") == 0)
			v->suspended = 1;
		else
			return set_code(e, VG_EINVAL, MALFORMED);
		return 0;
	case V_MFA:
		if (strcmp(text, "Enabled") != 0 && strcmp(text, "Disabled") != 0)
			return set_code(e, VG_EINVAL, MALFORMED);
		return 0;
	default:
		return 0;
	}
}

int s3x_parse_versioning(const char *body, size_t len, struct s3x_versioning *out,
			 const char **code)
{
	const struct doc d = {versioning_nodes,
			      sizeof(versioning_nodes) / sizeof(versioning_nodes[0]), NULL,
			      versioning_end, out};
	int r;

	memset(out, 0, sizeof(*out));
	r = run(&d, body, len, code);
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
}

/* ---- <CreateBucketConfiguration> ---- */

enum { B_ROOT, B_LOC };
static const struct node bucketcfg_nodes[] = {
	[B_ROOT] = {"CreateBucketConfiguration", -1, 0, 0, NULL},
	[B_LOC] = {"LocationConstraint", B_ROOT, N_LEAF, 63, "InvalidLocationConstraint"},
};

static int bucketcfg_end(struct engine *e, int node, const char *text, size_t len)
{
	struct s3x_bucketcfg *b = e->doc->out;

	if (node != B_LOC)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return set_code(e, VG_EINVAL, "InvalidLocationConstraint");
	}
	memcpy(b->region, text, len);
	b->region[len] = 0;
	return 0;
}

int s3x_parse_bucketcfg(const char *body, size_t len, struct s3x_bucketcfg *out,
			const char **code)
{
	const struct doc d = {bucketcfg_nodes, sizeof(bucketcfg_nodes) / sizeof(bucketcfg_nodes[0]),
			      NULL, bucketcfg_end, out};
	int r;

	memset(out, 0, sizeof(*out));
	*code = NULL;
	if (len == 0)
		return 0;
	r = run(&d, body, len, code);
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
}

/* ---- the writer ---- */

static void put_escaped(struct vg_wr *wr, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run_start = 0;

	if (wr->err)
		return;
	if (!s3x_utf8_valid(s, n)) {
		wr->err = VG_EINVAL;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		char ref[7];

		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				ref[0] = '&'; ref[1] = '#'; ref[2] = 'x';
				ref[3] = hex[c >> 4]; ref[4] = hex[c & 15]; ref[5] = ';'; ref[6] = 0;
				rep = ref;
			}
		}
		if (!rep)
			continue;
		vg_wr_bytes(wr, s + run_start, i - run_start);
		vg_wr_bytes(wr, rep, strlen(rep));
		run_start = i + 1;
	}
	vg_wr_bytes(wr, s + run_start, n - run_start);
}

void s3x_doc(struct vg_wr *wr, const char *name)
{
	vg_wr_printf(wr, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s xmlns=\"%s\">", name,
		     S3X_NS);
}

void s3x_open(struct vg_wr *wr, const char *name)
{
	vg_wr_printf(wr, "<%s>", name);
}

void s3x_close(struct vg_wr *wr, const char *name)
{
	vg_wr_printf(wr, "</%s>", name);
}

void s3x_elemn(struct vg_wr *wr, const char *name, const char *text, size_t n)
{
	s3x_open(wr, name);
	put_escaped(wr, text, n);
	s3x_close(wr, name);
}

void s3x_elem(struct vg_wr *wr, const char *name, const char *text)
{
	s3x_elemn(wr, name, text ? text : "", text ? strlen(text) : 0);
}

void s3x_elemf(struct vg_wr *wr, const char *name, const char *fmt, ...)
{
	va_list ap;
	char small[256], *p = small;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		wr->err = VG_EINVAL;
		return;
	}
	if ((size_t)n >= sizeof(small)) {
		p = malloc((size_t)n + 1);
		if (!p) {
			wr->err = -ENOMEM;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	s3x_elemn(wr, name, p, (size_t)n);
	if (p != small)
		free(p);
}

void s3x_error(struct vg_wr *wr, const char *code, const char *message, const char *resource,
	       const char *request_id)
{
	vg_wr_printf(wr, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	s3x_open(wr, "Error");
	s3x_elem(wr, "Code", code);
	s3x_elem(wr, "Message", message ? message : code);
	if (resource)
		s3x_elem(wr, "Resource", resource);
	if (request_id)
		s3x_elem(wr, "RequestId", request_id);
	s3x_close(wr, "Error");
}
