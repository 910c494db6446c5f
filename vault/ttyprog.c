/* ttyprog.c - see ttyprog.h. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ttyprog.h"

static bool quiet;

void vtp_set_quiet(bool q)
{
	quiet = q;
}

static double secs_since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void human(uint64_t n, char *out, size_t sz)
{
	static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, sz, "%llu B", (unsigned long long)n);
	else
		snprintf(out, sz, "%.1f %s", v, unit[u]);
}

static void draw(struct vtp *p, const struct timespec *now)
{
	char d[32], t[32], rate[48] = "", eta[48] = "", pct[16] = "";
	double el = secs_since(&p->t0, now);
	double bps = el > 0.2 ? (double)p->done / el : 0;

	human(p->done, d, sizeof(d));
	if (bps > 0) {
		char r[32];
		human((uint64_t)bps, r, sizeof(r));
		snprintf(rate, sizeof(rate), ", %s/s", r);
	}
	if (p->total) {
		human(p->total, t, sizeof(t));
		snprintf(pct, sizeof(pct), " (%llu%%)", (unsigned long long)(p->done >= p->total ?
			100 : p->done * 100 / p->total));
		if (bps > 0 && p->done < p->total) {
			unsigned long long s = (unsigned long long)((double)(p->total - p->done) / bps);
			if (s >= 3600)
				snprintf(eta, sizeof(eta), ", ETA %lluh%02llum", s / 3600, s % 3600 / 60);
			else
				snprintf(eta, sizeof(eta), ", ETA %llum%02llus", s / 60, s % 60);
		}
		fprintf(stderr, "\r%s: %s of %s%s%s%s\033[K", p->label, d, t, pct, rate, eta);
	} else {
		fprintf(stderr, "\r%s: %s%s\033[K", p->label, d, rate);
	}
	fflush(stderr);
	p->last = *now;
	p->drawn = true;
}

void vtp_begin(struct vtp *p, const char *label, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->on = !quiet && isatty(STDERR_FILENO);
	snprintf(p->label, sizeof(p->label), "%s", label);
	p->total = total;
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
}

void vtp_total(struct vtp *p, uint64_t total)
{
	p->total = total;
}

void vtp_update(struct vtp *p, uint64_t done)
{
	struct timespec now;

	p->done = done;
	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (p->drawn && secs_since(&p->last, &now) < 0.25)
		return;
	draw(p, &now);
}

void vtp_end(struct vtp *p)
{
	struct timespec now;

	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	draw(p, &now);
	fputc('\n', stderr);
	fflush(stderr);
	p->on = false;
}
