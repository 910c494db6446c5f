/* s3auth.h - vaultd's check of an S3 request's SigV4 signature (issue 16).
 *
 * The gateway sends the access key id and scope (VG_TAG_S3_CRED), the
 * request's x-amz-date (VG_TAG_S3_DATE), the canonical request it built
 * (VG_TAG_S3_CANON, common/sigv4.h) and the client's signature
 * (VG_TAG_S3_SIG). vaultd derives the signing key from the secret it keeps
 * (s3key.h), signs the string to sign itself and compares in constant
 * time. It also checks, against its own trusted clock, that x-amz-date is
 * within 15 minutes (or, presigned, that now lies between X-Amz-Date - 15
 * min and X-Amz-Date + X-Amz-Expires), that the scope's date is the
 * request's date, its service "s3", that "host" is signed, and that a
 * presigned request carries no payload hash but UNSIGNED-PAYLOAD. What the
 * canonical request says it does is then checked by the action (s3.c)
 * against what it is asked to do. Any failure is VG_EAUTH (audited and
 * counted toward auth-bruteforce by server.c) with why set.
 */
#ifndef VAULT_S3AUTH_H
#define VAULT_S3AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "wire.h"

int vs3_authenticate(struct vcore *c, const struct vg_msg *m, struct vcaller *who, char *why,
	size_t whysz);

/* The SigV4 signature (64 hex) of canonical request creq with secret, for
 * date8/region/service and x-amz-date amzdate. For tests and the verifier. */
int vs3_sign(const char *secret, const char *date8, const char *region, const char *service,
	const char *amzdate, const char *creq, size_t creqlen, char out[65]);
/* The signing key (for streaming chunk signatures). */
int vs3_signing_key(const char *secret, const char *date8, const char *region,
	const char *service, uint8_t key[32]);

#endif
