// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: one line of a watch stream applied to plexusd's caches
 * (pd_cache_event), what the API server sends, on a cache of pods, NADs
 * or IPAMClaims (by the input's size). Checks: the only results
 * are 0, -EINVAL and -ESTALE; a refused line changes nothing (size and
 * resourceVersion); the cache stays usable (a lookup does not crash). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "pd_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char seed[] = "{\"type\":\"ADDED\",\"object\":{"
				   "\"metadata\":{\"namespace\":"
				   "\"default\",\"name\":\"a\",\"uid\":\"u1\","
				   "\"resourceVersion\":\"5\"},\"spec\":{"
				   "\"config\":\"{}\"}}}";
	struct cni_err err = { 0 };
	char rv0[64], rv1[64], *json = NULL;
	struct pd_cache *c = NULL;
	size_t n0;
	int r;

	if (pd_cache_new(size % 3 == 2	 ? PD_CACHE_CLAIMS
			 : size % 3 == 1 ? PD_CACHE_PODS
					 : PD_CACHE_NADS,
			 &c) < 0)
		return 0;
	if (pd_cache_event(c, seed, strlen(seed), &err) != 0)
		abort();
	n0 = pd_cache_size(c);
	pd_cache_rv(c, rv0, sizeof(rv0));
	r = pd_cache_event(c, (const char *)data, size, &err);
	if (r != 0 && r != -EINVAL && r != -ESTALE)
		abort();
	pd_cache_rv(c, rv1, sizeof(rv1));
	if (r != 0 && (pd_cache_size(c) != n0 || strcmp(rv0, rv1)))
		abort();
	if (pd_cache_get(c, "default", "a", size % 2 ? "u1" : NULL, &json) == 0)
		free(json);
	pd_cache_free(c);
	return 0;
}
