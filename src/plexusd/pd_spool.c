// SPDX-License-Identifier: Apache-2.0
/* The report spool's reader (pd_spool.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pd_sock.h"
#include "pd_spool.h"
#include "pd_store.h"
#include "pd_verbs.h"

#define LOCK_TRIES \
	20 /* 1 ms apart: a writer holds it for one write();
		       * still held: the next drain reads it */

static int line_count(const char *line, size_t len, pd_spool_line_fn fn,
		      void *ctx)
{
	if (len == 1 && line[0] == '-')
		return PD_SPOOL_DROPPED;
	if (len == 0 || len >= CNI_SPOOL_LINE_MAX || memchr(line, '\0', len))
		return PD_SPOOL_MALFORMED;
	return fn(ctx, line, len) == 0 ? PD_SPOOL_TAKEN : PD_SPOOL_MALFORMED;
}

void pd_spool_parse(const char *buf, size_t len, pd_spool_line_fn fn, void *ctx,
		    unsigned long counts[PD_SPOOL_RESULTS])
{
	size_t at = 0;

	while (at < len) {
		const char *nl = memchr(buf + at, '\n', len - at);

		if (!nl) { /* cut: a writer's write() never is, a file may */
			counts[PD_SPOOL_MALFORMED]++;
			return;
		}
		counts[line_count(buf + at, (size_t)(nl - (buf + at)), fn,
				  ctx)]++;
		at = (size_t)(nl - buf) + 1;
	}
}

int pd_spool_take(void *verbs, const char *line, size_t len)
{
	struct pd_sock_req req;

	if (len > 0 && line[0] == '{')
		return pd_store_report_take(line, len);
	if (!verbs || pd_sock_parse(line, len, &req) < 0 ||
	    (req.verb != PD_SOCK_RESULT && req.verb != PD_SOCK_CALL))
		return -EINVAL;
	pd_verbs_take(verbs, &req);
	return 0;
}

static int lock_briefly(int fd)
{
	struct timespec ms = { .tv_nsec = 1000000 };

	for (int i = 0; i < LOCK_TRIES; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		nanosleep(&ms, NULL);
	}
	return -EWOULDBLOCK;
}

static ssize_t read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;

	while (n < size && (r = read(fd, buf + n, size - n)) != 0) {
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0)
			n += (size_t)r;
	}
	return (ssize_t)n;
}

/* the renamed spool read whole into buf (PD_SPOOL_READ_MAX + 1 bytes),
 * then unlinked; kept for the next drain when a writer holds it */
static ssize_t read_renamed(const char *path, char *buf)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0) {
		n = -errno;
		if (n != -ENOENT)
			unlink(path); /* a symlink, or worse: never read */
		return n == -ENOENT ? 0 : n;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(fd);
		unlink(path);
		return -EPERM;
	}
	n = lock_briefly(fd);
	if (n == 0)
		n = read_all(fd, buf, PD_SPOOL_READ_MAX + 1);
	if (n >= 0 && unlink(path) < 0)
		n = -errno;
	close(fd);
	return n;
}

static int drain_one(const char *path, char *buf, pd_spool_line_fn fn,
		     void *ctx, unsigned long counts[PD_SPOOL_RESULTS])
{
	ssize_t n = read_renamed(path, buf);

	if (n <= 0)
		return (int)n;
	if (n > PD_SPOOL_READ_MAX) { /* over the writers' bound: cut */
		counts[PD_SPOOL_MALFORMED]++;
		n = PD_SPOOL_READ_MAX;
	}
	pd_spool_parse(buf, (size_t)n, fn, ctx, counts);
	return (int)n;
}

int pd_spool_drain(const char *path, pd_spool_line_fn fn, void *ctx,
		   unsigned long counts[PD_SPOOL_RESULTS])
{
	char draining[4096];
	char *buf;
	int r, total;

	if (snprintf(draining, sizeof(draining), "%s.draining", path) >=
	    (int)sizeof(draining))
		return -ENAMETOOLONG;
	buf = malloc(PD_SPOOL_READ_MAX + 1);
	if (!buf)
		return -ENOMEM;
	/* a writer holding the lock (it opened the file before a rename):
	 * the renamed file is left for the next drain, never replaced */
	total = r = drain_one(draining, buf, fn, ctx, counts);
	if (r >= 0 && rename(path, draining) < 0)
		r = errno == ENOENT ? 0 : -errno;
	else if (r >= 0)
		r = drain_one(draining, buf, fn, ctx, counts);
	free(buf);
	if (r == -EWOULDBLOCK)
		return total > 0 ? total : 0;
	return r < 0 ? r : total + r;
}
