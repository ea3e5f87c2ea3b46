// SPDX-License-Identifier: Apache-2.0
/* Crash-safe file writes. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cni_error.h"
#include "cni_fs.h"

int cni_fs_mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* st_dev of path, or of its nearest existing parent. */
static int dev_of(const char *path, dev_t *ret)
{
	char buf[4096];
	struct stat st;
	char *slash;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	while (stat(buf, &st) < 0) {
		slash = strrchr(buf, '/');
		if (errno != ENOENT || !slash || slash == buf)
			return -errno;
		*slash = '\0';
	}
	*ret = st.st_dev;
	return 0;
}

bool cni_fs_sync_deferred(const char *path)
{
	const char *dir = getenv(CNI_FS_SYNC_DIR_ENV);
	dev_t a, b;

	if (!dir || !*dir)
		return false;
	return dev_of(dir, &a) == 0 && dev_of(path, &b) == 0 && a == b;
}

int cni_fs_commit(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (syncfs(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int write_file(const char *path, const char *data, size_t len,
		      mode_t mode, bool sync, struct cni_err *err)
{
	char dir[4096], tmp[4200];
	int fd, r;

	if (strlen(path) >= sizeof(dir))
		return cni_errf(err, CNI_ERR_IO, "%s: path too long", path);
	strcpy(dir, path);
	dirname(dir);
	r = cni_fs_mkdir_p(dir, 0700);
	if (r < 0)
		return cni_errf(err, CNI_ERR_IO, "%s: mkdir: %s", dir,
				strerror(-r));
	snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return cni_errf(err, CNI_ERR_IO, "%s: %s", tmp,
				strerror(errno));
	r = fchmod(fd, mode) < 0 ? -errno : 0;
	if (r == 0)
		r = write_all(fd, data, len);
	if (r == 0 && sync && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return cni_errf(err, CNI_ERR_IO, "%s: write: %s", path,
				strerror(-r));
	}
	if (sync)
		fsync_dir(dir);
	return 0;
}

int cni_fs_write_atomic(const char *path, const char *data, size_t len,
			mode_t mode, struct cni_err *err)
{
	return write_file(path, data, len, mode, true, err);
}

int cni_fs_write_replace(const char *path, const char *data, size_t len,
			 mode_t mode, struct cni_err *err)
{
	return write_file(path, data, len, mode, false, err);
}

int cni_fs_wait_exists(const char *path, int interval_ms, int timeout_ms)
{
	struct timespec t0, now;
	long long left; /* ns */

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (access(path, F_OK) == 0)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms * 1000000LL -
		       ((now.tv_sec - t0.tv_sec) * 1000000000LL +
			(now.tv_nsec - t0.tv_nsec));
		if (left <= 0)
			return -ETIMEDOUT;
		/* the last look is at the limit itself, as Multus' poll */
		if (left > interval_ms * 1000000LL)
			left = interval_ms * 1000000LL;
		nanosleep(&(struct timespec){ left / 1000000000LL,
					      left % 1000000000LL },
			  NULL);
	}
}
