/* xml.h - the S3 request bodies vaultgw parses, and the XML it writes.
 *
 * Parsing is expat's (never by hand). Every parser takes the whole body,
 * checks it against a fixed schema (the root element, which children each
 * element may hold, which of them repeat, which are required) and fills a
 * plain struct. Refused, each with the S3 error code to send in *code:
 *   - a DOCTYPE (so no entity is ever declared or expanded), an unknown or
 *     duplicated element, text where none belongs, a missing required
 *     element, bytes that are not well-formed XML: "MalformedXML";
 *   - text that is not valid UTF-8 or holds NUL (expat's own check, and ours
 *     again on what it hands back): "MalformedXML";
 *   - a body over S3X_BODY_MAX: "MaxMessageLengthExceeded"; depth over
 *     S3X_DEPTH_MAX or more than S3X_ELEMS_MAX elements: "MalformedXML";
 *   - per document, the codes below at each parser.
 * Element names are matched on their local name (any namespace prefix or
 * xmlns is accepted, as S3 does); attributes are ignored.
 *
 * Each parser returns 0, or a negative errno / VG_E* code with *code set:
 * VG_EINVAL for a body that is wrong, -ENOMEM when out of memory (*code is
 * then "InternalError"). On failure the out struct holds nothing to free.
 *
 * The writer appends to a struct vg_wr (common/buf.h): element text is
 * escaped (& < > " ' and every control byte as a character reference);
 * text that is not valid UTF-8 poisons the writer (wr->err = VG_EINVAL)
 * instead of producing malformed XML. Keys with control bytes should go out
 * with encoding-type=url, as S3 recommends; that encoding is the caller's.
 */
#ifndef VG_S3_XML_H
#define VG_S3_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define S3X_BODY_MAX     (8u << 20)  /* any request body we parse */
#define S3X_DEPTH_MAX    8u
#define S3X_ELEMS_MAX    100000u     /* elements in one body */
#define S3X_KEY_MAX      1024u       /* object key, bytes of UTF-8 */
#define S3X_DELETE_MAX   1000u       /* <Object> in one <Delete> */
#define S3X_PARTS_MAX    10000u      /* <Part> in one <CompleteMultipartUpload> */
#define S3X_VERSION_MAX  1024u       /* a version id as a client sends it */
#define S3X_NS "http://s3.amazonaws.com/doc/2006-03-01/"

/* <Delete><Quiet>true</Quiet><Object><Key>K</Key><VersionId>V</VersionId>
 * </Object>...</Delete>. 1..1000 objects (more: "MalformedXML"); Key
 * required, 1..1024 bytes ("KeyTooLongError" when longer); version_id NULL
 * when absent. ETag, LastModifiedTime and Size inside Object are accepted
 * and ignored. Keys are kept in document order, duplicates included. */
struct s3x_obj {
	char *key;
	char *version_id;
};
struct s3x_delete {
	int quiet;
	size_t n;
	struct s3x_obj *obj;
};

/* <CompleteMultipartUpload><Part><PartNumber>N</PartNumber><ETag>E</ETag>
 * </Part>...</CompleteMultipartUpload>. 1..10000 parts, numbers 1..10000
 * ("InvalidArgument" outside), strictly ascending ("InvalidPartOrder"),
 * ETag required; etag holds it with one pair of surrounding double quotes
 * removed (clients send "\"hex\"" or "hex"): 1..79 bytes of printable ASCII,
 * else "InvalidPart". Checksum* elements are accepted and ignored. */
struct s3x_part {
	unsigned number;
	char etag[80];
};
struct s3x_complete {
	size_t n;
	struct s3x_part *part;
};

/* <ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>
 * <Rule><DefaultRetention><Mode>GOVERNANCE|COMPLIANCE</Mode>
 * <Days>N</Days> or <Years>N</Years></DefaultRetention></Rule>
 * </ObjectLockConfiguration>. enabled is 1 when ObjectLockEnabled says
 * Enabled (any other value: "MalformedXML"). With a Rule: Mode required,
 * exactly one of Days (1..36500) and Years (1..100) (both or neither:
 * "MalformedXML"; zero, out of range or not a number: "InvalidArgument");
 * without a Rule mode is S3X_NONE and days = years = 0. */
enum s3x_mode { S3X_NONE, S3X_GOVERNANCE, S3X_COMPLIANCE };
struct s3x_lockcfg {
	int enabled;
	enum s3x_mode mode;
	unsigned days, years;
};

/* <Retention><Mode>M</Mode><RetainUntilDate>ISO 8601</RetainUntilDate>
 * </Retention>. Both or neither (an empty Retention: mode S3X_NONE,
 * until ""; how that is judged is the caller's). until is the date as sent,
 * checked only for shape here: 1..39 bytes of [0-9A-Za-z:.+-], starting
 * with four digits and '-' (else "InvalidArgument"); the caller parses it. */
struct s3x_retention {
	enum s3x_mode mode;
	char until[40];
};

/* <LegalHold><Status>ON|OFF</Status></LegalHold>; Status required. */
struct s3x_hold {
	int on;
};

/* <VersioningConfiguration><Status>Enabled|Suspended</Status>
 * <MfaDelete>Enabled|Disabled</MfaDelete></VersioningConfiguration>.
 * Both optional (an empty configuration sets neither flag). MfaDelete is
 * checked for shape and otherwise ignored. */
struct s3x_versioning {
	int enabled, suspended;
};

/* <CreateBucketConfiguration><LocationConstraint>R</LocationConstraint>
 * </CreateBucketConfiguration>. An empty body (len 0) is valid: region "".
 * R is 0..63 bytes of [a-z0-9-] ("InvalidLocationConstraint" else). */
struct s3x_bucketcfg {
	char region[64];
};

int s3x_parse_delete(const char *body, size_t len, struct s3x_delete *out, const char **code);
int s3x_parse_complete(const char *body, size_t len, struct s3x_complete *out,
		       const char **code);
int s3x_parse_lockcfg(const char *body, size_t len, struct s3x_lockcfg *out,
		      const char **code);
int s3x_parse_retention(const char *body, size_t len, struct s3x_retention *out,
			const char **code);
int s3x_parse_hold(const char *body, size_t len, struct s3x_hold *out, const char **code);
int s3x_parse_versioning(const char *body, size_t len, struct s3x_versioning *out,
			 const char **code);
int s3x_parse_bucketcfg(const char *body, size_t len, struct s3x_bucketcfg *out,
			const char **code);

/* Both accept NULL and leave *d zeroed. */
void s3x_delete_free(struct s3x_delete *d);
void s3x_complete_free(struct s3x_complete *c);

/* n bytes of valid UTF-8 (no overlong forms, no surrogates, <= U+10FFFF),
 * no NUL. */
bool s3x_utf8_valid(const char *s, size_t n);
/* An object key as S3 takes it: 1..S3X_KEY_MAX bytes of valid UTF-8. */
bool s3x_key_valid(const char *s, size_t n);

/* The writer. s3x_doc begins a response document: the XML declaration and
 * <name xmlns="http://s3.amazonaws.com/doc/2006-03-01/">; close it with
 * s3x_close. name must be a plain element name (the caller's constant). */
void s3x_doc(struct vg_wr *wr, const char *name);
void s3x_open(struct vg_wr *wr, const char *name);
void s3x_close(struct vg_wr *wr, const char *name);
void s3x_elem(struct vg_wr *wr, const char *name, const char *text);
void s3x_elemn(struct vg_wr *wr, const char *name, const char *text, size_t n);
void s3x_elemf(struct vg_wr *wr, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A whole error document: declaration, <Error><Code/><Message/>
 * <Resource/> <RequestId/></Error>; resource and request_id may be NULL
 * (left out). */
void s3x_error(struct vg_wr *wr, const char *code, const char *message, const char *resource,
	       const char *request_id);

#endif
