/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_FS_H
#define PLEXUS_CNI_FS_H

#include <stddef.h>
#include <sys/types.h>

struct cni_err;

/* Write data to path crash-safe: a temp file in the same directory,
 * fsync, rename, fsync of the directory. Creates the directory (0700)
 * if missing. Code 5 on failure. */
int cni_fs_write_atomic(const char *path, const char *data, size_t len,
			mode_t mode, struct cni_err *err);

/* The same without the fsyncs: atomic against a crash of the process
 * (readers see the old file or the new one), not of the machine. */
int cni_fs_write_replace(const char *path, const char *data, size_t len,
			 mode_t mode, struct cni_err *err);

/* mkdir -p with mode. 0 or -errno. */
int cni_fs_mkdir_p(const char *path, mode_t mode);

/* Wait for path to exist: look at once, then every interval_ms until
 * timeout_ms have passed, the last look at timeout_ms (as Multus'
 * readiness poll). 0, or -ETIMEDOUT. */
int cni_fs_wait_exists(const char *path, int interval_ms, int timeout_ms);

#endif
