/* test_metrics.c - Prometheus rendering (gateway/metrics.c). */
#include <string.h>

#include "metrics.h"
#include "suites.h"

START_TEST(render)
{
	struct vg_wr wr;
	char *text;

	gw_metrics_request(GW_R_RESTIC_FILE, 200);
	gw_metrics_request(GW_R_RESTIC_FILE, 200);
	gw_metrics_request(GW_R_API_OBJECTS, 503);
	gw_metrics_request(GW_R_API_OBJECTS, 99);    /* ignored */
	gw_metrics_request(GW_R_COUNT, 200);         /* ignored */
	gw_metrics_add(GW_C_AUTH_FAIL, 3);
	gw_metrics_gauge(GW_G_OPEN_CONNS, 5);
	gw_metrics_gauge(GW_G_OPEN_CONNS, -2);
	vg_wr_init(&wr, 1 << 20);
	gw_metrics_render(&wr);
	vg_wr_u8(&wr, 0);
	ck_assert_int_eq(wr.err, 0);
	text = (char *)wr.p;
	ck_assert_ptr_nonnull(strstr(text, "vaultgw_requests_total{route=\"restic_file\",code=\"200\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text, "vaultgw_requests_total{route=\"api_objects\",code=\"503\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "vaultgw_server_errors_total 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "vaultgw_auth_failures_total 3\n"));
	ck_assert_ptr_nonnull(strstr(text, "vaultgw_open_connections 3\n"));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE vaultgw_response_body_bytes_total counter\n"));
	ck_assert_ptr_null(strstr(text, "code=\"99\""));
	vg_wr_free(&wr);
}
END_TEST

Suite *gw_metrics_suite(void)
{
	Suite *s = suite_create("gw_metrics");
	TCase *t = tcase_create("core");

	tcase_add_test(t, render);
	suite_add_tcase(s, t);
	return s;
}
