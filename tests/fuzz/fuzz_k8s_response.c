/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: API answers; the first byte picks the HTTP status. */
#include <stddef.h>
#include <stdint.h>

#include "cni_error.h"
#include "k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long codes[] = { 200, 201, 401, 403, 404, 409, 500, 302 };
	struct cni_err err = { 0 };
	json_object *o = NULL;

	if (size < 1)
		return 0;
	if (k8s_response_parse(codes[data[0] % 8], (const char *)data + 1,
			       size - 1, "fuzz", &o, &err) == 0)
		json_object_put(o);
	return 0;
}
