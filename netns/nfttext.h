/* nfttext.h - the live rules in nft's own syntax, for people.
 *
 * verify and show compare rules by their libnftnl expressions (nft.c),
 * which is exact but unreadable for a rule the configuration does not
 * explain ("[ payload load 2b @ transport header + 2 => reg 1 ] ...").
 * vn_nft_text() asks libnftables, the library behind nft(8), to list the
 * table inside NETNS (in a child process that enters the namespace, so
 * the caller's own namespace is untouched) and fills each rule's nft text
 * by its handle. Best effort: on any failure the texts stay empty and the
 * callers print the expressions instead. Returns 0 or -errno.
 */
#ifndef VN_NFTTEXT_H
#define VN_NFTTEXT_H

#include "nft.h"

int vn_nft_text(const char *netns, struct vn_live *have);

#endif
