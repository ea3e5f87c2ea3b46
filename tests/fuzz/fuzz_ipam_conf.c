/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: plexus-ipam's config (ranges, excludes, gateways, static
 * requests, store) as the plugin reads it from stdin. */
#include <stddef.h>
#include <stdint.h>

#include "cni_error.h"
#include "ipam_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err err = { 0 };
	struct ipam_conf *conf = NULL;

	if (ipam_conf_parse((const char *)data, size, &conf, &err) == 0)
		ipam_conf_free(conf);
	return 0;
}
