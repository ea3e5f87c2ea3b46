/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_GC_H
#define PLEXUS_GC_H

struct attach_ctx;
struct cni_err;
struct nad_source;
struct plexus_conf;

/* The GC verb: every delegate of the configured networks gets GC with the
 * attachments still valid for it (translated from the runtime's list of
 * pod attachments through the cache); records of attachments no longer
 * valid are deleted (DEL of their delegates) and removed. The networks
 * are select's plan for conf with src (the request's source). */
int plexus_gc(const struct attach_ctx *ctx, const struct plexus_conf *conf,
	      const struct nad_source *src, struct cni_err *err);

#endif
