/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUSD_PD_TEXT_H
#define PLEXUSD_PD_TEXT_H

#include <stddef.h>

/* Text appended into a caller's buffer (the metrics exposition): once a
 * line does not fit, err is -ENOSPC and later lines are dropped. */
struct pd_text {
	char *buf;
	size_t size, len;
	int err;
};

__attribute__((format(printf, 2, 3))) void pd_text_put(struct pd_text *o,
						       const char *fmt, ...);
/* One histogram: name_bucket{labels,le="B"} for each of the n bounds,
 * cumulative over in[] (per-bucket counts, not cumulative), le="+Inf"
 * (count), name_sum{labels} (sum, seconds) and name_count{labels};
 * labels may be "". */
void pd_text_hist(struct pd_text *o, const char *name, const char *labels,
		  const double *bounds, const unsigned long long *in, int n,
		  unsigned long long count, double sum);

#endif
