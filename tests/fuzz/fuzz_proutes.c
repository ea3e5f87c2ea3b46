/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the plexus.dev/policy-routes NAD annotation parser. */
#include <stddef.h>
#include <stdint.h>

#include "cni_error.h"
#include "proutes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err err = { 0 };
	json_object *rts = NULL;

	if (proutes_parse((const char *)data, size, "fuzz", &rts, &err) == 0)
		json_object_put(rts);
	return 0;
}
