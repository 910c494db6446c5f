/* fuzz_netns_nflog.c - libFuzzer harness: one nfnetlink_log message (bytes
 * the kernel sends, parsed as untrusted input) and the drop aggregation. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nflog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vn_drops d;
	/* an aligned copy: netlink messages are read in place */
	static uint32_t buf[16384];
	struct vn_nflog_pkt p;
	char reason[256];

	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	if (vn_nflog_parse(buf, size, &p) == 1) {
		size_t top[5];

		if (d.n == VN_DROPS_MAX_SOURCES)
			vn_drops_reset(&d);
		vn_drops_add(&d, &p);
		vn_drop_reason(&d.src[0], reason, sizeof(reason));
		vn_drops_top(&d, top, 5);
	}
	return 0;
}
