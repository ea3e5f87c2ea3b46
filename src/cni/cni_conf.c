// SPDX-License-Identifier: Apache-2.0
/* Network configurations and configuration lists. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni_conf.h"
#include "cni_error.h"
#include "cni_json.h"
#include "cni_result.h"

int cni_type_check(const char *type, const char *field, struct cni_err *err)
{
	if (!type || !*type)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"type\" is empty", field);
	if (strchr(type, '/') || strcmp(type, ".") == 0 ||
	    strcmp(type, "..") == 0 || strlen(type) > 255)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"type\" \"%.64s\" is not a plain plugin "
				"name (it may not contain '/' or be \".\" or "
				"\"..\")",
				field, type);
	return 0;
}

void cni_conflist_free(struct cni_conflist *cl)
{
	if (!cl)
		return;
	json_object_put(cl->raw);
	free(cl->name);
	free(cl->cni_version);
	free(cl->plugins);
	free(cl);
}

const char *cni_conflist_type(const struct cni_conflist *cl, size_t i)
{
	json_object *t;

	if (i >= cl->n_plugins ||
	    !json_object_object_get_ex(cl->plugins[i], "type", &t))
		return NULL;
	return json_object_get_string(t);
}

static int check_plugin(json_object *p, const char *field, struct cni_err *err)
{
	const char *type;
	int r;

	if (!json_object_is_type(p, json_type_object))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: must be an object", field);
	r = cni_json_get_string(p, "type", field, &type, err);
	if (r == -ENOENT)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"type\" missing", field);
	if (r < 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s.type: must be a string", field);
	return cni_type_check(type, field, err);
}

/* `cniVersions` (1.1.0): the highest version of the list we support. */
static int pick_versions(json_object *list, const char *field,
			 enum cni_ver *ret, struct cni_err *err)
{
	size_t n = json_object_array_length(list);
	int best = -1;

	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(list, i);
		enum cni_ver v;

		if (!json_object_is_type(s, json_type_string))
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s.cniVersions[%zu]: must be a string",
					field, i);
		if (cni_version_parse(json_object_get_string(s), "", &v,
				      NULL) == 0 &&
		    (int)v > best)
			best = (int)v;
	}
	if (best < 0)
		return cni_errf(err, CNI_ERR_INCOMPATIBLE_VERSION,
				"%s.cniVersions: none of the listed versions "
				"is supported (supported: 0.3.0 .. 1.1.0)",
				field);
	*ret = (enum cni_ver)best;
	return 0;
}

static int parse_version(json_object *doc, const char *field,
			 struct cni_conflist *cl, struct cni_err *err)
{
	char f[160];
	json_object *list;
	const char *s;
	int r;

	snprintf(f, sizeof(f), "%s.cniVersions", field);
	r = cni_json_get_array(doc, "cniVersions", f, &list, err);
	if (r == 0)
		r = pick_versions(list, field, &cl->ver, err);
	if (r != -ENOENT) {
		if (r == 0 &&
		    !(cl->cni_version = strdup(cni_version_str(cl->ver))))
			r = -ENOMEM;
		return r;
	}
	snprintf(f, sizeof(f), "%s.cniVersion", field);
	r = cni_json_get_string(doc, "cniVersion", f, &s, err);
	if (r == -ENOENT)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG, "%s: missing", f);
	if (r < 0)
		return cni_errf(err, CNI_ERR_INCOMPATIBLE_VERSION,
				"%s: must be a string", f);
	r = cni_version_parse(s, f, &cl->ver, err);
	if (r == 0 && !(cl->cni_version = strdup(s)))
		r = -ENOMEM;
	return r;
}

static int parse_plugins(json_object *doc, const char *field,
			 struct cni_conflist *cl, struct cni_err *err)
{
	char f[160];
	json_object *arr;
	int r;

	snprintf(f, sizeof(f), "%s.plugins", field);
	r = cni_json_get_array(doc, "plugins", f, &arr, err);
	if (r < 0)
		return r;
	cl->n_plugins = json_object_array_length(arr);
	if (cl->n_plugins == 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: the list is empty", f);
	cl->plugins = calloc(cl->n_plugins, sizeof(*cl->plugins));
	if (!cl->plugins)
		return -ENOMEM;
	for (size_t i = 0; i < cl->n_plugins; i++) {
		cl->plugins[i] = json_object_array_get_idx(arr, i);
		snprintf(f, sizeof(f), "%s.plugins[%zu]", field, i);
		r = check_plugin(cl->plugins[i], f, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_flags(json_object *doc, const char *field,
		       struct cni_conflist *cl, struct cni_err *err)
{
	char f[160];
	const char *name;
	int r;

	snprintf(f, sizeof(f), "%s.name", field);
	r = cni_json_get_string(doc, "name", f, &name, err);
	if (r == 0 && !(cl->name = strdup(name)))
		return -ENOMEM;
	if (r < 0 && r != -ENOENT)
		return r;
	snprintf(f, sizeof(f), "%s.disableCheck", field);
	r = cni_json_get_bool(doc, "disableCheck", f, &cl->disable_check, err);
	if (r < 0 && r != -ENOENT)
		return r;
	snprintf(f, sizeof(f), "%s.disableGC", field);
	r = cni_json_get_bool(doc, "disableGC", f, &cl->disable_gc, err);
	return r == -ENOENT ? 0 : r;
}

int cni_conflist_parse(json_object *doc, const char *field,
		       struct cni_conflist **ret, struct cni_err *err)
{
	struct cni_conflist *cl;
	int r;

	if (!json_object_is_type(doc, json_type_object))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: must be a JSON object", field);
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return -ENOMEM;
	cl->raw = json_object_get(doc);
	cl->is_list = json_object_object_get_ex(doc, "plugins", NULL);
	r = parse_version(doc, field, cl, err);
	if (r == 0)
		r = parse_flags(doc, field, cl, err);
	if (r == 0 && cl->is_list) {
		r = parse_plugins(doc, field, cl, err);
	} else if (r == 0) {
		cl->n_plugins = 1;
		cl->plugins = calloc(1, sizeof(*cl->plugins));
		r = cl->plugins ? check_plugin(doc, field, err) : -ENOMEM;
		if (cl->plugins)
			cl->plugins[0] = doc;
	}
	if (r < 0) {
		cni_conflist_free(cl);
		return r;
	}
	*ret = cl;
	return 0;
}

int cni_conflist_parse_str(const char *buf, size_t len, const char *field,
			   struct cni_conflist **ret, struct cni_err *err)
{
	json_object *doc;
	int r = cni_json_parse(buf, len, field, &doc, err);

	if (r < 0)
		return r;
	r = cni_conflist_parse(doc, field, ret, err);
	json_object_put(doc);
	return r;
}

bool cni_plugin_has_capability(json_object *plugin, const char *cap)
{
	json_object *caps, *v;

	return json_object_object_get_ex(plugin, "capabilities", &caps) &&
	       json_object_is_type(caps, json_type_object) &&
	       json_object_object_get_ex(caps, cap, &v) &&
	       json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

/* runtimeConfig for one plugin: the keys it declares as capabilities. */
static json_object *filter_runtime(json_object *plugin, json_object *rt)
{
	json_object *out = NULL;

	if (!rt || !json_object_is_type(rt, json_type_object))
		return NULL;
	json_object_object_foreach (rt, key, val) {
		if (!cni_plugin_has_capability(plugin, key))
			continue;
		if (!out)
			out = json_object_new_object();
		json_object_object_add(out, key, cni_json_copy(val));
	}
	return out;
}

static int convert_prev(json_object *prev, enum cni_ver v, json_object **ret,
			struct cni_err *err)
{
	struct cni_result *res;
	int r = cni_result_parse(prev, &res, err);

	if (r < 0)
		return r;
	*ret = cni_result_to_json(res, v);
	cni_result_free(res);
	return 0;
}

int cni_conflist_plugin_conf(const struct cni_conflist *cl, size_t i,
			     json_object *prev_result, json_object *rt_config,
			     json_object **ret, struct cni_err *err)
{
	json_object *conf, *prev = NULL, *rt;
	int r;

	if (i >= cl->n_plugins)
		return -EINVAL;
	if (prev_result) {
		r = convert_prev(prev_result, cl->ver, &prev, err);
		if (r < 0)
			return r;
	}
	conf = cni_json_copy(cl->plugins[i]);
	if (!conf) {
		json_object_put(prev);
		return -ENOMEM;
	}
	if (cl->name)
		json_object_object_add(conf, "name",
				       json_object_new_string(cl->name));
	json_object_object_add(conf, "cniVersion",
			       json_object_new_string(cl->cni_version));
	json_object_object_del(conf, "cniVersions");
	if (prev)
		json_object_object_add(conf, "prevResult", prev);
	rt = filter_runtime(cl->plugins[i], rt_config);
	if (rt)
		json_object_object_add(conf, "runtimeConfig", rt);
	*ret = conf;
	return 0;
}
