/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the kubelet device checkpoint. */
#include <stddef.h>
#include <stdint.h>

#include "cni_error.h"
#include "devcheckpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err err = { 0 };
	struct dev_pool *p = NULL;

	if (dev_checkpoint_parse((const char *)data, size, "u1", &p, &err) ==
	    0) {
		while (dev_pool_take(p, "r"))
			;
		dev_pool_free(p);
	}
	return 0;
}
