/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_SPOOL_H
#define PLEXUS_PD_SPOOL_H

#include <stddef.h>

#include "cni_spool.h"

/* plexusd's side of the report spool (cni_spool.h; docs/plexusd.md,
 * "Reports kept while plexusd is down"): the reports plexus and
 * plexus-ipam could not send, read at start and every
 * CNI_SPOOL_DRAIN_MS and counted as if they had come on the socket. */
enum pd_spool_result {
	PD_SPOOL_TAKEN,	    /* a report counted */
	PD_SPOOL_MALFORMED, /* a line refused (or cut, or over the bound) */
	PD_SPOOL_DROPPED,   /* a report the writer dropped: a "-" line, or
			     * past those, one of the count in
			     * "<spool>.dropped" */
	PD_SPOOL_RESULTS,
};
#define PD_SPOOL_READ_MAX (CNI_SPOOL_MAX + CNI_SPOOL_DROP_MAX)

/* One line without its '\n': 0 when taken, -EINVAL when refused. */
typedef int (*pd_spool_line_fn)(void *ctx, const char *line, size_t len);

/* Split buf into lines, each counted in counts: "-" dropped; taken or
 * refused by fn; an empty line, one of CNI_SPOOL_LINE_MAX bytes or more,
 * one with a NUL, or a last line without its '\n' malformed (never
 * given to fn). */
void pd_spool_parse(const char *buf, size_t len, pd_spool_line_fn fn, void *ctx,
		    unsigned long counts[PD_SPOOL_RESULTS]);

/* plexusd's line: plexus' "RESULT ..." or "CALL ..." (pd_sock_parse) to
 * verbs (a struct pd_verbs *; NULL, without --socket: refused), or
 * plexus-ipam's {"op":"report",...} (pd_store_report_take); any other
 * line refused. */
int pd_spool_take(void *verbs, const char *line, size_t len);

/* Read and remove the spool at path (CNI_SPOOL_SUFFIX included): its
 * "<path>.draining" left by an earlier drain first, then path renamed
 * there, locked (against a writer that opened it before the rename),
 * read (at most PD_SPOOL_READ_MAX bytes), unlinked, and its lines
 * parsed; then the writers' count of reports dropped past the drop
 * marks ("<path>.dropped") added to dropped and reset, under that file's
 * lock. Nothing is counted twice: a line is read only from the
 * renamed file, which no writer opens again. The spool's bytes read (0: no
 * spool, or one a writer still holds after 20 ms: left renamed for the
 * next drain), or a negative errno (a file that is not a regular file of
 * plexusd's uid is removed unread: -EPERM). */
int pd_spool_drain(const char *path, pd_spool_line_fn fn, void *ctx,
		   unsigned long counts[PD_SPOOL_RESULTS]);

#endif
