// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: a delegate's result (cni_result_parse_str), rendered for
 * every spec version (cni_result_to_json) — each rendering must parse
 * again — and appended to itself (cni_result_append). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "cni_result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render_all(const struct cni_result *res)
{
	for (int v = 0; v < CNI_V_COUNT; v++) {
		struct cni_err err = { 0 };
		struct cni_result *back;
		json_object *o = cni_result_to_json(res, (enum cni_ver)v);
		const char *s = cni_json_str(o);

		if (cni_result_parse_str(s, strlen(s), &back, &err) < 0)
			abort(); /* our own output must be a valid result */
		if (back->n_ifaces != res->n_ifaces ||
		    back->n_ips != res->n_ips ||
		    back->n_routes != res->n_routes)
			abort();
		cni_result_free(back);
		json_object_put(o);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err err = { 0 };
	struct cni_result *res, *sum;

	if (cni_result_parse_str((const char *)data, size, &res, &err) < 0)
		return 0;
	render_all(res);
	sum = cni_result_new();
	if (sum && cni_result_append(sum, res) == 0 &&
	    cni_result_append(sum, res) == 0) {
		if (sum->n_ifaces != 2 * res->n_ifaces)
			abort();
		render_all(sum);
	}
	cni_result_free(sum);
	cni_result_free(res);
	return 0;
}
