// SPDX-License-Identifier: Apache-2.0
/* Deadlines as values: absolute CLOCK_MONOTONIC milliseconds.
 *
 * Waiting for a lock with a deadline: LOCK_NB tries with short sleeps
 * rather than a blocking flock cut short by a timer signal. A timer
 * (alarm, setitimer, timer_create) is process-wide or needs a signal
 * handler, and plexus runs its in-process delegates, and their IPAM calls
 * in threads, inside one process: a signal meant for one wait would land
 * in another, and a handler would be global state. Polling costs at most
 * the sleep's length in latency (10 ms) and gives up FIFO order among
 * waiters, which flock does not promise anyway. */
#include <errno.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>

#include "cni_deadline.h"

#define POLL_MIN_MS 1
#define POLL_MAX_MS 10

int64_t cni_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double cni_now_msf(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int64_t cni_deadline_after(int64_t ms)
{
	return ms > 0 ? cni_now_ms() + ms : 0;
}

int64_t cni_deadline_min(int64_t a, int64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

int64_t cni_deadline_left(int64_t d, int64_t cap)
{
	int64_t left;

	if (!d)
		return cap;
	left = d - cni_now_ms();
	if (left <= 0)
		return 0;
	return left < cap ? left : cap;
}

bool cni_deadline_passed(int64_t d)
{
	return d && cni_now_ms() >= d;
}

/* Sleep for the next poll: *step ms (at most what is left), then grow. */
static void poll_sleep(int64_t d, int64_t *step)
{
	int64_t ms = cni_deadline_left(d, *step);
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	if (*step < POLL_MAX_MS)
		(*step)++;
}

int cni_flock_until(int fd, int64_t d)
{
	int64_t step = POLL_MIN_MS;

	for (;;) {
		if (flock(fd, LOCK_EX | (d ? LOCK_NB : 0)) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return -errno;
		if (cni_deadline_passed(d))
			return -ETIMEDOUT;
		poll_sleep(d, &step);
	}
}

int cni_waitpid_until(pid_t pid, int *ret_status, int64_t d)
{
	int64_t step = POLL_MIN_MS;
	pid_t r;

	for (;;) {
		r = waitpid(pid, ret_status, d ? WNOHANG : 0);
		if (r == pid)
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (cni_deadline_passed(d))
			return -ETIMEDOUT;
		poll_sleep(d, &step);
	}
}
