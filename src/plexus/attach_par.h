/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_ATTACH_PAR_H
#define PLEXUS_ATTACH_PAR_H

#include <stddef.h>
#include <json-c/json.h>

struct attach_ctx;
struct cni_err;
struct plexus_attachment;
struct plexus_record;

/* ADD one attachment (attach.c): its chain, the gateway check of its
 * result and, with conflictDetection, the ARP probe and its retries;
 * *slot always holds the latest result, so a failed chain can still be
 * deleted with what it got. */
int attach_one_add(const struct attach_ctx *ctx,
		   const struct plexus_attachment *a, json_object **slot,
		   struct cni_err *err);

/* DEL one attachment's chain in reverse with result as prevResult; keeps
 * going, returns the first failure (message in err). */
int attach_one_del(const struct attach_ctx *ctx,
		   const struct plexus_attachment *a, json_object *result,
		   struct cni_err *err);

/* ADD the attachments idx[0..n-1] of rec's plan at once, one forked
 * process each (an in-process delegate switches network namespaces),
 * each result passed back over a pipe into rec->results. Each process
 * keeps the delegates' deadlines itself; one that outlives them all
 * (delegateTimeout per plugin of its chain, and a second) is killed.
 * Returns 0 when every one succeeded; otherwise the error of the first
 * failure in plan order, the others' as details. Rolling back is the
 * caller's: every slot holds what its chain got. */
int attach_par_run(const struct attach_ctx *ctx, struct plexus_record *rec,
		   const size_t *idx, size_t n, struct cni_err *err);

/* DEL the attachments idx[0..n-1] of rec's plan at once, a forked
 * process each, as attach_par_run; each one's outcome into rcs and es at
 * its plan index (0, or its first failure). */
void attach_par_del(const struct attach_ctx *ctx,
		    const struct plexus_record *rec, const size_t *idx,
		    size_t n, int *rcs, struct cni_err *es);

#endif
