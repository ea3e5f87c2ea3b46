// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the meta plugin's own config (cni_json_parse, then
 * plexus_conf_parse); a config with static delegates only is also
 * planned by select in static mode, which parses every delegate
 * (planning clusterNetwork or defaultNetworks would read files the input
 * names, so they are left out). */
#include <stdint.h>
#include <stdlib.h>

#include "cni_env.h"
#include "cni_error.h"
#include "cni_json.h"
#include "plan.h"
#include "plexus_conf.h"
#include "select.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_env env = { .cmd = CNI_CMD_ADD, .ifname = "eth0" };
	struct cni_err err = { 0 };
	struct plexus_conf *conf;
	struct plexus_plan *plan;
	json_object *doc;

	if (cni_json_parse((const char *)data, size, "fuzz", &doc, &err) < 0)
		return 0;
	if (plexus_conf_parse(doc, &conf, &err) == 0) {
		if (conf->delegates && !conf->cluster_network &&
		    !conf->n_default_networks &&
		    select_plan(conf, &env, NULL, &plan, &err) == 0) {
			if (plan->n !=
			    json_object_array_length(conf->delegates))
				abort(); /* one attachment per delegate */
			plexus_plan_free(plan);
		}
		plexus_conf_free(conf);
	}
	json_object_put(doc);
	return 0;
}
