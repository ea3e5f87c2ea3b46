// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: Multus' delegates cache as a DEL/CHECK of a pod Multus added
 * reads it (multus_cache_parse: a JSON list, each delegate's config in
 * base64 "Bytes", NAD-derived). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "cni_error.h"
#include "cni_json.h"
#include "multus_cache.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err err = { 0 };
	struct plexus_record *rec;

	if (multus_cache_parse((const char *)data, size, "eth0", NULL, &rec,
			       &err) < 0) {
		/* unusable: code 6 (too big for JSON: 7), or out of memory */
		if (err.code != CNI_ERR_DECODE &&
		    err.code != CNI_ERR_INVALID_CONFIG && err.code != 0)
			abort();
		return 0;
	}
	for (size_t i = 0; i < rec->plan->n; i++) {
		const struct plexus_attachment *a = &rec->plan->att[i];

		if (!a->conf || !a->ifname || !a->network ||
		    a->is_default != (i == 0) || strchr(a->ifname, '/'))
			abort();
	}
	plexus_record_free(rec);
	return 0;
}
