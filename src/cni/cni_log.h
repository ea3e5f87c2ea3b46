/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_LOG_H
#define PLEXUS_CNI_LOG_H

enum cni_log_level {
	CNI_LOG_PANIC,
	CNI_LOG_ERROR,
	CNI_LOG_VERBOSE,
	CNI_LOG_DEBUG,
};

/* Logging for commands (mains and the meta plugin's steps); library code
 * reports through struct cni_err instead. Default: errors to stderr. */
int cni_log_level_parse(const char *s, enum cni_log_level *ret);
/* Log to path (appended, created 0600); NULL: stderr. 0 or -errno. */
int cni_log_open(const char *path, enum cni_log_level level, const char *tag);
void cni_log_close(void);
void cni_log(enum cni_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
