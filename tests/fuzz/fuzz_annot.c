/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the k8s.v1.cni.cncf.io/networks annotation parser. */
#include <stddef.h>
#include <stdint.h>

#include "annot.h"
#include "cni_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err err = { 0 };
	struct annot_list *l = NULL;

	if (annot_networks_parse((const char *)data, size, "fuzz", &l, &err) ==
	    0)
		annot_list_free(l);
	return 0;
}
