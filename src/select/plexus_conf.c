// SPDX-License-Identifier: Apache-2.0
/* The meta plugin's configuration: Multus' keys and a few of plexus'. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_exec.h"
#include "cni_json.h"
#include "plexus_conf.h"
#include "policy.h"

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void plexus_conf_free(struct plexus_conf *c)
{
	if (!c)
		return;
	json_object_put(c->raw);
	free(c->cni_version);
	free(c->name);
	free(c->cluster_network);
	strv_free(c->default_networks, c->n_default_networks);
	free(c->conf_dir);
	free(c->cache_dir);
	free(c->bin_dir);
	free(c->kubeconfig);
	free(c->manifests_dir);
	free(c->plexusd_socket);
	free(c->multus_namespace);
	free(c->global_namespaces);
	strv_free(c->system_namespaces, c->n_system_namespaces);
	free(c->checkpoint_file);
	free(c->log_file);
	free(c->log_level_unknown);
	free(c->multus_cache_dir);
	free(c->aux_chain_name);
	free(c->readiness_file);
	tenant_policy_free(c->policy);
	free(c);
}

/* A string key; absent keeps dflt (which may be NULL). */
static int str_key(json_object *doc, const char *key, const char *dflt,
		   char **ret, struct cni_err *err)
{
	const char *s = dflt;
	int r = cni_json_get_string(doc, key, key, &s, err);

	if (r < 0 && r != -ENOENT)
		return r;
	*ret = s ? strdup(s) : NULL;
	return s && !*ret ? -ENOMEM : 0;
}

static int strv_key(json_object *doc, const char *key, char ***ret,
		    size_t *ret_n, struct cni_err *err)
{
	json_object *arr;
	size_t n;
	int r = cni_json_get_array(doc, key, key, &arr, err);

	if (r < 0)
		return r;
	n = json_object_array_length(arr);
	*ret = calloc(n ? n : 1, sizeof(char *));
	if (!*ret)
		return -ENOMEM;
	*ret_n = n;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(s, json_type_string) ||
		    !*json_object_get_string(s))
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s[%zu]: must be a non-empty string",
					key, i);
		(*ret)[i] = strdup(json_object_get_string(s));
	}
	return 0;
}

static int parse_version(json_object *doc, struct plexus_conf *c,
			 struct cni_err *err)
{
	const char *v;
	int r = cni_json_get_string(doc, "cniVersion", "cniVersion", &v, err);

	if (r == -ENOENT) {
		/* Multus runs such a config (the CNI library reads it as
		 * 0.1.0): ADD answers in the default network's version,
		 * CHECK, STATUS and GC are refused with code 1 */
		c->cni_version_missing = true;
		c->ver = CNI_V030;
		return 0;
	}
	if (r < 0)
		return cni_errf(err, CNI_ERR_INCOMPATIBLE_VERSION,
				"cniVersion: must be a string");
	r = cni_version_parse(v, "cniVersion", &c->ver, err);
	if (r == 0 && !(c->cni_version = strdup(v)))
		r = -ENOMEM;
	return r;
}

/* auxiliaryCNIChainName: a directory name, as the CNI spec's network
 * names ([a-zA-Z0-9][a-zA-Z0-9_.-]*, Multus' check); "" is unset. */
static int aux_name_check(const char *v, struct cni_err *err)
{
	bool ok = isalnum((unsigned char)v[0]);

	for (const char *p = v; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || strchr("_.-", *p);
	if (ok || !*v)
		return 0;
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			"auxiliaryCNIChainName: \"%.64s\" is not a network "
			"name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)",
			v);
}

static int parse_strings(json_object *doc, struct plexus_conf *c,
			 struct cni_err *err)
{
	int r = 0;

#define S(key, dflt, field) \
	if (r == 0)         \
	r = str_key(doc, key, dflt, &c->field, err)
	S("name", NULL, name);
	S("clusterNetwork", NULL, cluster_network);
	S("confDir", PLEXUS_CONF_DIR_DEFAULT, conf_dir);
	S("cniDir", PLEXUS_CACHE_DIR_DEFAULT, cache_dir);
	S("binDir", PLEXUS_BIN_DIR_DEFAULT, bin_dir);
	S("kubeconfig", NULL, kubeconfig);
	S("manifestsDir", NULL, manifests_dir);
	S("plexusdSocket", NULL, plexusd_socket);
	S("multusNamespace", PLEXUS_MULTUS_NS_DEFAULT, multus_namespace);
	S("globalNamespaces", "default", global_namespaces);
	S("deviceCheckpointFile", PLEXUS_CHECKPOINT_DEFAULT, checkpoint_file);
	S("logFile", NULL, log_file);
	S("readinessindicatorfile", NULL, readiness_file);
	S("auxiliaryCNIChainName", NULL, aux_chain_name);
#undef S
	if (r == 0 && c->aux_chain_name)
		r = aux_name_check(c->aux_chain_name, err);
	return r;
}

static int parse_lists(json_object *doc, struct plexus_conf *c,
		       struct cni_err *err)
{
	int r = strv_key(doc, "defaultNetworks", &c->default_networks,
			 &c->n_default_networks, err);

	if (r < 0 && r != -ENOENT)
		return r;
	r = strv_key(doc, "systemNamespaces", &c->system_namespaces,
		     &c->n_system_namespaces, err);
	if (r == -ENOENT) {
		c->system_namespaces = calloc(1, sizeof(char *));
		if (!c->system_namespaces ||
		    !(c->system_namespaces[0] = strdup("kube-system")))
			return -ENOMEM;
		c->n_system_namespaces = 1;
		r = 0;
	}
	return r;
}

static int parse_delegates(json_object *doc, struct plexus_conf *c,
			   struct cni_err *err)
{
	json_object *d;

	if (!json_object_object_get_ex(doc, "delegates", &d))
		return 0;
	if (!json_object_is_type(d, json_type_array))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"delegates: must be a list of network "
				"configurations");
	if (json_object_array_length(d) == 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"delegates: the list is empty");
	c->delegates = d;
	return 0;
}

/* logOptions: each key an integer >= 0 (compress a bool); Multus'
 * (lumberjack's) defaults for what is not given. */
static int parse_log_options(json_object *doc, struct plexus_conf *c,
			     struct cni_err *err)
{
	static const char *const keys[] = { "maxSize", "maxAge", "maxBackups" };
	int *dst[] = { &c->log_options.max_size_mb,
		       &c->log_options.max_age_days,
		       &c->log_options.max_backups };
	json_object *o;
	int r;

	c->log_options = (struct plexus_log_options){ 100, 5, 5, true };
	r = cni_json_get_object(doc, "logOptions", "logOptions", &o, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (size_t i = 0; i < 3; i++) {
		char field[32];
		int64_t v;

		snprintf(field, sizeof(field), "logOptions.%s", keys[i]);
		r = cni_json_get_int(o, keys[i], field, &v, err);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		if (v < 0 || v > 1000000)
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s: %lld is outside 0..1000000", field,
					(long long)v);
		*dst[i] = (int)v;
	}
	r = cni_json_get_bool(o, "compress", "logOptions.compress",
			      &c->log_options.compress, err);
	return r == -ENOENT ? 0 : r;
}

/* The two rows of docs/multus-compat.md where plexus differs on purpose,
 * each with the key that selects Multus' behaviour. */
static int parse_compat(json_object *doc, struct plexus_conf *c,
			struct cni_err *err)
{
	const char *codes = "plexus";
	int r;

	c->merged_result = true;
	r = cni_json_get_bool(doc, "mergedResult", "mergedResult",
			      &c->merged_result, err);
	if (r < 0 && r != -ENOENT)
		return r;
	r = cni_json_get_string(doc, "errorCodes", "errorCodes", &codes, err);
	if (r < 0 && r != -ENOENT)
		return r;
	if (strcmp(codes, "plexus") != 0 && strcmp(codes, "multus") != 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"errorCodes: \"%.32s\" is not plexus or multus",
				codes);
	c->multus_error_codes = strcmp(codes, "multus") == 0;
	/* where a node switched from Multus finds Multus' cache; "" off */
	return str_key(doc, "multusCacheDir", "/var/lib/cni/multus",
		       &c->multus_cache_dir, err);
}

/* An unknown logLevel is a warning (logged once the log is open), as in
 * Multus; the level stays at its default. */
static int parse_log(json_object *doc, struct plexus_conf *c,
		     struct cni_err *err)
{
	const char *lvl;
	int r = cni_json_get_string(doc, "logLevel", "logLevel", &lvl, err);

	c->log_level = CNI_LOG_ERROR;
	if (r == 0 && cni_log_level_parse(lvl, &c->log_level) < 0 &&
	    !(c->log_level_unknown = strndup(lvl, 64)))
		return -ENOMEM;
	if (r < 0 && r != -ENOENT)
		return r;
	c->log_to_stderr = true;
	r = cni_json_get_bool(doc, "logToStderr", "logToStderr",
			      &c->log_to_stderr, err);
	if (r < 0 && r != -ENOENT)
		return r;
	r = cni_json_get_bool(doc, "retryDeleteOnError", "retryDeleteOnError",
			      &c->retry_delete_on_error, err);
	if (r < 0 && r != -ENOENT)
		return r;
	r = parse_compat(doc, c, err);
	return r < 0 ? r : parse_log_options(doc, c, err);
}

/* "syncMode": "pod" (one syncfs for everything a call wrote on cniDir's
 * filesystem) or "write" (every write fsync'ed on its own). */
static int parse_sync_mode(json_object *doc, struct plexus_conf *c,
			   struct cni_err *err)
{
	const char *mode = "pod";
	int r = cni_json_get_string(doc, "syncMode", "syncMode", &mode, err);

	if (r < 0 && r != -ENOENT)
		return r;
	if (strcmp(mode, "pod") != 0 && strcmp(mode, "write") != 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"syncMode: \"%.32s\" is not pod or write",
				mode);
	c->sync_per_pod = strcmp(mode, "pod") == 0;
	return 0;
}

static int parse_misc(json_object *doc, struct plexus_conf *c,
		      struct cni_err *err)
{
	int64_t secs = CNI_EXEC_TIMEOUT_S_DEFAULT;
	int r;

	r = cni_json_get_bool(doc, "namespaceIsolation", "namespaceIsolation",
			      &c->namespace_isolation, err);
	if (r < 0 && r != -ENOENT)
		return r;
	c->in_process = true;
	r = cni_json_get_bool(doc, "inProcess", "inProcess", &c->in_process,
			      err);
	if (r < 0 && r != -ENOENT)
		return r;
	r = parse_sync_mode(doc, c, err);
	if (r < 0)
		return r;
	r = cni_json_get_int(doc, "delegateTimeout", "delegateTimeout", &secs,
			     err);
	if (r < 0 && r != -ENOENT)
		return r;
	if (secs < 1 || secs > 3600)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"delegateTimeout: %lld is outside 1..3600 "
				"seconds",
				(long long)secs);
	c->delegate_timeout_ms = (int)secs * 1000;
	r = cni_json_get_object(doc, "runtimeConfig", "runtimeConfig",
				&c->runtime_config, err);
	if (r < 0 && r != -ENOENT)
		return r;
	r = cni_json_get_object(doc, "prevResult", "prevResult",
				&c->prev_result, err);
	return r == -ENOENT ? 0 : r;
}

/* One integer member of the policyRouting object within lo..hi. */
static int pr_int(json_object *o, const char *key, int64_t lo, int64_t hi,
		  unsigned *ret, struct cni_err *err)
{
	char field[64];
	int64_t v = *ret;
	int r;

	snprintf(field, sizeof(field), "policyRouting.%s", key);
	r = cni_json_get_int(o, key, field, &v, err);
	if (r < 0 && r != -ENOENT)
		return r;
	if (v < lo || v > hi)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: %lld is outside %lld..%lld", field,
				(long long)v, (long long)lo, (long long)hi);
	*ret = (unsigned)v;
	return 0;
}

/* "policyRouting": true/false, or {"enabled", "tableBase",
 * "rulePriority", "iifRules"}. Tables stay clear of the kernel's
 * 253..255 and below 2^31; rules (the iif rules at rulePriority + 1)
 * come before the main table's (32766). */
static int parse_policy_routing(json_object *doc, struct plexus_conf *c,
				struct cni_err *err)
{
	struct plexus_policy_routing *pr = &c->policy_routing;
	json_object *o;
	int r;

	pr->table_base = PLEXUS_PR_TABLE_BASE_DEFAULT;
	pr->priority = PLEXUS_PR_PRIORITY_DEFAULT;
	if (!json_object_object_get_ex(doc, "policyRouting", &o))
		return 0;
	if (json_object_is_type(o, json_type_boolean)) {
		pr->on = json_object_get_boolean(o);
		return 0;
	}
	if (!json_object_is_type(o, json_type_object))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"policyRouting: must be true, false or an "
				"object");
	pr->on = true;
	r = cni_json_get_bool(o, "enabled", "policyRouting.enabled", &pr->on,
			      err);
	if (r < 0 && r != -ENOENT)
		return r;
	r = cni_json_get_bool(o, "iifRules", "policyRouting.iifRules", &pr->iif,
			      err);
	if (r < 0 && r != -ENOENT)
		return r;
	r = pr_int(o, "tableBase", 256, 0x7fff0000, &pr->table_base, err);
	if (r == 0)
		r = pr_int(o, "rulePriority", 1, pr->iif ? 32764 : 32765,
			   &pr->priority, err);
	return r;
}

/* "parallelDetach": a bool; "parallelAttach": false, true or "pod";
 * nothing else. */
static int parse_parallel(json_object *doc, struct plexus_conf *c,
			  struct cni_err *err)
{
	json_object *o;

	int r = cni_json_get_bool(doc, "parallelDetach", "parallelDetach",
				  &c->parallel_detach, err);

	if (r < 0 && r != -ENOENT)
		return r;
	c->parallel_attach = PLEXUS_PARALLEL_OFF;
	if (!json_object_object_get_ex(doc, "parallelAttach", &o))
		return 0;
	if (json_object_is_type(o, json_type_boolean)) {
		c->parallel_attach = json_object_get_boolean(o)
					     ? PLEXUS_PARALLEL_ALL
					     : PLEXUS_PARALLEL_OFF;
		return 0;
	}
	if (json_object_is_type(o, json_type_string) &&
	    strcmp(json_object_get_string(o), "pod") == 0) {
		c->parallel_attach = PLEXUS_PARALLEL_POD;
		return 0;
	}
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			"parallelAttach: %.32s is not true, false or \"pod\"",
			json_object_to_json_string(o));
}

static int check_sources(const struct plexus_conf *c, struct cni_err *err)
{
	if (!c->delegates && !c->cluster_network)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"delegates: missing (give \"delegates\" or "
				"\"clusterNetwork\")");
	return 0;
}

int plexus_conf_parse(json_object *doc, struct plexus_conf **ret,
		      struct cni_err *err)
{
	struct plexus_conf *c;
	int r;

	if (!json_object_is_type(doc, json_type_object))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"config: must be a JSON object");
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->raw = json_object_get(doc);
	r = parse_version(doc, c, err);
	if (r == 0)
		r = parse_strings(doc, c, err);
	if (r == 0)
		r = parse_lists(doc, c, err);
	if (r == 0)
		r = parse_delegates(doc, c, err);
	if (r == 0)
		r = parse_log(doc, c, err);
	if (r == 0)
		r = parse_misc(doc, c, err);
	if (r == 0)
		r = parse_policy_routing(doc, c, err);
	if (r == 0)
		r = parse_parallel(doc, c, err);
	if (r == 0)
		r = tenant_policy_parse(doc, &c->policy, err);
	if (r == 0)
		r = check_sources(c, err);
	if (r < 0) {
		plexus_conf_free(c);
		return r;
	}
	*ret = c;
	return 0;
}
