// SPDX-License-Identifier: Apache-2.0
/* The report spool's writer (cni_spool.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni_spool.h"

int cni_spool_path(const char *socket, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s%s", socket, CNI_SPOOL_SUFFIX);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* open the spool and lock it; -ESTALE when plexusd unlinked it while we
 * waited for the lock (open it again) */
static int spool_open_locked(const char *path, struct stat *ret_st)
{
	int fd = open(path,
		      O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
			      O_NONBLOCK,
		      0600);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, ret_st) < 0)
		r = -errno;
	else if (!S_ISREG(ret_st->st_mode) || ret_st->st_uid != geteuid())
		r = -EPERM;
	else if (ret_st->st_nlink == 0)
		r = -ESTALE;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int cni_spool_dropped_parse(const char *buf, size_t len, unsigned long *ret)
{
	unsigned long n = 0;

	*ret = 0;
	if (len == 0)
		return 0;
	if (len < 2 || len > 10 || buf[len - 1] != '\n')
		return -EINVAL;
	for (size_t i = 0; i < len - 1; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
		n = n * 10 + (unsigned long)(buf[i] - '0');
	}
	*ret = n;
	return 0;
}

/* One more report dropped past the drop marks: the count in
 * "<spool>.dropped" (cni_spool.h), a regular file of ours only. A
 * count that does not parse starts again from 0. */
static void count_dropped(const char *spool)
{
	char path[4096 + sizeof(CNI_SPOOL_DROPPED_SUFFIX)], buf[16];
	unsigned long n;
	struct stat st;
	ssize_t r;
	int fd, len;

	if (snprintf(path, sizeof(path), "%s%s", spool,
		     CNI_SPOOL_DROPPED_SUFFIX) >= (int)sizeof(path))
		return;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
		  0600);
	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_uid == geteuid()) {
		r = pread(fd, buf, sizeof(buf), 0);
		if (r < 0 || cni_spool_dropped_parse(buf, (size_t)r, &n) < 0)
			n = 0;
		if (n < CNI_SPOOL_DROPPED_MAX)
			n++;
		len = snprintf(buf, sizeof(buf), "%lu\n", n);
		if (pwrite(fd, buf, (size_t)len, 0) != len ||
		    ftruncate(fd, len) < 0) {
			/* not counted: as a failed spool write, ignored */
		}
	}
	close(fd); /* and the lock with it */
}

/* -ENOSPC: dropped (a "-" line); -EDQUOT: dropped past the marks */
static int spool_write(int fd, const struct stat *st, const char *line,
		       size_t len)
{
	ssize_t w;

	if (st->st_size + (off_t)len > CNI_SPOOL_MAX) {
		if (st->st_size + 2 > CNI_SPOOL_MAX + CNI_SPOOL_DROP_MAX)
			return -EDQUOT;
		w = write(fd, "-\n", 2);
		return w < 0 ? -errno : -ENOSPC;
	}
	w = write(fd, line, len);
	if (w < 0)
		return -errno;
	return (size_t)w == len ? 0 : -EIO;
}

int cni_spool_append(const char *socket, const char *line)
{
	char path[4096];
	size_t len = line ? strlen(line) : 0;
	struct stat st;
	int fd = -ESTALE, r;

	if (len < 2 || len >= CNI_SPOOL_LINE_MAX || line[len - 1] != '\n' ||
	    memchr(line, '\n', len - 1))
		return -EINVAL;
	r = cni_spool_path(socket, path, sizeof(path));
	if (r < 0)
		return r;
	for (int i = 0; i < 8 && fd == -ESTALE; i++) /* drained meanwhile */
		fd = spool_open_locked(path, &st);
	if (fd < 0)
		return fd;
	r = spool_write(fd, &st, line, len);
	if (r == -EDQUOT) { /* counted beside it, under the spool's lock */
		count_dropped(path);
		r = -ENOSPC;
	}
	close(fd); /* and the lock with it */
	return r;
}
