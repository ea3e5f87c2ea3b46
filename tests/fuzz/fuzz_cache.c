// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: a cache record as DEL/CHECK/GC read it back
 * (plexus_cache_parse, what plexus_cache_read runs on the file), then the
 * merged result of its recorded results (attach_merge). */
#include <stdint.h>
#include <stdlib.h>

#include "attach.h"
#include "cache.h"
#include "cni_error.h"
#include "cni_json.h"
#include "cni_result.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err err = { 0 };
	struct plexus_record *rec;
	struct cni_result *merged;

	if (plexus_cache_parse((const char *)data, size, "fuzz", &rec, &err) <
	    0) {
		/* an unusable record is code 6 (too big for JSON: 7) */
		if (err.code != (size > CNI_JSON_MAX ? CNI_ERR_INVALID_CONFIG
						     : CNI_ERR_DECODE))
			abort();
		return 0;
	}
	for (size_t i = 0; i < rec->plan->n; i++)
		if (!rec->plan->att[i].conf || !rec->plan->att[i].ifname)
			abort();
	if (attach_merge(rec, rec->netns, &merged, &err) == 0)
		cni_result_free(merged);
	plexus_record_free(rec);
	return 0;
}
