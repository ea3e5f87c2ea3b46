/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_FS_H
#define PLEXUS_CNI_FS_H

#include <stdbool.h>
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

/* One durable commit per pod (docs/architecture.md "Durability"): while
 * this variable names a directory, writes to files on the same
 * filesystem skip their fsyncs (they stay atomic against a crash of the
 * process: temp file and rename), and whoever set it makes them durable
 * with one cni_fs_commit of that directory before it answers. plexus sets
 * it for its delegates (syncMode "pod"); the environment is trusted. */
#define CNI_FS_SYNC_DIR_ENV "PLEXUS_SYNC_DIR"

/* True when a write to path may leave its durability to the commit of
 * $PLEXUS_SYNC_DIR: the variable is set and path (or, when it does not
 * exist yet, its nearest existing parent) is on the same filesystem. */
bool cni_fs_sync_deferred(const char *path);

/* Make everything written on dir's filesystem durable (syncfs(2): one
 * call whatever the number of files). 0 or -errno. */
int cni_fs_commit(const char *dir);

/* mkdir -p with mode. 0 or -errno. */
int cni_fs_mkdir_p(const char *path, mode_t mode);

/* Wait for path to exist: look at once, then every interval_ms until
 * timeout_ms have passed, the last look at timeout_ms (as Multus'
 * readiness poll). 0, or -ETIMEDOUT. */
int cni_fs_wait_exists(const char *path, int interval_ms, int timeout_ms);

#endif
