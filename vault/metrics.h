/* metrics.h - vaultd's state as Prometheus text (exposition format 0.0.4),
 * for VG_OP_METRICS (common/ops.h lists the series). Counters come from
 * meta counters that only grow (alerts, jobs, firewall drops); gauges from
 * one stats.c snapshot. Key availability is as of the vault's last use: a
 * scrape never calls the token. */
#ifndef VAULT_METRICS_H
#define VAULT_METRICS_H

#include "buf.h"
#include "core.h"

int vmetrics_render(struct vcore *c, struct vg_wr *out);
/* Adds n to meta counter key (h_admin.c counts vaultnet's firewall drops). */
int vmetrics_count(struct vcore *c, const char *key, uint64_t n);

#endif
