/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: an IPAMClaim object as the API answers it (ipam_claim.h):
 * its metadata, spec.network, spec.interface and status.ips, whoever in
 * the pod's namespace wrote it. */
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "cni_error.h"
#include "ipam_claim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct cni_err err = { 0 };
	struct ipam_claim *c = NULL;
	json_object *doc;

	if (!tok)
		return 0;
	doc = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!doc)
		return 0;
	if (ipam_claim_parse(doc, "ns", "c1", &c, &err) == 0)
		ipam_claim_free(c);
	json_object_put(doc);
	return 0;
}
