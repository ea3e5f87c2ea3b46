// SPDX-License-Identifier: Apache-2.0
/* Appending formatted text to a bounded buffer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "pd_text.h"

void pd_text_put(struct pd_text *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len)
		o->err = -ENOSPC;
	else
		o->len += (size_t)n;
}

void pd_text_hist(struct pd_text *o, const char *name, const char *labels,
		  const double *bounds, const unsigned long long *in, int n,
		  unsigned long long count, double sum)
{
	unsigned long long cum = 0;
	const char *sep = *labels ? "," : "";

	for (int i = 0; i < n; i++) {
		cum += in[i];
		pd_text_put(o, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels,
			    sep, bounds[i], cum);
	}
	pd_text_put(o, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
		    count);
	pd_text_put(o, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name, labels,
		    sum, name, labels, count);
}
