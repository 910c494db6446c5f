/* report.h - `vaultctl report`: per vault and per item, recovery points,
 * stored and soft-deleted bytes, last success and failure, and jobs over
 * time (SPEC §8), from VG_OP_REPORT. Plain text by default, --json, or
 * --html FILE: one self-contained page (inline CSS and SVG, no external
 * asset, no script) with three charts whose ids tests look for:
 *   chart-stored-bytes     stored bytes over time, one line per vault
 *   chart-jobs-per-day     jobs per day, stacked by result
 *   chart-upcoming-purges  bytes to be purged per day, next 14 days
 */
#ifndef VAULT_REPORT_H
#define VAULT_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "client.h"

int vctl_report(struct vgc *c, int argc, char **argv);

/* The same report for the console (gateway/ui/report.c): what the --html
 * page holds inside its <main> (cards, the three charts, the tables),
 * REPORT asked on c (as its principal) for the last days days, written to
 * f. 0 or vaultd's error. Its stylesheet is vreport_css (the page inlines
 * it; the console serves it in /ui/style.css). Thread-safe. */
int vreport_body(struct vgc *c, const char *vault, uint64_t days, FILE *f);
extern const char vreport_css[];

#endif
