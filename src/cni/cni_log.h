/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_LOG_H
#define PLEXUS_CNI_LOG_H

enum cni_log_level {
	CNI_LOG_PANIC,
	CNI_LOG_ERROR,
	CNI_LOG_VERBOSE,
	CNI_LOG_DEBUG,
};

#include <stdbool.h>

/* Rotation of a log file (Multus' logOptions): max_bytes 0 never. */
struct cni_log_rotate {
	long long max_bytes;
	int max_age_days; /* 0: any age */
	int max_backups;  /* 0: keep all */
	bool compress;	  /* gzip each backup */
};

struct cni_log_opts {
	const char *path; /* the log file, or NULL */
	bool to_stderr;	  /* also (or, without path, only) stderr */
	enum cni_log_level level;
	const char *tag;
	struct cni_log_rotate rot;
};

/* Logging for commands (mains and the meta plugin's steps); library code
 * reports through struct cni_err instead. Default: errors to stderr. */
int cni_log_level_parse(const char *s, enum cni_log_level *ret);
/* Log to path (appended, created 0600); NULL: stderr. 0 or -errno. */
int cni_log_open(const char *path, enum cni_log_level level, const char *tag);
/* Open as o says; a file that cannot be opened: -errno, and the log
 * goes to stderr. */
int cni_log_open_opts(const struct cni_log_opts *o);
/* Rotate path now: rename to <name>-<UTC time><ext>, gzip if asked,
 * prune old backups. 0 or -errno. */
int cni_log_rotate_now(const char *path, const struct cni_log_rotate *rot);
void cni_log_close(void);
void cni_log(enum cni_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
