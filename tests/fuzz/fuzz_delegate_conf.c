/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the native delegates' configs (a NAD's spec.config reaches
 * them as it is): the JSON reader, the spec version, and the config of
 * each kind, as plexus-bridge, -macvlan, -ipvlan and -sriov read it. */
#include <stddef.h>
#include <stdint.h>

#include "cni_error.h"
#include "cni_json.h"
#include "delegate.h"
#include "kinds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_all(json_object *conf)
{
	struct cni_err err = { 0 };
	struct bridge_conf b;
	struct macvlan_conf m;
	struct ipvlan_conf v;
	struct sriov_conf s;
	const char *ver_str;
	enum cni_ver ver;

	(void)delegate_conf_version(conf, &ver, &ver_str, &err);
	(void)bridge_conf_parse(conf, &b, &err);
	(void)macvlan_conf_parse(conf, &m, &err);
	(void)ipvlan_conf_parse(conf, &v, &err);
	(void)sriov_conf_parse(conf, &s, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err err = { 0 };
	json_object *conf = NULL;

	if (cni_json_parse((const char *)data, size, "stdin", &conf, &err) < 0)
		return 0;
	parse_all(conf);
	json_object_put(conf);
	return 0;
}
