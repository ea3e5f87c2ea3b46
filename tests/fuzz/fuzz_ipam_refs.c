/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: a node's reference index as a store returns it
 * (ipam_refs.h, <pool>/i/<node>), whoever wrote it; the first byte picks
 * an IPv4 or an IPv6 pool. A parsed index is formatted and parsed again
 * and must come back the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "ipam_conf.h"
#include "ipam_refs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ipam_conf *conf_of(int v6)
{
	static struct ipam_conf *c[2];
	static const char *txt[2] = {
		"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"range\":"
		"\"10.0.0.0/16\",\"blockSize\":26}}",
		"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"range\":"
		"\"fd00::/64\",\"blockSize\":120}}",
	};
	struct cni_err err = { 0 };

	if (!c[v6] &&
	    ipam_conf_parse(txt[v6], strlen(txt[v6]), &c[v6], &err) < 0)
		abort();
	return c[v6];
}

static void roundtrip(const struct ipam_range *r, const struct ipam_refs *x)
{
	struct cni_err err = { 0 };
	struct ipam_refs y;
	char *val;
	size_t len;

	if (ipam_refs_fmt(r, x, &val, &len) < 0)
		return;
	if (ipam_refs_parse(r, "p/i/n", val, len, 1, &y, &err) < 0 ||
	    y.n != x->n ||
	    (x->n && memcmp(y.idx, x->idx, x->n * sizeof(*x->idx))))
		abort();
	ipam_refs_clear(&y);
	free(val);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ipam_range *r;
	struct cni_err err = { 0 };
	struct ipam_refs x;

	if (size < 1)
		return 0;
	r = &conf_of(data[0] & 1)->ranges[0];
	if (ipam_refs_parse(r, "p/i/n", (const char *)data + 1, size - 1, 1, &x,
			    &err) < 0)
		return 0;
	roundtrip(r, &x);
	ipam_refs_clear(&x);
	return 0;
}
