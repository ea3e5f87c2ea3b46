// SPDX-License-Identifier: Apache-2.0
/* cni_deadline: deadline arithmetic, flock and waitpid with a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cni_deadline.h"

static void test_cni_deadline__arithmetic(void **state)
{
	int64_t now = cni_now_ms(), d;

	(void)state;
	assert_int_equal(cni_deadline_after(0), 0);
	assert_int_equal(cni_deadline_after(-5), 0);
	d = cni_deadline_after(5000);
	assert_true(d >= now + 5000 && d < now + 6000);
	assert_int_equal(cni_deadline_min(0, 7), 7);
	assert_int_equal(cni_deadline_min(7, 0), 7);
	assert_int_equal(cni_deadline_min(9, 7), 7);
	assert_int_equal(cni_deadline_min(0, 0), 0);
	assert_int_equal(cni_deadline_left(0, 123), 123); /* none: the cap */
	assert_int_equal(cni_deadline_left(d, 100), 100);
	assert_true(cni_deadline_left(d, 100000) > 4000);
	assert_int_equal(cni_deadline_left(now - 1, 100), 0);
	assert_false(cni_deadline_passed(0));
	assert_false(cni_deadline_passed(d));
	assert_true(cni_deadline_passed(now - 1));
}

static int lock_file(char *path)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	return fd;
}

/* Another open file description holds the lock: the wait ends at the
 * deadline with -ETIMEDOUT; once it is let go, the lock is taken. */
static void test_cni_flock_until__times_out_then_takes(void **state)
{
	char path[] = "/tmp/plexus-deadline-XXXXXX";
	int holder = lock_file(path), fd = open(path, O_RDWR);
	int64_t t0;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(flock(holder, LOCK_EX), 0);
	t0 = cni_now_ms();
	assert_int_equal(cni_flock_until(fd, cni_deadline_after(150)),
			 -ETIMEDOUT);
	assert_true(cni_now_ms() - t0 >= 150);
	assert_true(cni_now_ms() - t0 < 1000);
	close(holder);
	assert_int_equal(cni_flock_until(fd, cni_deadline_after(150)), 0);
	/* a free lock is taken even when the deadline has passed */
	close(fd);
	fd = open(path, O_RDWR);
	assert_int_equal(cni_flock_until(fd, cni_now_ms() - 1), 0);
	close(fd);
	unlink(path);
}

/* A child that outlives the deadline: -ETIMEDOUT and it still runs (the
 * caller kills it); one that exits in time: its status. */
static void test_cni_waitpid_until__timeout_and_status(void **state)
{
	int64_t t0;
	int status = 0;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sleep(5);
		_exit(0);
	}
	t0 = cni_now_ms();
	assert_int_equal(
		cni_waitpid_until(pid, &status, cni_deadline_after(100)),
		-ETIMEDOUT);
	assert_true(cni_now_ms() - t0 >= 100 && cni_now_ms() - t0 < 1000);
	assert_int_equal(kill(pid, 0), 0);
	kill(pid, SIGKILL);
	assert_int_equal(cni_waitpid_until(pid, &status, 0), 0);
	assert_true(WIFSIGNALED(status));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(3);
	assert_int_equal(
		cni_waitpid_until(pid, &status, cni_deadline_after(5000)), 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cni_deadline__arithmetic),
		cmocka_unit_test(test_cni_flock_until__times_out_then_takes),
		cmocka_unit_test(test_cni_waitpid_until__timeout_and_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
