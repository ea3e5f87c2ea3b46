/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: kubeconfig parsing (and the YAML converter under it). */
#include <stddef.h>
#include <stdint.h>

#include "cni_error.h"
#include "k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err err = { 0 };
	struct k8s_config *c = NULL;

	if (k8s_kubeconfig_parse((const char *)data, size, "/base", &c, &err) ==
	    0)
		k8s_config_free(c);
	return 0;
}
