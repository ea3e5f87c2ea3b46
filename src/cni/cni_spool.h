/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_SPOOL_H
#define PLEXUS_CNI_SPOOL_H

#include <stddef.h>

/* The report spool (docs/plexusd.md, "Reports kept while plexusd is
 * down"): when plexus or plexus-ipam cannot send plexusd a report, it
 * appends the line to the file "<socket>.reports" beside the socket it
 * was meant for (a node setting, never tenant input), and plexusd reads
 * it at start and every CNI_SPOOL_DRAIN_MS. The file is root's, 0600;
 * a writer holds flock(LOCK_EX) for its one write(), so lines never
 * interleave and plexusd's drain (rename, lock, read, unlink) loses
 * none. Lines stop at CNI_SPOOL_MAX bytes; past it each dropped report
 * is the line "-\n", up to CNI_SPOOL_MAX + CNI_SPOOL_DROP_MAX; past that
 * nothing more is written to the spool: each dropped report adds one to
 * the count in "<socket>.reports.dropped" (its decimal digits and '\n',
 * at most CNI_SPOOL_DROPPED_MAX), under that file's own flock, which
 * plexusd takes to read the count and empty the file at each drain. */
#define CNI_SPOOL_SUFFIX	 ".reports"
#define CNI_SPOOL_MAX		 65536
#define CNI_SPOOL_DROP_MAX	 4096
#define CNI_SPOOL_LINE_MAX	 512 /* a line with its '\n' (< PIPE_BUF) */
#define CNI_SPOOL_DRAIN_MS	 5000
#define CNI_SPOOL_DROPPED_SUFFIX ".dropped" /* after CNI_SPOOL_SUFFIX */
#define CNI_SPOOL_DROPPED_MAX	 999999999UL

/* "<socket>.reports" into buf: 0, or -ENAMETOOLONG. */
int cni_spool_path(const char *socket, char *buf, size_t size);

/* Append line (one line, its '\n' included, < CNI_SPOOL_LINE_MAX) to
 * the spool of socket. The spool's directory must exist (it is
 * plexusd's, never made here). 0; -ENOSPC when the report was dropped
 * (counted by a "-" line, or not even that); -EINVAL for a line that is
 * not one; another negative errno when the file cannot be used (not a
 * regular file of ours, no directory). */
int cni_spool_append(const char *socket, const char *line);

/* The count a dropped-counter file holds: buf[0..len) empty (0), or 1
 * to 9 decimal digits then '\n' and nothing else. 0, or -EINVAL. */
int cni_spool_dropped_parse(const char *buf, size_t len, unsigned long *ret);

#endif
