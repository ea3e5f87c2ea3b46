// SPDX-License-Identifier: Apache-2.0
/* The metrics plexus reports (pd_verbs.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_text.h"
#include "pd_verbs.h"

#define MAX_CODE 999

struct hist {
	unsigned long long buckets[PD_VERBS_NBUCKETS]; /* not cumulative */
	unsigned long long count;
	unsigned long long sum_us;
};

struct series {
	enum pd_cni_verb verb;
	char network[PD_SOCK_LABEL_MAX + 1];
	char type[PD_SOCK_LABEL_MAX + 1];
	struct hist h;
	unsigned long long failures;
};

struct pd_verbs {
	struct hist verb[PD_VERBS];
	unsigned long long errors[PD_VERBS][MAX_CODE + 1];
	unsigned long long fallbacks;
	struct series s[PD_VERBS_SERIES_MAX];
	size_t n;
	struct series other[PD_VERBS]; /* over the cap, one per verb */
};

static const double bounds[PD_VERBS_NBUCKETS] = PD_VERBS_BUCKETS;
static const char *const verbs[PD_VERBS] = { "ADD", "DEL", "CHECK" };

int pd_verbs_new(struct pd_verbs **ret)
{
	struct pd_verbs *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (int i = 0; i < PD_VERBS; i++) {
		v->other[i].verb = (enum pd_cni_verb)i;
		strcpy(v->other[i].network, PD_VERBS_OTHER);
		strcpy(v->other[i].type, PD_VERBS_OTHER);
	}
	*ret = v;
	return 0;
}

void pd_verbs_free(struct pd_verbs *v)
{
	free(v);
}

static void observe(struct hist *h, unsigned long long us)
{
	for (int i = 0; i < PD_VERBS_NBUCKETS; i++)
		if ((double)us <= bounds[i] * 1e6) {
			h->buckets[i]++;
			break;
		}
	h->count++;
	h->sum_us += us;
}

static struct series *series_of(struct pd_verbs *v, const struct pd_sock_req *r)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->s[i].verb == r->cni_verb &&
		    !strcmp(v->s[i].network, r->network) &&
		    !strcmp(v->s[i].type, r->type))
			return &v->s[i];
	if (v->n == PD_VERBS_SERIES_MAX)
		return &v->other[r->cni_verb];
	v->s[v->n].verb = r->cni_verb;
	memcpy(v->s[v->n].network, r->network, sizeof(r->network));
	memcpy(v->s[v->n].type, r->type, sizeof(r->type));
	return &v->s[v->n++];
}

void pd_verbs_take(struct pd_verbs *v, const struct pd_sock_req *r)
{
	struct series *s;

	if (r->cni_verb >= PD_VERBS || r->code > MAX_CODE)
		return;
	if (r->verb == PD_SOCK_RESULT) {
		observe(&v->verb[r->cni_verb], r->us);
		if (r->code)
			v->errors[r->cni_verb][r->code]++;
		v->fallbacks += r->fallbacks;
	} else if (r->verb == PD_SOCK_CALL) {
		s = series_of(v, r);
		observe(&s->h, r->us);
		s->failures += r->code != 0;
	}
}

int pd_label_escape(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (; *in; in++) {
		const char *e = *in == '\\'   ? "\\\\"
				: *in == '"'  ? "\\\""
				: *in == '\n' ? "\\n"
					      : NULL;
		size_t k = e ? 2 : 1;

		if (n + k >= size)
			return -ENOSPC;
		memcpy(out + n, e ? e : in, k);
		n += k;
	}
	if (size == 0)
		return -ENOSPC;
	out[n] = '\0';
	return (int)n;
}

/* name_bucket{labels,le=...} lines, _sum and _count; labels "" or
 * `k="v",...` */
static void hist_put(struct pd_text *o, const char *name, const char *labels,
		     const struct hist *h)
{
	pd_text_hist(o, name, labels, bounds, h->buckets, PD_VERBS_NBUCKETS,
		     h->count, (double)h->sum_us / 1e6);
}

static void verb_put(struct pd_text *o, const struct pd_verbs *v)
{
	char labels[32];

	pd_text_put(o, "# HELP plexus_verb_duration_seconds Duration of "
		       "plexus' ADD, "
		       "DEL and CHECK, as plexus reports it.\n"
		       "# TYPE plexus_verb_duration_seconds histogram\n");
	for (int i = 0; i < PD_VERBS; i++) {
		snprintf(labels, sizeof(labels), "verb=\"%s\"", verbs[i]);
		hist_put(o, "plexus_verb_duration_seconds", labels,
			 &v->verb[i]);
	}
	pd_text_put(o, "# HELP plexus_errors_total Failed verbs, by CNI error "
		       "code.\n"
		       "# TYPE plexus_errors_total counter\n");
	for (int i = 0; i < PD_VERBS; i++)
		for (int c = 1; c <= MAX_CODE; c++)
			if (v->errors[i][c])
				pd_text_put(o,
					    "plexus_errors_total{verb=\"%s\","
					    "code=\"%"
					    "d\"}"
					    " %llu\n",
					    verbs[i], c, v->errors[i][c]);
	pd_text_put(o,
		    "# HELP plexus_fallbacks_total Requests plexus made itself "
		    "(the API) where plexusd was asked first.\n"
		    "# TYPE plexus_fallbacks_total "
		    "counter\nplexus_fallbacks_total "
		    "%llu\n",
		    v->fallbacks);
}

static void series_labels(const struct series *s, char *buf, size_t size)
{
	char net[2 * PD_SOCK_LABEL_MAX + 1], type[2 * PD_SOCK_LABEL_MAX + 1];

	pd_label_escape(s->network, net, sizeof(net));
	pd_label_escape(s->type, type, sizeof(type));
	snprintf(buf, size, "verb=\"%s\",network=\"%s\",type=\"%s\"",
		 verbs[s->verb], net, type);
}

static void calls_put(struct pd_text *o, const struct pd_verbs *v)
{
	char labels[4 * PD_SOCK_LABEL_MAX + 64];

	pd_text_put(o, "# HELP plexus_delegate_duration_seconds Duration of "
		       "each delegate call, by verb, network and delegate "
		       "type.\n"
		       "# TYPE plexus_delegate_duration_seconds histogram\n");
	for (size_t i = 0; i < v->n + PD_VERBS; i++) {
		const struct series *s =
			i < v->n ? &v->s[i] : &v->other[i - v->n];

		if (!s->h.count)
			continue;
		series_labels(s, labels, sizeof(labels));
		hist_put(o, "plexus_delegate_duration_seconds", labels, &s->h);
	}
	pd_text_put(o, "# HELP plexus_delegate_failures_total Delegate calls "
		       "that failed, by verb, network and delegate type.\n"
		       "# TYPE plexus_delegate_failures_total counter\n");
	for (size_t i = 0; i < v->n + PD_VERBS; i++) {
		const struct series *s =
			i < v->n ? &v->s[i] : &v->other[i - v->n];

		if (!s->h.count)
			continue;
		series_labels(s, labels, sizeof(labels));
		pd_text_put(o, "plexus_delegate_failures_total{%s} %llu\n",
			    labels, s->failures);
	}
}

int pd_verbs_render(const struct pd_verbs *v, char *buf, size_t size,
		    size_t *len)
{
	struct pd_text o = { .buf = buf, .size = size, .len = *len };

	if (*len >= size)
		return -ENOSPC;
	verb_put(&o, v);
	calls_put(&o, v);
	if (o.err)
		return o.err;
	*len = o.len;
	return 0;
}
