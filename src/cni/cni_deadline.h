/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_DEADLINE_H
#define PLEXUS_CNI_DEADLINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A deadline is a value passed down a call: an absolute time of
 * CLOCK_MONOTONIC (shared by every process of the machine) in
 * milliseconds; 0 means none. No signal or global alarm is involved, so
 * a deadline works the same in plexus' process, in a thread and in a
 * plugin binary. */

/* CLOCK_MONOTONIC now, in ms. */
int64_t cni_now_ms(void);
/* The same with its fraction, for durations logged to 0.1 ms. */
double cni_now_msf(void);
/* now + ms; 0 (none) when ms <= 0. */
int64_t cni_deadline_after(int64_t ms);
/* The earlier of a and b (0 is none, so the other wins). */
int64_t cni_deadline_min(int64_t a, int64_t b);
/* Milliseconds left before d, at most cap (cap also when d is none); 0
 * once d has passed. */
int64_t cni_deadline_left(int64_t d, int64_t cap);
bool cni_deadline_passed(int64_t d);

/* flock(fd, LOCK_EX) until d: LOCK_NB tries with sleeps of 1 ms growing
 * to 10 ms. 0, -ETIMEDOUT when d passed first, or -errno. With d 0 it
 * waits as long as it takes (a blocking flock). */
int cni_flock_until(int fd, int64_t d);

/* waitpid(pid) until d (polled with WNOHANG, sleeps as above): 0 with
 * *ret_status, -ETIMEDOUT when d passed first (the child still runs:
 * the caller kills and reaps it), or -errno. */
int cni_waitpid_until(pid_t pid, int *ret_status, int64_t d);

#endif
