/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_INSTALL_H
#define PLEXUS_PD_INSTALL_H

#include <stdbool.h>
#include <sys/types.h>

struct cni_err;

/* The binaries plexusd installs into the CNI bin dir, every one
 * required. NULL-terminated. */
extern const char *const pd_install_plugins[];

/* Copy src to dst_dir/name with mode: a hidden temp file in dst_dir,
 * fsync, rename over the old file, fsync of dst_dir. A running copy of
 * the old binary keeps its inode (never "text file busy"); a reader sees
 * the old file or the whole new one. A file already identical (content
 * and mode) is left alone: *ret_copied false. Code 5 on failure, the
 * temp file removed. */
int pd_install_file(const char *src, const char *dst_dir, const char *name,
		    mode_t mode, bool *ret_copied, struct cni_err *err);

#endif
