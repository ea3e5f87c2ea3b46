/* SPDX-License-Identifier: Apache-2.0 */
/* The file store: one file per key under a directory. A file holds
 * "<version>\n<value>"; writes go to a temp file, fsync, rename, fsync of
 * the directory, under an flock on a per-key lock file, so a kill -9 at
 * any point leaves either the old or the new record, never a torn one.
 * Under plexus (syncMode "pod") the fsyncs of a write on the filesystem
 * of $PLEXUS_SYNC_DIR are left to plexus' one commit for the pod
 * (cni_fs.h): the rename keeps the write atomic. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "cni_fs.h"
#include "cni_json.h"
#include "store.h"

#define FILE_STORE_DEFAULT "/var/lib/plexus-ipam"
#define FILE_VALUE_MAX	   (4 * 1024 * 1024)

struct file_store {
	struct ipam_store hdr;
	char path[256];
};

static struct file_store *fs_of(struct ipam_store *st)
{
	return (struct file_store *)st;
}

/* Each '/'-separated segment must be key-safe. */
static int fs_path(struct file_store *fs, const char *key, char *buf,
		   size_t size, struct cni_err *err)
{
	char seg[256];
	const char *p = key, *q;

	do {
		q = strchr(p, '/');
		snprintf(seg, sizeof(seg), "%.*s",
			 (int)(q ? (size_t)(q - p) : strlen(p)), p);
		if (!ipam_key_safe(seg))
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"store key \"%s\": bad segment", key);
		p = q ? q + 1 : NULL;
	} while (p && *p);
	if ((size_t)snprintf(buf, size, "%s/%s", fs->path, key) >= size)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"store key \"%s\": too long", key);
	return 0;
}

/* Sibling file "<dir>/.<base><suffix>". */
static void fs_sibling(const char *path, const char *suffix, char *buf,
		       size_t size)
{
	const char *base = strrchr(path, '/');

	snprintf(buf, size, "%.*s/.%s%s", (int)(base - path), path, base + 1,
		 suffix);
}

static int fs_read(const char *path, char **ret_val, size_t *ret_len,
		   uint64_t *ret_ver, struct cni_err *err)
{
	char *buf, *nl;
	size_t len;
	int rc;

	rc = cni_read_file(path, &buf, &len, err);
	if (rc == -ENOENT)
		return -ENOENT;
	if (rc == -EFBIG) /* a record over the limit: code 123, not 7 */
		return cni_err_too_large(err, "the file store's record limit",
					 CNI_JSON_MAX, path, 0);
	if (rc < 0)
		return rc;
	nl = memchr(buf, '\n', len);
	if (!nl) {
		free(buf);
		return cni_errf(err, CNI_ERR_DECODE, "%s: no version line",
				path);
	}
	*nl = '\0';
	if (ret_ver)
		*ret_ver = strtoull(buf, NULL, 10);
	len -= (size_t)(nl + 1 - buf);
	memmove(buf, nl + 1, len + 1);
	if (ret_len)
		*ret_len = len;
	if (ret_val)
		*ret_val = buf;
	else
		free(buf);
	return 0;
}

static int fs_get(struct ipam_store *st, const char *key, char **ret_val,
		  size_t *ret_len, uint64_t *ret_ver, struct cni_err *err)
{
	char path[768];
	int rc;

	rc = fs_path(fs_of(st), key, path, sizeof(path), err);
	if (rc < 0)
		return rc;
	return fs_read(path, ret_val, ret_len, ret_ver, err);
}

static int fs_lock(const char *path, int64_t deadline, int *ret_fd,
		   struct cni_err *err)
{
	char lock[800];
	int fd, rc;

	fs_sibling(path, ".lock", lock, sizeof(lock));
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return cni_errf(err, CNI_ERR_IO, "open %s: %s", lock,
				strerror(errno));
	rc = cni_flock_until(fd, deadline);
	if (rc < 0) {
		close(fd);
		if (rc == -ETIMEDOUT) {
			cni_errf(err, CNI_ERR_TRY_AGAIN,
				 "timed out waiting for the record lock %s: "
				 "the call's deadline passed",
				 lock);
			return rc;
		}
		return cni_errf(err, CNI_ERR_IO, "flock %s: %s", lock,
				strerror(-rc));
	}
	*ret_fd = fd;
	return 0;
}

static int fs_sync_dir(const char *path)
{
	char dir[768];
	const char *base = strrchr(path, '/');
	int fd, rc = 0;

	snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fs_write(const char *path, uint64_t ver, const char *val, size_t len,
		    struct cni_err *err)
{
	char tmp[800], head[32];
	bool sync = !cni_fs_sync_deferred(path);
	int fd, rc;

	fs_sibling(path, ".tmp", tmp, sizeof(tmp));
	snprintf(tmp + strlen(tmp), sizeof(tmp) - strlen(tmp), ".%d",
		 (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return cni_errf(err, CNI_ERR_IO, "open %s: %s", tmp,
				strerror(errno));
	snprintf(head, sizeof(head), "%" PRIu64 "\n", ver);
	rc = write_all(fd, head, strlen(head));
	if (rc == 0)
		rc = write_all(fd, val, len);
	if (rc == 0 && sync && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc == 0 && sync)
		rc = fs_sync_dir(path);
	if (rc < 0) {
		unlink(tmp);
		return cni_errf(err, CNI_ERR_IO, "write %s: %s", path,
				strerror(-rc));
	}
	return 0;
}

static uint64_t fs_next_ver(uint64_t cur)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	return now > cur ? now : cur + 1;
}

static int fs_conflict(const char *key, struct cni_err *err)
{
	cni_errf(err, CNI_ERR_TRY_AGAIN, "store key %s changed concurrently",
		 key);
	return -ECANCELED;
}

static int fs_mkdir_parent(const char *path, struct cni_err *err)
{
	char dir[768];
	const char *base = strrchr(path, '/');
	int rc;

	snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
	rc = cni_fs_mkdir_p(dir, 0700);
	if (rc < 0)
		return cni_errf(err, CNI_ERR_IO, "mkdir %s: %s", dir,
				strerror(-rc));
	return 0;
}

static int fs_put_if(struct ipam_store *st, const char *key, const char *val,
		     size_t len, uint64_t ver, uint64_t *ret_ver,
		     struct cni_err *err)
{
	char path[768];
	uint64_t cur = 0, next;
	int fd, rc;

	rc = fs_path(fs_of(st), key, path, sizeof(path), err);
	if (rc == 0)
		rc = fs_mkdir_parent(path, err);
	if (rc == 0)
		rc = fs_lock(path, st->deadline, &fd, err);
	if (rc < 0)
		return rc;
	rc = fs_read(path, NULL, NULL, &cur, err);
	if (rc == -ENOENT) {
		cur = 0;
		rc = 0;
	}
	if (rc == 0 && cur != ver)
		rc = fs_conflict(key, err);
	if (rc == 0) {
		next = fs_next_ver(cur);
		rc = fs_write(path, next, val, len, err);
	}
	close(fd);
	if (rc == 0 && ret_ver)
		*ret_ver = next;
	return rc;
}

static int fs_del_if(struct ipam_store *st, const char *key, uint64_t ver,
		     struct cni_err *err)
{
	char path[768];
	uint64_t cur;
	int fd, rc;

	rc = fs_path(fs_of(st), key, path, sizeof(path), err);
	if (rc < 0)
		return rc;
	if (access(path, F_OK) < 0)
		return -ENOENT;
	rc = fs_lock(path, st->deadline, &fd, err);
	if (rc < 0)
		return rc;
	rc = fs_read(path, NULL, NULL, &cur, err);
	if (rc == 0 && ver && cur != ver)
		rc = fs_conflict(key, err);
	if (rc == 0 && unlink(path) < 0)
		rc = cni_errf(err, CNI_ERR_IO, "unlink %s: %s", path,
			      strerror(errno));
	if (rc == 0 && !cni_fs_sync_deferred(path))
		fs_sync_dir(path);
	close(fd);
	return rc;
}

/* The names of the files in dir (keys only, prefixed), sorted. */
static int fs_list_names(const char *dir, const char *prefix,
			 struct ipam_kv **ret, size_t *ret_n,
			 struct cni_err *err)
{
	struct ipam_kv *kv = NULL, *nkv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	d = opendir(dir);
	if (!d && errno != ENOENT)
		return cni_errf(err, CNI_ERR_IO, "opendir %s: %s", dir,
				strerror(errno));
	while (d && (de = readdir(d)) && rc >= 0) {
		if (de->d_name[0] == '.' || de->d_type == DT_DIR)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			nkv = realloc(kv, cap * sizeof(*kv));
			if (!nkv) {
				rc = -ENOMEM;
				break;
			}
			kv = nkv;
		}
		kv[n] = (struct ipam_kv){ 0 };
		if (asprintf(&kv[n].key, "%s%s", prefix, de->d_name) < 0)
			rc = -ENOMEM;
		else
			n++;
	}
	if (d)
		closedir(d);
	if (rc < 0) {
		ipam_kv_free(kv, n);
		return rc;
	}
	ipam_kv_sort(kv, n);
	*ret = kv;
	*ret_n = n;
	return 0;
}

/* names[0..n)'s values read into page (its keys moved), skipping a key
 * deleted meanwhile; *ret_m keys filled. */
static int fs_read_page(const char *dir, size_t plen, struct ipam_kv *names,
			size_t n, struct ipam_kv *page, size_t *ret_m,
			struct cni_err *err)
{
	char path[1024];
	size_t i, m = 0;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i].key + plen);
		page[m] = (struct ipam_kv){ .key = names[i].key };
		names[i].key = NULL;
		rc = fs_read(path, &page[m].val, &page[m].len, &page[m].ver,
			     err);
		if (rc == 0)
			m++;
		else
			free(page[m].key);
		if (rc == -ENOENT) /* deleted meanwhile */
			rc = 0;
	}
	*ret_m = m;
	return rc;
}

/* One directory read for the names; the values read a page at a time,
 * so at most one page of them in memory. */
static int fs_list_pages(struct ipam_store *st, const char *prefix,
			 bool keys_only, size_t page, ipam_kv_page_fn fn,
			 void *arg, struct cni_err *err)
{
	struct ipam_kv *names = NULL, *kv;
	size_t n = 0, i, m, got;
	char dir[768];
	int rc;

	snprintf(dir, sizeof(dir), "%s/%s", fs_of(st)->path, prefix);
	rc = fs_list_names(dir, prefix, &names, &n, err);
	if (rc < 0)
		return rc;
	page = page ? page : IPAM_STORE_PAGE;
	kv = keys_only ? NULL : calloc(page, sizeof(*kv));
	if (!keys_only && !kv)
		rc = -ENOMEM;
	for (i = 0; rc == 0 && i < n; i += m) {
		m = n - i < page ? n - i : page;
		if (keys_only) {
			rc = fn(names + i, m, arg, err);
			continue;
		}
		rc = fs_read_page(dir, strlen(prefix), names + i, m, kv, &got,
				  err);
		if (rc == 0 && got)
			rc = fn(kv, got, arg, err);
		for (size_t j = 0; j < got; j++) {
			free(kv[j].key);
			free(kv[j].val);
		}
	}
	free(kv);
	ipam_kv_free(names, n);
	return rc == -ENOMEM ? cni_errf(err, CNI_ERR_IO, "out of memory") : rc;
}

static int fs_open(json_object *conf, struct ipam_store **ret,
		   struct cni_err *err)
{
	const char *path = FILE_STORE_DEFAULT, *lock = NULL;
	struct file_store *fs;
	int rc;

	if (conf) {
		rc = cni_json_get_string(conf, "path", "ipam.store.path", &path,
					 err);
		if (rc < 0 && rc != -ENOENT)
			return rc;
		rc = cni_json_get_string(conf, "lockDir", "ipam.store.lockDir",
					 &lock, err);
		if (rc < 0 && rc != -ENOENT)
			return rc;
	}
	if (path[0] != '/' || strlen(path) >= sizeof(fs->path) - 16)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"ipam.store.path: \"%s\" is not an absolute "
				"path",
				path);
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	fs->hdr.ops = &file_store;
	snprintf(fs->path, sizeof(fs->path), "%s", path);
	if (lock)
		snprintf(fs->hdr.lock_dir, sizeof(fs->hdr.lock_dir), "%s",
			 lock);
	else
		snprintf(fs->hdr.lock_dir, sizeof(fs->hdr.lock_dir),
			 "%s/.locks", path);
	*ret = &fs->hdr;
	return 0;
}

static void fs_close(struct ipam_store *st)
{
	free(st);
}

const struct ipam_store_ops file_store = {
	.name = "file",
	.open = fs_open,
	.close = fs_close,
	.get = fs_get,
	.put_if = fs_put_if,
	.del_if = fs_del_if,
	.list_pages = fs_list_pages,
};
