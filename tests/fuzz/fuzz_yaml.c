/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: NAD and pod manifests (YAML or JSON, several documents) as
 * the manifests folder and plexusctl read them. */
#include <stddef.h>
#include <stdint.h>

#include "cni_error.h"
#include "yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err err = { 0 };
	json_object **docs = NULL;
	size_t n = 0;

	if (yamljson_parse((const char *)data, size, "fuzz", &docs, &n, &err) ==
	    0)
		yamljson_docs_free(docs, n);
	return 0;
}
