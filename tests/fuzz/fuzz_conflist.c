// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: a network configuration or conflist from outside
 * (cni_conflist_parse_str), then the stdin config of every plugin as the
 * meta plugin builds it (with the document's own prevResult, if any, and
 * a runtimeConfig holding every capability). */
#include <stdint.h>
#include <stdlib.h>

#include "cni_conf.h"
#include "cni_error.h"
#include "cni_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_object *runtime_config(void)
{
	static const char *const caps[] = { "portMappings", "ips",
					    "mac",	    "dns",
					    "bandwidth",    "deviceID" };
	json_object *rt = json_object_new_object();

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		json_object_object_add(rt, caps[i],
				       json_object_new_string("x"));
	return rt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err err = { 0 };
	struct cni_conflist *cl;
	json_object *prev = NULL, *rt;

	if (cni_conflist_parse_str((const char *)data, size, "fuzz", &cl,
				   &err) < 0)
		return 0;
	if (!cl->cni_version || cl->n_plugins == 0 || !cni_conflist_type(cl, 0))
		abort(); /* the parser promised all three */
	json_object_object_get_ex(cl->raw, "prevResult", &prev);
	rt = runtime_config();
	for (size_t i = 0; i < cl->n_plugins; i++) {
		json_object *conf;

		if (cni_conflist_plugin_conf(cl, i, prev, rt, &conf, &err) == 0)
			json_object_put(conf);
	}
	json_object_put(rt);
	cni_conflist_free(cl);
	return 0;
}
