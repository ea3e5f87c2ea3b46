// SPDX-License-Identifier: Apache-2.0
/* cni_fs: atomic writes and the deferred-sync test of syncMode "pod". */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cni_error.h"
#include "cni_fs.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_cni_fs.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	unsetenv(CNI_FS_SYNC_DIR_ENV);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_cni_fs__deferred_needs_the_variable(void **state)
{
	char p[128];

	(void)state;
	snprintf(p, sizeof(p), "%s/x", dir);
	unsetenv(CNI_FS_SYNC_DIR_ENV);
	assert_false(cni_fs_sync_deferred(p));
	setenv(CNI_FS_SYNC_DIR_ENV, "", 1);
	assert_false(cni_fs_sync_deferred(p));
	setenv(CNI_FS_SYNC_DIR_ENV, dir, 1);
	assert_true(cni_fs_sync_deferred(p));
	/* a path not made yet: its nearest existing parent decides */
	snprintf(p, sizeof(p), "%s/a/b/c/key", dir);
	assert_true(cni_fs_sync_deferred(p));
}

/* /dev/shm is a tmpfs: another filesystem than /tmp's unless /tmp is one
 * too (then the case is skipped) */
static void test_cni_fs__other_filesystem_is_synced(void **state)
{
	struct stat a, b;

	(void)state;
	if (stat("/dev/shm", &a) < 0 || stat(dir, &b) < 0 ||
	    a.st_dev == b.st_dev)
		skip();
	setenv(CNI_FS_SYNC_DIR_ENV, dir, 1);
	assert_false(cni_fs_sync_deferred("/dev/shm/plexus-x"));
	/* a sync directory that does not exist defers nothing */
	setenv(CNI_FS_SYNC_DIR_ENV, "/nonexistent-plexus", 1);
	assert_false(cni_fs_sync_deferred("/nonexistent-plexus/x"));
}

static void test_cni_fs__commit(void **state)
{
	struct cni_err err = { 0 };
	char p[128];

	(void)state;
	snprintf(p, sizeof(p), "%s/sub/f", dir);
	assert_int_equal(cni_fs_write_replace(p, "x", 1, 0600, &err), 0);
	assert_int_equal(cni_fs_commit(dir), 0);
	assert_int_equal(cni_fs_commit("/nonexistent-plexus"), -ENOENT);
	assert_int_equal(cni_fs_commit(p), -ENOTDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_cni_fs__deferred_needs_the_variable, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_cni_fs__other_filesystem_is_synced, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_cni_fs__commit, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
