/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_CONF_H
#define PLEXUS_CNI_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "cni_version.h"

struct cni_err;

/* A network configuration list, the form libcni runs. A single-plugin
 * .conf is normalised into a list of one (as libcni's ConfListFromConf).
 * `raw` keeps the document as the user wrote it (owned); each plugin is a
 * borrowed pointer into raw's "plugins" (or raw itself for a .conf). */
struct cni_conflist {
	json_object *raw;
	bool is_list;
	char *name;
	char *cni_version;
	enum cni_ver ver;
	bool disable_check;
	bool disable_gc;
	size_t n_plugins;
	json_object **plugins;
};

/* Parse a conf or conflist. `field` prefixes error messages (e.g.
 * "delegates[0]"). Checks: cniVersion (string, supported; a list's
 * `cniVersions` picks the highest supported), plugins non-empty, every
 * plugin an object with a string `type` that is a plain file name (no
 * '/', not "." or ".."): code 7 naming the field. */
int cni_conflist_parse(json_object *doc, const char *field,
		       struct cni_conflist **ret, struct cni_err *err);
int cni_conflist_parse_str(const char *buf, size_t len, const char *field,
			   struct cni_conflist **ret, struct cni_err *err);
void cni_conflist_free(struct cni_conflist *cl);

/* The `type` of plugin i. */
const char *cni_conflist_type(const struct cni_conflist *cl, size_t i);

/* Check a plugin `type`: a plain file name. Code 7 naming field. */
int cni_type_check(const char *type, const char *field, struct cni_err *err);

/* Does the plugin config declare "capabilities": {cap: true}? */
bool cni_plugin_has_capability(json_object *plugin, const char *cap);

/* Build the stdin config for plugin i as libcni does: a copy of the plugin
 * object with `name` and `cniVersion` of the list, `prevResult` (a result
 * JSON converted to the list's version, or none), and `runtimeConfig`
 * holding only the keys of rt_config the plugin declares as capabilities.
 * The caller owns *ret. */
int cni_conflist_plugin_conf(const struct cni_conflist *cl, size_t i,
			     json_object *prev_result, json_object *rt_config,
			     json_object **ret, struct cni_err *err);

#endif
