/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: API answers; the first byte picks the HTTP status. A list
 * answer's items go through the kubernetes store's item parsers: whole
 * IPAMKeys, or metadata only for a PartialObjectMetadataList. */
#include <stddef.h>
#include <stdint.h>

#include "cni_error.h"
#include "k8s.h"
#include "kube_obj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void items_parse(json_object *doc)
{
	bool meta = kube_list_is_meta(doc);
	struct cni_err err = { 0 };
	const char *k, *v;
	json_object *items;
	uint64_t ver;
	size_t i, len;

	if (!json_object_object_get_ex(doc, "items", &items) ||
	    !json_object_is_type(items, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(items); i++) {
		json_object *it = json_object_array_get_idx(items, i);

		if (meta)
			kube_meta_parse(it, &k, &ver, &err);
		else
			kube_obj_parse(it, &k, &v, &len, &ver, &err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long codes[] = { 200, 201, 401, 403, 404, 409, 500, 302 };
	struct cni_err err = { 0 };
	json_object *o = NULL;

	if (size < 1)
		return 0;
	if (k8s_response_parse(codes[data[0] % 8], (const char *)data + 1,
			       size - 1, "fuzz", &o, &err) == 0) {
		if (o)
			items_parse(o);
		json_object_put(o);
	}
	return 0;
}
