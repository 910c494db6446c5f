/* metrics.c - see metrics.h. */
#include <stdatomic.h>

#include "metrics.h"

#define STATUS_MIN 100
#define STATUS_MAX 599

static _Atomic uint64_t requests[GW_R_COUNT][STATUS_MAX - STATUS_MIN + 1];
static _Atomic uint64_t counters[GW_C_COUNT];
static _Atomic int64_t gauges[GW_G_COUNT];

static const char *const route_names[GW_R_COUNT] = {
	[GW_R_OTHER] = "other",
	[GW_R_RESTIC_CREATE] = "restic_create",
	[GW_R_RESTIC_CONFIG] = "restic_config",
	[GW_R_RESTIC_LIST] = "restic_list",
	[GW_R_RESTIC_FILE] = "restic_file",
	[GW_R_API_VAULTS] = "api_vaults",
	[GW_R_API_ITEMS] = "api_items",
	[GW_R_API_POINTS] = "api_points",
	[GW_R_API_OBJECTS] = "api_objects",
	[GW_R_API_OTHER] = "api_other",
	[GW_R_METRICS] = "metrics",
	[GW_R_UI] = "ui",
	[GW_R_S3] = "s3",
};

static const struct {
	const char *name;
	const char *help;
} counter_info[GW_C_COUNT] = {
	[GW_C_BYTES_IN] = {"vaultgw_request_body_bytes_total", "Request body bytes received."},
	[GW_C_BYTES_OUT] = {"vaultgw_response_body_bytes_total", "Response body bytes sent."},
	[GW_C_AUTH_FAIL] = {"vaultgw_auth_failures_total", "Requests whose credentials vaultd refused."},
	[GW_C_AUTH_LIMITED] = {"vaultgw_auth_rate_limited_total",
		"Requests refused because their source failed authentication too often."},
	[GW_C_CONN_ACCEPTED] = {"vaultgw_connections_accepted_total", "TCP connections accepted."},
	[GW_C_CONN_REFUSED] = {"vaultgw_connections_refused_total",
		"Connections closed at once because max_connections was reached."},
	[GW_C_CONN_PRINCIPAL_CAP] = {"vaultgw_principal_cap_refusals_total",
		"Requests refused because their principal had too many connections."},
	[GW_C_TLS_FAIL] = {"vaultgw_tls_handshake_failures_total", "TLS handshakes that failed."},
	[GW_C_HEADER_TIMEOUT] = {"vaultgw_header_timeouts_total",
		"Connections cut because a request head did not arrive in time."},
	[GW_C_IDLE_TIMEOUT] = {"vaultgw_idle_timeouts_total", "Connections closed after being idle."},
	[GW_C_BAD_REQUEST] = {"vaultgw_bad_requests_total", "Requests refused while parsing."},
	[GW_C_VAULTD_ERROR] = {"vaultgw_vaultd_errors_total",
		"vaultd unreachable, or a protocol failure talking to it."},
	[GW_C_STREAM_ABORT] = {"vaultgw_stream_aborts_total",
		"Responses cut off mid-body (the client sees a short body)."},
	[GW_C_LINK_SHARE] = {"vaultgw_link_share_refusals_total",
		"Requests refused because their principal held its share of vaultd links, or the "
		"free links were reserved for reads or admins."},
};

static const struct {
	const char *name;
	const char *help;
} gauge_info[GW_G_COUNT] = {
	[GW_G_OPEN_CONNS] = {"vaultgw_open_connections", "Open client connections."},
	[GW_G_ACTIVE_REQUESTS] = {"vaultgw_active_requests", "Requests being served now."},
};

const char *gw_route_name(enum gw_route r)
{
	return r < GW_R_COUNT ? route_names[r] : "other";
}

void gw_metrics_request(enum gw_route route, int status)
{
	if (route >= GW_R_COUNT || status < STATUS_MIN || status > STATUS_MAX)
		return;
	atomic_fetch_add_explicit(&requests[route][status - STATUS_MIN], 1, memory_order_relaxed);
}

uint64_t gw_metrics_requests(enum gw_route route, int status)
{
	if (route >= GW_R_COUNT || status < STATUS_MIN || status > STATUS_MAX)
		return 0;
	return atomic_load_explicit(&requests[route][status - STATUS_MIN], memory_order_relaxed);
}

void gw_metrics_add(enum gw_counter c, uint64_t n)
{
	if (c < GW_C_COUNT)
		atomic_fetch_add_explicit(&counters[c], n, memory_order_relaxed);
}

uint64_t gw_metrics_get(enum gw_counter c)
{
	return c < GW_C_COUNT ? atomic_load_explicit(&counters[c], memory_order_relaxed) : 0;
}

void gw_metrics_gauge(enum gw_gauge g, int64_t delta)
{
	if (g < GW_G_COUNT)
		atomic_fetch_add_explicit(&gauges[g], delta, memory_order_relaxed);
}

int64_t gw_metrics_gauge_get(enum gw_gauge g)
{
	return g < GW_G_COUNT ? atomic_load_explicit(&gauges[g], memory_order_relaxed) : 0;
}

void gw_metrics_render(struct vg_wr *wr)
{
	uint64_t errors = 0;

	vg_wr_printf(wr, "# HELP vaultgw_requests_total HTTP requests answered, by route and status.\n"
			 "# TYPE vaultgw_requests_total counter\n");
	for (int r = 0; r < GW_R_COUNT; r++)
		for (int s = STATUS_MIN; s <= STATUS_MAX; s++) {
			uint64_t n = gw_metrics_requests((enum gw_route)r, s);
			if (!n)
				continue;
			if (s >= 500)
				errors += n;
			vg_wr_printf(wr, "vaultgw_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
				route_names[r], s, (unsigned long long)n);
		}
	vg_wr_printf(wr, "# HELP vaultgw_server_errors_total HTTP answers with a 5xx status.\n"
			 "# TYPE vaultgw_server_errors_total counter\n"
			 "vaultgw_server_errors_total %llu\n", (unsigned long long)errors);
	for (int c = 0; c < GW_C_COUNT; c++)
		vg_wr_printf(wr, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counter_info[c].name,
			counter_info[c].help, counter_info[c].name, counter_info[c].name,
			(unsigned long long)gw_metrics_get((enum gw_counter)c));
	for (int g = 0; g < GW_G_COUNT; g++)
		vg_wr_printf(wr, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", gauge_info[g].name,
			gauge_info[g].help, gauge_info[g].name, gauge_info[g].name,
			(long long)gw_metrics_gauge_get((enum gw_gauge)g));
}
