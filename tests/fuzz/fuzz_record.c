/* fuzz_record.c - libFuzzer harness for the LMDB record decoders
 * (vault/record.c): vr_vault_dec, vr_item_dec, vr_point_dec,
 * vr_object_dec, vr_blobref_dec and vr_audit_dec.
 *
 * Input: one selector byte (which decoder, modulo 6), then the value.
 * Invariants: a refusal is always VG_EINTEGRITY; every decoded string is
 * NUL-terminated inside its field; a decoded value re-encodes to exactly
 * the input bytes (the layouts are canonical).
 */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "record.h"
#include "vg_err.h"

#define TERMINATED(s) FUZZ_CHECK(memchr((s), 0, sizeof(s)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union {
		struct vr_vault vault;
		struct vr_item item;
		struct vr_point point;
		struct vr_object object;
		struct vr_blobref blobref;
		struct vr_audit audit;
	} u;
	struct vg_wr wr;
	uint8_t *val;
	size_t n;
	int sel, r, e;

	if (size < 1)
		return 0;
	sel = data[0] % 6;
	n = size - 1;
	val = malloc(n ? n : 1);  /* exact size: overreads are caught */
	if (!val)
		return 0;
	memcpy(val, data + 1, n);
	switch (sel) {
	case 0: r = vr_vault_dec(val, n, &u.vault); break;
	case 1: r = vr_item_dec(val, n, &u.item); break;
	case 2: r = vr_point_dec(val, n, &u.point); break;
	case 3: r = vr_object_dec(val, n, &u.object); break;
	case 4: r = vr_blobref_dec(val, n, &u.blobref); break;
	default: r = vr_audit_dec(val, n, &u.audit); break;
	}
	if (r) {
		FUZZ_CHECK(r == VG_EINTEGRITY);
		free(val);
		return 0;
	}
	vg_wr_init(&wr, 0);
	switch (sel) {
	case 0:
		TERMINATED(u.vault.guard);
		TERMINATED(u.vault.keyref);
		FUZZ_CHECK(u.vault.wrapped_len <= VK_WRAPPED_MAX);
		FUZZ_CHECK(u.vault.infra_wrapped_len <= VK_WRAPPED_MAX);
		e = vr_vault_enc(&wr, &u.vault);
		break;
	case 1:
		TERMINATED(u.item.kind);
		TERMINATED(u.item.owner);
		e = vr_item_enc(&wr, &u.item);
		break;
	case 2:
		TERMINATED(u.point.principal);
		TERMINATED(u.point.ref);
		e = vr_point_enc(&wr, &u.point);
		break;
	case 3:
		FUZZ_CHECK(u.object.seg_size > 0 && u.object.seg_size <= (64u << 20));
		e = vr_object_enc(&wr, &u.object);
		break;
	case 4:
		TERMINATED(u.blobref.object);
		e = vr_blobref_enc(&wr, &u.blobref);
		break;
	default:
		TERMINATED(u.audit.principal);
		TERMINATED(u.audit.op);
		TERMINATED(u.audit.target);
		TERMINATED(u.audit.result);
		TERMINATED(u.audit.reason);
		TERMINATED(u.audit.peer);
		e = vr_audit_enc(&wr, &u.audit);
		break;
	}
	FUZZ_CHECK(e == 0);
	FUZZ_CHECK(wr.len == n && (n == 0 || memcmp(wr.p, val, n) == 0));
	vg_wr_free(&wr);
	free(val);
	return 0;
}
