/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PDREPORT_H
#define PLEXUS_PDREPORT_H

#include "cni_env.h"

/* What plexus tells plexusd after an ADD, DEL or CHECK, for its metrics
 * (docs/plexusd.md, "Metrics plexus reports"): one CALL line per delegate
 * call (verb, CNI code, duration, network, type; at most
 * PDREPORT_MAX_CALLS), one RESULT line for the verb (code, duration,
 * requests sent directly instead of through plexusd). Fire and forget:
 * one non-blocking connect and write after the verb, nothing read, any
 * failure ignored, so a report never delays or fails a verb. */
#define PDREPORT_MAX_CALLS 64

struct pdreport;

struct pdreport *pdreport_new(void); /* NULL when out of memory */
void pdreport_free(struct pdreport *r);
/* record one delegate call (an attach observer; ctx a pdreport) */
void pdreport_call(void *ctx, enum cni_cmd cmd, const char *network,
		   const char *type, double ms, int code);
/* send everything to socket (ADD, DEL and CHECK only) */
void pdreport_send(const struct pdreport *r, const char *socket,
		   enum cni_cmd cmd, int code, double ms, unsigned fallbacks);

#endif
