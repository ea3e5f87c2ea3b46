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

/* the writers' count of reports dropped past the drop marks
 * ("<path>.dropped", cni_spool.h): added to dropped (malformed when it
 * does not parse), the file emptied under its lock; left for the next
 * drain while a writer holds it; one that is not a regular file of
 * plexusd's uid is removed unread (-EPERM) */
static int drain_dropped(const char *path,
			 unsigned long counts[PD_SPOOL_RESULTS])
{
	char dropped[4096 + sizeof(CNI_SPOOL_DROPPED_SUFFIX)], buf[16];
	unsigned long n;
	struct stat st;
	ssize_t r;
	int fd;

	if (snprintf(dropped, sizeof(dropped), "%s%s", path,
		     CNI_SPOOL_DROPPED_SUFFIX) >= (int)sizeof(dropped))
		return -ENAMETOOLONG;
	fd = open(dropped, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r != -ENOENT)
			unlink(dropped); /* a symlink, or worse: never read */
		return r == -ENOENT ? 0 : (int)r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(fd);
		unlink(dropped);
		return -EPERM;
	}
	r = lock_briefly(fd);
	if (r == 0 && (r = pread(fd, buf, sizeof(buf), 0)) < 0)
		r = -errno;
	if (r >= 0) {
		if (cni_spool_dropped_parse(buf, (size_t)r, &n) == 0)
			counts[PD_SPOOL_DROPPED] += n;
		else
			counts[PD_SPOOL_MALFORMED]++;
		r = ftruncate(fd, 0) < 0 ? -errno : 0;
	}
	close(fd);
	return r == -EWOULDBLOCK ? 0 : (int)r;
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
		total = total > 0 ? total : 0;
	else if (r < 0)
		return r;
	else
		total += r;
	r = drain_dropped(path, counts);
	return r < 0 ? r : total;
}
