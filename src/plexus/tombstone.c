// SPDX-License-Identifier: Apache-2.0
/* DEL's tombstones: a DEL that removed everything leaves <cid>_<if>.gone
 * beside where the record was, so that the DELs a runtime repeats (the
 * kubelet stops a sandbox several times) answer at once instead of
 * planning the pod again from the API. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tombstone.h"

#define SUFFIX_RECORD ".json"
#define SUFFIX_GONE   ".gone"

/* <record path without .json>.gone; the caller frees it. */
static char *gone_path(const char *cache_path)
{
	size_t n = strlen(cache_path), k = strlen(SUFFIX_RECORD);
	char *p;

	if (n >= k && strcmp(cache_path + n - k, SUFFIX_RECORD) == 0)
		n -= k;
	p = malloc(n + sizeof(SUFFIX_GONE));
	if (p) {
		memcpy(p, cache_path, n);
		memcpy(p + n, SUFFIX_GONE, sizeof(SUFFIX_GONE));
	}
	return p;
}

void tombstone_set(const char *cache_path)
{
	char *p = gone_path(cache_path);
	int fd = p ? open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)
		   : -1;

	if (fd >= 0) {
		futimens(fd, NULL); /* a DEL again: the tombstone is new */
		close(fd);
	}
	free(p);
}

bool tombstone_fresh(const char *cache_path, time_t ttl)
{
	char *p = gone_path(cache_path);
	struct stat st;
	bool fresh = p && lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		     time(NULL) - st.st_mtime < ttl;

	free(p);
	return fresh;
}

void tombstone_clear(const char *cache_path)
{
	char *p = gone_path(cache_path);

	if (p)
		unlink(p);
	free(p);
}

void tombstone_sweep(const char *dir, time_t ttl)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	size_t k = strlen(SUFFIX_GONE);

	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n <= k || strcmp(de->d_name + n - k, SUFFIX_GONE) != 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
			    0 &&
		    now - st.st_mtime >= ttl)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	if (d)
		closedir(d);
}
