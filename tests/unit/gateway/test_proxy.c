/* test_proxy.c - the pool of vaultd links (gateway/proxy.c): a link that
 * goes back to the pool carries nothing of the request it served (issue 17:
 * "the gateway's pooled vaultd links keep the last caller's token").
 *
 * The peer is a minimal vaultd stand-in in a thread, speaking the real wire
 * codec (common/wire.c) on a UNIX socket: WELCOME to HELLO, then for each
 * REQ a RESP carrying a secret of its own (as principal.create's TOKEN
 * does). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "proxy.h"
#include "suites.h"
#include "wire.h"

#define CALLER_TOKEN "vgt-caller-token-5f1c0d9e7a"
#define ANSWER_TOKEN "vgt-answer-token-83b2aa41c6"

struct peer {
	int lfd;
	char path[108];
	pthread_t th;
};

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	uint8_t *buf = malloc(VG_WIRE_MAX_DATA);
	struct vg_wr wr;
	struct vg_msg m;
	int fd;

	vg_wr_init(&wr, VG_WIRE_HDR + VG_WIRE_MAX_CTRL);
	if (!buf || (fd = accept(p->lfd, NULL, NULL)) < 0)
		goto out;
	while (vg_recv_msg(fd, buf, &m) == 0) {
		if (m.type == VG_F_HELLO) {
			vg_msgb_begin(&wr, VG_F_WELCOME, 0, m.reqid);
			vg_msgb_u32(&wr, VG_TAG_VERSION, VG_WIRE_VERSION);
		} else {
			vg_msgb_begin(&wr, VG_F_RESP, 0, m.reqid);
			vg_msgb_u32(&wr, VG_TAG_STATUS, 0);
			vg_msgb_str(&wr, VG_TAG_TOKEN, ANSWER_TOKEN);
		}
		if (vg_send_frame(fd, &wr))
			break;
	}
	close(fd);
out:
	vg_wr_free(&wr);
	free(buf);
	return NULL;
}

static void peer_start(struct peer *p)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(p->path, sizeof(p->path), "/tmp/vgt-%d-proxy.sock", (int)getpid());
	unlink(p->path);
	strcpy(sa.sun_path, p->path);
	p->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(p->lfd, 0);
	ck_assert_int_eq(bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(p->lfd, 4), 0);
	ck_assert_int_eq(pthread_create(&p->th, NULL, peer_main, p), 0);
}

static void peer_stop(struct peer *p)
{
	pthread_join(p->th, NULL);
	close(p->lfd);
	unlink(p->path);
}

START_TEST(pooled_link_forgets_the_caller)
{
	struct vgc_auth a = {.user = "vgt-agent", .token = CALLER_TOKEN, .peer = "192.0.2.7"};
	struct gw_pool *pool;
	struct vgc *v, *again;
	struct vg_msg m;
	struct peer p;

	peer_start(&p);
	ck_assert_int_eq(gw_pool_new(p.path, 1, 5, &pool), 0);
	ck_assert_int_eq(gw_pool_get(pool, &v), 0);
	vgc_set_auth(v, &a);
	vgc_req(v, VG_OP_WHOAMI);
	ck_assert_int_eq(vgc_call(v, &m), 0);
	/* The request really carried both secrets through this link. */
	ck_assert_int_eq(vgc_holds(v, CALLER_TOKEN), 1);
	ck_assert_int_eq(vgc_holds(v, ANSWER_TOKEN), 1);
	gw_pool_put(pool, v, true);
	/* The same link comes out again (a pool of one), holding neither the
	 * caller's credentials nor the answer's bytes. */
	ck_assert_int_eq(gw_pool_get(pool, &again), 0);
	ck_assert_ptr_eq(again, v);
	ck_assert_int_eq(vgc_holds(again, CALLER_TOKEN), 0);
	ck_assert_int_eq(vgc_holds(again, ANSWER_TOKEN), 0);
	/* And it still works for the next caller. */
	vgc_set_auth(again, &(struct vgc_auth){.user = "vgt-other", .token = "vgt-other-token"});
	vgc_req(again, VG_OP_WHOAMI);
	ck_assert_int_eq(vgc_call(again, &m), 0);
	ck_assert_int_eq(vgc_holds(again, CALLER_TOKEN), 0);
	gw_pool_put(pool, again, false);
	gw_pool_free(pool);
	peer_stop(&p);
}
END_TEST

Suite *gw_proxy_suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("pool");

	tcase_add_test(tc, pooled_link_forgets_the_caller);
	suite_add_tcase(s, tc);
	return s;
}
