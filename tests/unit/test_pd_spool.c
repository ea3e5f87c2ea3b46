/* SPDX-License-Identifier: Apache-2.0 */
/* The report spool (cni_spool.c writes, pd_spool.c reads): lines
 * counted taken, malformed or dropped; plexusd's taker refuses all but
 * reports; appends bounded; the drain reads each line once, a leftover
 * of an earlier drain included, and never a file that is not one. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cni_spool.h"
#include "pd_spool.h"
#include "pd_verbs.h"

/* takes a line that starts with "ok" */
static int take_ok(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	return len >= 2 && !memcmp(line, "ok", 2) ? 0 : -EINVAL;
}

static void test_pd_spool_parse__table(void **state)
{
	static const struct {
		const char *in;
		unsigned long taken, malformed, dropped;
	} t[] = {
		{ "", 0, 0, 0 },
		{ "ok1\n", 1, 0, 0 },
		{ "ok1\nok2\n-\n", 2, 0, 1 },
		{ "ok1\nbad\n", 1, 1, 0 },
		{ "\n", 0, 1, 0 },	 /* empty line */
		{ "ok1\nok2", 1, 1, 0 }, /* cut last line */
		{ "-\n-\n-\n", 0, 0, 3 },
		{ "--\n", 0, 1, 0 },
		{ "ok\0x\n", 0, 1, 0 }, /* a NUL */
	};
	static const size_t lens[] = { 0, 4, 10, 8, 1, 7, 6, 3, 5 };

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned long c[PD_SPOOL_RESULTS] = { 0 };

		pd_spool_parse(t[i].in, lens[i], take_ok, NULL, c);
		if (c[PD_SPOOL_TAKEN] != t[i].taken ||
		    c[PD_SPOOL_MALFORMED] != t[i].malformed ||
		    c[PD_SPOOL_DROPPED] != t[i].dropped)
			fail_msg("case %zu: %lu %lu %lu", i, c[0], c[1], c[2]);
	}
}

static void test_pd_spool_parse__long_line(void **state)
{
	char buf[CNI_SPOOL_LINE_MAX + 8];
	unsigned long c[PD_SPOOL_RESULTS] = { 0 };

	(void)state;
	memset(buf, 'o', sizeof(buf));
	memcpy(buf, "ok", 2);
	buf[CNI_SPOOL_LINE_MAX] = '\n';
	pd_spool_parse(buf, CNI_SPOOL_LINE_MAX + 1, take_ok, NULL, c);
	assert_int_equal(c[PD_SPOOL_MALFORMED], 1);
	assert_int_equal(c[PD_SPOOL_TAKEN], 0);
}

static void test_pd_spool_take__only_reports(void **state)
{
	static const char *const good[] = {
		"RESULT ADD 0 1500 2",
		"CALL DEL 0 10 default%2Fa bridge",
		"{\"op\":\"report\",\"fallback\":\"unreachable\"}",
		"{\"op\":\"report\",\"outcome\":\"allocated\"}",
	};
	static const char *const bad[] = {
		"POD default a 1234",
		"NAD default a",
		"RESULT ADD x 1 0",
		"{\"op\":\"get\",\"store\":{},\"key\":\"k\"}",
		"{\"op\":\"report\",\"fallback\":\"bogus\"}",
		"{\"op\":\"report\"}",
		"{not json",
		"garbage",
	};
	struct pd_verbs *v;

	(void)state;
	assert_int_equal(pd_verbs_new(&v), 0);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (pd_spool_take(v, good[i], strlen(good[i])) != 0)
			fail_msg("refused: %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pd_spool_take(v, bad[i], strlen(bad[i])) != -EINVAL)
			fail_msg("taken: %s", bad[i]);
	/* without --socket nothing takes plexus' lines */
	assert_int_equal(pd_spool_take(NULL, good[0], strlen(good[0])),
			 -EINVAL);
	pd_verbs_free(v);
}

struct tmp {
	char dir[64], sock[96], spool[128];
};

static void tmp_make(struct tmp *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/pdspool.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->sock, sizeof(t->sock), "%s/plexusd.sock", t->dir);
	assert_int_equal(cni_spool_path(t->sock, t->spool, sizeof(t->spool)),
			 0);
}

static void tmp_drop(struct tmp *t)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	assert_int_equal(system(cmd), 0);
}

static void test_cni_spool_append__drained_once(void **state)
{
	unsigned long c[PD_SPOOL_RESULTS] = { 0 };
	struct stat st;
	struct tmp t;

	(void)state;
	tmp_make(&t);
	for (int i = 0; i < 3; i++)
		assert_int_equal(cni_spool_append(t.sock, "ok line\n"), 0);
	assert_int_equal(stat(t.spool, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(pd_spool_drain(t.spool, take_ok, NULL, c), 24);
	assert_int_equal(c[PD_SPOOL_TAKEN], 3);
	assert_int_equal(pd_spool_drain(t.spool, take_ok, NULL, c), 0);
	assert_int_equal(c[PD_SPOOL_TAKEN], 3);
	assert_int_not_equal(stat(t.spool, &st), 0);
	tmp_drop(&t);
}

static void test_cni_spool_append__refuses(void **state)
{
	char long_line[CNI_SPOOL_LINE_MAX + 1];
	struct tmp t;

	(void)state;
	tmp_make(&t);
	memset(long_line, 'x', sizeof(long_line));
	long_line[CNI_SPOOL_LINE_MAX - 1] = '\n';
	long_line[CNI_SPOOL_LINE_MAX] = '\0';
	assert_int_equal(cni_spool_append(t.sock, "no newline"), -EINVAL);
	assert_int_equal(cni_spool_append(t.sock, "two\nlines\n"), -EINVAL);
	assert_int_equal(cni_spool_append(t.sock, "\n"), -EINVAL);
	assert_int_equal(cni_spool_append(t.sock, long_line), -EINVAL);
	/* a symlink is never followed */
	assert_int_equal(symlink("/tmp/pdspool-target", t.spool), 0);
	assert_int_equal(cni_spool_append(t.sock, "ok\n"), -ELOOP);
	/* no directory: nothing made */
	assert_int_equal(cni_spool_append("/nonexistent-pl2/x.sock", "ok\n"),
			 -ENOENT);
	tmp_drop(&t);
}

static void test_cni_spool_append__bounded(void **state)
{
	unsigned long c[PD_SPOOL_RESULTS] = { 0 };
	char line[100];
	struct stat st;
	unsigned long ok = 0, dropped = 0, marks, past;
	char path[160];
	struct tmp t;
	FILE *f;

	(void)state;
	tmp_make(&t);
	memset(line, 'o', sizeof(line));
	memcpy(line, "ok", 2);
	line[98] = '\n';
	line[99] = '\0';
	for (int i = 0; i < 5000; i++) {
		int r = cni_spool_append(t.sock, line);

		assert_true(r == 0 || r == -ENOSPC);
		r == 0 ? ok++ : dropped++;
	}
	assert_int_equal(stat(t.spool, &st), 0);
	assert_true(st.st_size <= CNI_SPOOL_MAX + CNI_SPOOL_DROP_MAX);
	assert_int_equal(ok, CNI_SPOOL_MAX / 99);
	/* "-" lines in the spool's last 4 KiB; past them, the count in
	 * <spool>.dropped */
	marks = CNI_SPOOL_DROP_MAX / 2 + (CNI_SPOOL_MAX % 99) / 2;
	snprintf(path, sizeof(path), "%s" CNI_SPOOL_DROPPED_SUFFIX, t.spool);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu", &past), 1);
	fclose(f);
	assert_int_equal(past, dropped - marks);
	assert_true(pd_spool_drain(t.spool, take_ok, NULL, c) > 0);
	assert_int_equal(c[PD_SPOOL_TAKEN], ok);
	assert_int_equal(c[PD_SPOOL_MALFORMED], 0);
	/* every dropped report counted, the count read and reset */
	assert_int_equal(c[PD_SPOOL_DROPPED], dropped);
	assert_int_equal(pd_spool_drain(t.spool, take_ok, NULL, c), 0);
	assert_int_equal(c[PD_SPOOL_DROPPED], dropped);
	assert_int_equal(cni_spool_append(t.sock, line), 0);
	assert_true(pd_spool_drain(t.spool, take_ok, NULL, c) > 0);
	assert_int_equal(c[PD_SPOOL_TAKEN], ok + 1);
	assert_int_equal(c[PD_SPOOL_DROPPED], dropped);
	tmp_drop(&t);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_cni_spool_dropped_parse__table(void **state)
{
	static const struct {
		const char *buf;
		int rc;
		unsigned long n;
	} t[] = {
		{ "", 0, 0 },
		{ "0\n", 0, 0 },
		{ "17\n", 0, 17 },
		{ "999999999\n", 0, CNI_SPOOL_DROPPED_MAX },
		{ "1000000000\n", -EINVAL, 0 },
		{ "17", -EINVAL, 0 },
		{ "\n", -EINVAL, 0 },
		{ "-1\n", -EINVAL, 0 },
		{ "1 \n", -EINVAL, 0 },
		{ "1\n2\n", -EINVAL, 0 },
	};
	unsigned long n;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = 42;
		assert_int_equal(
			cni_spool_dropped_parse(t[i].buf, strlen(t[i].buf), &n),
			t[i].rc);
		assert_int_equal(n, t[i].n);
	}
}

/* The dropped count: a bad one is malformed and reset, a file that is
 * not ours removed unread */
static void test_pd_spool_drain__dropped_file(void **state)
{
	unsigned long c[PD_SPOOL_RESULTS] = { 0 };
	char path[160];
	struct stat st;
	struct tmp t;

	(void)state;
	tmp_make(&t);
	snprintf(path, sizeof(path), "%s" CNI_SPOOL_DROPPED_SUFFIX, t.spool);
	write_file(path, "12\n");
	assert_int_equal(pd_spool_drain(t.spool, take_ok, NULL, c), 0);
	assert_int_equal(c[PD_SPOOL_DROPPED], 12);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	write_file(path, "x12\n");
	assert_int_equal(pd_spool_drain(t.spool, take_ok, NULL, c), 0);
	assert_int_equal(c[PD_SPOOL_DROPPED], 12);
	assert_int_equal(c[PD_SPOOL_MALFORMED], 1);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(pd_spool_drain(t.spool, take_ok, NULL, c), -EPERM);
	assert_int_not_equal(lstat(path, &st), 0);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(pd_spool_drain(t.spool, take_ok, NULL, c), -ELOOP);
	assert_int_not_equal(lstat(path, &st), 0);
	assert_int_equal(c[PD_SPOOL_DROPPED], 12);
	assert_int_equal(c[PD_SPOOL_MALFORMED], 1);
	tmp_drop(&t);
}

static void test_pd_spool_drain__leftover_first(void **state)
{
	unsigned long c[PD_SPOOL_RESULTS] = { 0 };
	char left[160];
	struct stat st;
	struct tmp t;

	(void)state;
	tmp_make(&t);
	snprintf(left, sizeof(left), "%s.draining", t.spool);
	write_file(left, "ok old\n");
	assert_int_equal(cni_spool_append(t.sock, "ok new\n"), 0);
	assert_int_equal(pd_spool_drain(t.spool, take_ok, NULL, c), 14);
	assert_int_equal(c[PD_SPOOL_TAKEN], 2);
	assert_int_not_equal(stat(left, &st), 0);
	tmp_drop(&t);
}

static void test_pd_spool_drain__not_a_file(void **state)
{
	unsigned long c[PD_SPOOL_RESULTS] = { 0 };
	struct stat st;
	struct tmp t;

	(void)state;
	tmp_make(&t);
	assert_int_equal(mkfifo(t.spool, 0600), 0);
	assert_int_equal(pd_spool_drain(t.spool, take_ok, NULL, c), -EPERM);
	assert_int_not_equal(lstat(t.spool, &st), 0);
	assert_int_equal(symlink("/etc/passwd", t.spool), 0);
	assert_int_equal(pd_spool_drain(t.spool, take_ok, NULL, c), -ELOOP);
	assert_int_equal(c[PD_SPOOL_TAKEN] + c[PD_SPOOL_MALFORMED], 0);
	tmp_drop(&t);
}

/* 4 writers appending while plexusd drains: every line read once */
static void test_pd_spool_drain__concurrent_writers(void **state)
{
	unsigned long c[PD_SPOOL_RESULTS] = { 0 };
	int status, left = 4;
	struct tmp t;

	(void)state;
	tmp_make(&t);
	for (int w = 0; w < 4; w++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			for (int i = 0; i < 300; i++)
				if (cni_spool_append(t.sock, "ok\n") < 0)
					_exit(1);
			_exit(0);
		}
	}
	while (left > 0) {
		assert_true(pd_spool_drain(t.spool, take_ok, NULL, c) >= 0);
		while (left > 0 && waitpid(-1, &status, WNOHANG) > 0) {
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
			left--;
		}
	}
	assert_true(pd_spool_drain(t.spool, take_ok, NULL, c) >= 0);
	assert_int_equal(c[PD_SPOOL_TAKEN], 1200);
	assert_int_equal(c[PD_SPOOL_MALFORMED] + c[PD_SPOOL_DROPPED], 0);
	tmp_drop(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pd_spool_parse__table),
		cmocka_unit_test(test_pd_spool_parse__long_line),
		cmocka_unit_test(test_pd_spool_take__only_reports),
		cmocka_unit_test(test_cni_spool_append__drained_once),
		cmocka_unit_test(test_cni_spool_append__refuses),
		cmocka_unit_test(test_cni_spool_append__bounded),
		cmocka_unit_test(test_pd_spool_drain__leftover_first),
		cmocka_unit_test(test_pd_spool_drain__not_a_file),
		cmocka_unit_test(test_cni_spool_dropped_parse__table),
		cmocka_unit_test(test_pd_spool_drain__dropped_file),
		cmocka_unit_test(test_pd_spool_drain__concurrent_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
