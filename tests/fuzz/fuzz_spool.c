// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: plexusd's report spool reader (pd_spool_parse with
 * plexusd's own taker, pd_spool_take), what a file beside its socket
 * holds. Checks what the drain relies on: every line is counted exactly
 * once (taken, malformed or dropped; a cut last line malformed), no more
 * lines are taken than the input has '\n's, a taken line is a report
 * (RESULT, CALL, or plexus-ipam's report JSON), the counts are the same
 * for the same bytes, and what was taken still renders as metrics. The
 * same bytes as the writers' dropped count (cni_spool_dropped_parse):
 * a count is bounded and is what its digits spell. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_spool.h"
#include "pd_verbs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct taker {
	struct pd_verbs *v;
	unsigned long taken;
};

static int take(void *ctx, const char *line, size_t len)
{
	struct taker *t = ctx;
	int r;

	if (memchr(line, '\n', len))
		abort();
	r = pd_spool_take(t->v, line, len);
	if (r == 0) {
		if (line[0] != '{' && memcmp(line, "RESULT ", 7) &&
		    memcmp(line, "CALL ", 5))
			abort();
		t->taken++;
	}
	return r;
}

static unsigned long lines_in(const uint8_t *data, size_t size)
{
	unsigned long n = 0;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n + (size > 0 && data[size - 1] != '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long a[PD_SPOOL_RESULTS] = { 0 }, b[PD_SPOOL_RESULTS] = { 0 };
	struct taker t = { 0 };
	static char buf[256 * 1024];
	unsigned long n;
	size_t len = 0;

	if (pd_verbs_new(&t.v) < 0)
		return 0;
	pd_spool_parse((const char *)data, size, take, &t, a);
	if (a[PD_SPOOL_TAKEN] != t.taken ||
	    a[PD_SPOOL_TAKEN] + a[PD_SPOOL_MALFORMED] + a[PD_SPOOL_DROPPED] !=
		    lines_in(data, size))
		abort();
	pd_spool_parse((const char *)data, size, take, &t, b);
	if (memcmp(a, b, sizeof(a)))
		abort();
	if (pd_verbs_render(t.v, buf, sizeof(buf), &len) < 0 ||
	    strlen(buf) != len)
		abort();
	pd_verbs_free(t.v);
	/* the same bytes as a dropped-counter file: a count is the bounded
	 * number its digits spell, written back the same */
	if (cni_spool_dropped_parse((const char *)data, size, &n) == 0) {
		char again[16];
		int k = snprintf(again, sizeof(again), "%lu\n", n);

		if (n > CNI_SPOOL_DROPPED_MAX ||
		    (size > 0 && data[0] != '0' &&
		     ((size_t)k != size || memcmp(again, data, size))))
			abort();
	} else if (n != 0) {
		abort();
	}
	return 0;
}
