/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_VERBS_H
#define PLEXUS_PD_VERBS_H

#include <stddef.h>

#include "pd_sock.h"

/* What plexus reports after each ADD, DEL and CHECK (RESULT and CALL
 * lines on the socket), kept by the event loop and rendered as
 * Prometheus histograms and counters (docs/plexusd.md, "Metrics plexus
 * reports"). Network names and delegate types come from NADs (tenant
 * input): at most PD_VERBS_SERIES_MAX distinct (verb, network, type)
 * label sets are kept, every later one is counted in the series
 * network="_other", type="_other"; label values are escaped. */
#define PD_VERBS_SERIES_MAX 64
#define PD_VERBS_NBUCKETS   13
#define PD_VERBS_BUCKETS                                                    \
	{                                                                   \
		0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, \
			2.5, 5, 10                                          \
	}
#define PD_VERBS_OTHER "_other"

struct pd_verbs;

int pd_verbs_new(struct pd_verbs **ret);
void pd_verbs_free(struct pd_verbs *v);
/* a RESULT or CALL request (other verbs are ignored) */
void pd_verbs_take(struct pd_verbs *v, const struct pd_sock_req *req);
/* Append to buf at *len (NUL-terminated). 0, or -ENOSPC. */
int pd_verbs_render(const struct pd_verbs *v, char *buf, size_t size,
		    size_t *len);
/* A label value in the text exposition format: '\' '"' and newline
 * escaped. The length written (NUL excluded), or -ENOSPC. */
int pd_label_escape(const char *in, char *out, size_t size);

#endif
