// SPDX-License-Identifier: Apache-2.0
/* Installing plexus' binaries into the host's CNI bin dir, atomically. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni_error.h"
#include "pd_install.h"

#define CHUNK (64 * 1024)

const char *const pd_install_plugins[] = {
	"plexus-ipam",	"plexus-bridge", "plexus-macvlan", "plexus-ipvlan",
	"plexus-sriov", "plexus", /* the entry point last */
	NULL,
};

static int read_full(int fd, char *buf, size_t len, size_t *ret)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*ret = got;
	return 0;
}

/* 1: dst has src's bytes and mode; 0: it differs or is missing */
static int same_file(int sfd, const struct stat *sst, const char *dst,
		     mode_t mode)
{
	static char a[CHUNK], b[CHUNK];
	struct stat dst_st;
	int dfd = open(dst, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int same = 0;

	if (dfd < 0)
		return 0;
	if (fstat(dfd, &dst_st) < 0 || !S_ISREG(dst_st.st_mode) ||
	    dst_st.st_size != sst->st_size || (dst_st.st_mode & 07777) != mode)
		goto out;
	for (;;) {
		size_t na, nb;

		if (read_full(sfd, a, CHUNK, &na) < 0 ||
		    read_full(dfd, b, CHUNK, &nb) < 0 || na != nb ||
		    memcmp(a, b, na))
			goto out;
		if (na < CHUNK)
			break;
	}
	same = 1;
out:
	close(dfd);
	return same;
}

static int copy_fd(int sfd, int dfd)
{
	static char buf[CHUNK];

	for (;;) {
		size_t n, off = 0;
		int r = read_full(sfd, buf, CHUNK, &n);

		if (r < 0)
			return r;
		while (off < n) {
			ssize_t w = write(dfd, buf + off, n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
			off += (size_t)w;
		}
		if (n < CHUNK)
			return 0;
	}
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int replace(int sfd, const char *dst_dir, const char *name,
		   const char *dst, mode_t mode)
{
	char tmp[4200];
	int dfd, r;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.plexusd.XXXXXX", dst_dir,
		     name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	dfd = mkostemp(tmp, O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	r = lseek(sfd, 0, SEEK_SET) < 0 ? -errno : copy_fd(sfd, dfd);
	if (r == 0 && fchmod(dfd, mode) < 0)
		r = -errno;
	if (r == 0 && fsync(dfd) < 0)
		r = -errno;
	if (close(dfd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, dst) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	else
		fsync_dir(dst_dir);
	return r;
}

int pd_install_file(const char *src, const char *dst_dir, const char *name,
		    mode_t mode, bool *ret_copied, struct cni_err *err)
{
	char dst[4200];
	struct stat st;
	int sfd, r;

	if (snprintf(dst, sizeof(dst), "%s/%s", dst_dir, name) >=
	    (int)sizeof(dst))
		return cni_errf(err, CNI_ERR_IO, "%s/%s: path too long",
				dst_dir, name);
	sfd = open(src, O_RDONLY | O_CLOEXEC);
	if (sfd < 0)
		return cni_errf(err, CNI_ERR_IO, "%s: %s", src,
				strerror(errno));
	if (fstat(sfd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(sfd);
		return cni_errf(err, CNI_ERR_IO, "%s: not a regular file", src);
	}
	if (same_file(sfd, &st, dst, mode)) {
		close(sfd);
		*ret_copied = false;
		return 0;
	}
	r = replace(sfd, dst_dir, name, dst, mode);
	close(sfd);
	if (r < 0)
		return cni_errf(err, CNI_ERR_IO, "install %s: %s", dst,
				strerror(-r));
	*ret_copied = true;
	return 0;
}
