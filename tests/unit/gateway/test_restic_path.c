/* test_restic_path.c - the restic path grammar (gateway/restic_path.c). */
#include <string.h>

#include "restic_path.h"
#include "suites.h"
#include "vg_err.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

START_TEST(accepted)
{
	struct vg_restic_path p;

	ck_assert_int_eq(vg_restic_path_parse("/restic/host1/", &p), 0);
	ck_assert_int_eq(p.kind, VG_RP_ROOT);
	ck_assert_str_eq(p.item, "host1");
	ck_assert_int_eq(vg_restic_path_parse("/restic/h:srv/config", &p), 0);
	ck_assert_int_eq(p.kind, VG_RP_CONFIG);
	ck_assert_str_eq(p.object, "config");
	ck_assert_int_eq(vg_restic_path_parse("/restic/h/keys/", &p), 0);
	ck_assert_int_eq(p.kind, VG_RP_LIST);
	ck_assert_int_eq(p.type, VG_RT_KEYS);
	ck_assert_int_eq(vg_restic_path_parse("/restic/h/data", &p), 0);
	ck_assert_int_eq(p.kind, VG_RP_LIST);
	ck_assert_int_eq(p.type, VG_RT_DATA);
	ck_assert_int_eq(vg_restic_path_parse("/restic/h/snapshots/" ID, &p), 0);
	ck_assert_int_eq(p.kind, VG_RP_FILE);
	ck_assert_str_eq(p.id, ID);
	ck_assert_str_eq(p.object, "snapshots:" ID);
	ck_assert_int_eq(vg_restic_path_parse("/restic/h/locks/" ID, &p), 0);
	ck_assert_int_eq(vg_restic_path_parse("/restic/h/index/" ID, &p), 0);
}
END_TEST

START_TEST(refused)
{
	static const char *const bad[] = {
		"/restic/", "/restic//", "/restic/h", "/restic/../", "/restic/h/../config",
		"/restic/h/./config", "/restic/h//config", "/restic/h/data/..", "/restic/h/data/../../x",
		"/restic/h/data/" ID "/", "/restic/h/data/" ID "0", "/restic/h/data/0123",
		"/restic/h/data/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		"/restic/h/data/%2e%2e", "/restic/h%2f/config", "/restic/.h/config",
		"/restic/h..i/config", "/restic/h/Data/", "/restic/h/data/x/y", "/restic/h/data//",
		"/restic/h/config2", "/restic/h/keys/" ID "/x", "/restic/h i/config", "/restic/-h/",
		"/restic/h/\x01/", "/resticx/h/", "restic/h/",
	};
	struct vg_restic_path p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = vg_restic_path_parse(bad[i], &p);
		if (r != VG_ENAME)
			ck_abort_msg("%s: got %d, want VG_ENAME", bad[i], r);
	}
}
END_TEST

START_TEST(unknown_type)
{
	struct vg_restic_path p;

	ck_assert_int_eq(vg_restic_path_parse("/restic/h/foo/", &p), VG_ENOTFOUND);
	ck_assert_int_eq(vg_restic_path_parse("/restic/h/config/", &p), VG_ENOTFOUND);
	ck_assert_int_eq(vg_restic_path_parse("/restic/h/configs/", &p), VG_ENOTFOUND);
	ck_assert_int_eq(vg_restic_path_parse("/restic/h/packs/" ID, &p), VG_ENOTFOUND);
}
END_TEST

START_TEST(long_item)
{
	char path[400];
	struct vg_restic_path p;

	strcpy(path, "/restic/");
	memset(path + 8, 'a', VG_ITEM_NAME_MAX);
	strcpy(path + 8 + VG_ITEM_NAME_MAX, "/config");
	ck_assert_int_eq(vg_restic_path_parse(path, &p), 0);
	memset(path + 8, 'a', VG_ITEM_NAME_MAX + 1);
	strcpy(path + 8 + VG_ITEM_NAME_MAX + 1, "/config");
	ck_assert_int_eq(vg_restic_path_parse(path, &p), VG_ENAME);
}
END_TEST

START_TEST(object_names)
{
	enum vg_rp_type t;
	char id[65];

	ck_assert_int_eq(vg_restic_object_parse("config", &t, id), 0);
	ck_assert_int_eq(t, VG_RT_NONE);
	ck_assert_int_eq(vg_restic_object_parse("data:" ID, &t, id), 0);
	ck_assert_int_eq(t, VG_RT_DATA);
	ck_assert_str_eq(id, ID);
	ck_assert_int_eq(vg_restic_object_parse("data:" ID "0", &t, id), VG_ENAME);
	ck_assert_int_eq(vg_restic_object_parse("foo:" ID, &t, id), VG_ENAME);
	ck_assert_int_eq(vg_restic_object_parse("data" ID, &t, id), VG_ENAME);
	ck_assert_str_eq(vg_restic_type_name(VG_RT_SNAPSHOTS), "snapshots");
	ck_assert_ptr_null(vg_restic_type_name(VG_RT_NONE));
	/* vaultd's list types: the same table. */
	ck_assert_int_eq(vg_restic_type_parse("locks", &t), 0);
	ck_assert_int_eq(t, VG_RT_LOCKS);
	ck_assert_int_eq(vg_restic_type_parse("config", &t), VG_ENAME);
	ck_assert_int_eq(vg_restic_type_parse("Keys", &t), VG_ENAME);
	ck_assert_int_eq(vg_restic_type_parse("", &t), VG_ENAME);
}
END_TEST

Suite *gw_restic_path_suite(void)
{
	Suite *s = suite_create("gw_restic_path");
	TCase *t = tcase_create("core");

	tcase_add_test(t, accepted);
	tcase_add_test(t, refused);
	tcase_add_test(t, unknown_type);
	tcase_add_test(t, long_item);
	tcase_add_test(t, object_names);
	suite_add_tcase(s, t);
	return s;
}
