// SPDX-License-Identifier: Apache-2.0
/* The attachment plan: which networks a pod gets, in which order, under
 * which interface names. Pure: reads config files, never writes, execs or
 * touches the kernel. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cni_conf.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_json.h"
#include "nadsrc.h"
#include "plan.h"
#include "plexus_conf.h"
#include "select.h"

struct plexus_plan *plexus_plan_new(void)
{
	return calloc(1, sizeof(struct plexus_plan));
}

void plexus_attachment_clear(struct plexus_attachment *a)
{
	if (!a)
		return;
	free(a->network);
	free(a->source);
	free(a->ifname);
	cni_conflist_free(a->conf);
	json_object_put(a->runtime_config);
	json_object_put(a->cni_args);
	free(a->device_id);
	json_object_put(a->default_route);
	memset(a, 0, sizeof(*a));
}

void plexus_plan_free(struct plexus_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->n; i++)
		plexus_attachment_clear(&plan->att[i]);
	free(plan->att);
	free(plan->pod_namespace);
	free(plan->pod_name);
	free(plan->pod_uid);
	free(plan);
}

int plexus_plan_add(struct plexus_plan *plan, struct plexus_attachment *att)
{
	struct plexus_attachment *grown;

	grown = realloc(plan->att, (plan->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	plan->att = grown;
	plan->att[plan->n++] = *att;
	memset(att, 0, sizeof(*att));
	return 0;
}

/* The interface name of the next attachment: CNI_IFNAME for the default
 * network, then net1, net2, ... counted over the additional ones. */
static char *next_ifname(const struct plexus_plan *plan,
			 const struct cni_env *env)
{
	char *s = NULL;

	if (plan->n == 0)
		return strdup(env->ifname ? env->ifname : "eth0");
	if (asprintf(&s, "net%zu", plan->n) < 0)
		return NULL;
	return s;
}

static int add_conflist(struct plexus_plan *plan, const struct cni_env *env,
			struct cni_conflist *cl, const char *source,
			struct cni_err *err)
{
	struct plexus_attachment a = { 0 };
	int r;

	a.conf = cl;
	a.is_default = plan->n == 0;
	a.ifname = next_ifname(plan, env);
	a.network = strdup(cl->name ? cl->name : source);
	a.source = strdup(source);
	if (!a.ifname || !a.network || !a.source) {
		plexus_attachment_clear(&a);
		return -ENOMEM;
	}
	r = plexus_plan_add(plan, &a);
	if (r < 0)
		plexus_attachment_clear(&a);
	(void)err;
	return r;
}

static int plan_delegates(const struct plexus_conf *conf,
			  const struct cni_env *env, struct plexus_plan *plan,
			  struct cni_err *err)
{
	size_t n = json_object_array_length(conf->delegates);

	for (size_t i = 0; i < n; i++) {
		struct cni_conflist *cl;
		char field[32];
		int r;

		snprintf(field, sizeof(field), "delegates[%zu]", i);
		r = cni_conflist_parse(
			json_object_array_get_idx(conf->delegates, i), field,
			&cl, err);
		if (r < 0)
			return r;
		r = add_conflist(plan, env, cl, field, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool is_conf_file(const char *name)
{
	const char *dot = strrchr(name, '.');

	return name[0] != '.' && dot &&
	       (strcmp(dot, ".conf") == 0 || strcmp(dot, ".conflist") == 0 ||
		strcmp(dot, ".json") == 0);
}

static int load_file(const char *path, const char *field,
		     struct cni_conflist **ret, struct cni_err *err)
{
	size_t len;
	char *buf;
	int r = cni_read_file(path, &buf, &len, err);

	if (r < 0) {
		cni_err_prefix(err, "%s", field);
		if (err)
			err->code = CNI_ERR_INVALID_CONFIG;
		return r;
	}
	r = cni_conflist_parse_str(buf, len, path, ret, err);
	free(buf);
	return r;
}

static int scandir_sorted(const char *dir, struct dirent ***ret)
{
	int n = scandir(dir, ret, NULL, alphasort);

	return n < 0 ? -errno : n;
}

/* The file in dir whose network name is `name` (NULL: the first file). */
static int find_in_dir(const char *dir, const char *name, char **ret)
{
	struct dirent **ents;
	int n = scandir_sorted(dir, &ents), found = -ENOENT;

	for (int i = 0; i < n; i++) {
		struct cni_conflist *cl;
		char *path = NULL;

		if (found == 0 || !is_conf_file(ents[i]->d_name) ||
		    asprintf(&path, "%s/%s", dir, ents[i]->d_name) < 0) {
			free(ents[i]);
			continue;
		}
		if (load_file(path, path, &cl, NULL) == 0) {
			if (!name ||
			    (cl->name && strcmp(cl->name, name) == 0)) {
				*ret = path;
				path = NULL;
				found = 0;
			}
			cni_conflist_free(cl);
		}
		free(path);
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	return n < 0 ? n : found;
}

/* clusterNetwork / defaultNetworks: a file path, a directory (its first
 * file), or a network name in confDir. */
static int resolve_network(const struct plexus_conf *conf, const char *ref,
			   const char *field, char **ret_path,
			   struct cni_err *err)
{
	struct stat st;
	int r;

	if (ref[0] == '/') {
		if (stat(ref, &st) < 0)
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s: \"%s\": %s", field, ref,
					strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return (*ret_path = strdup(ref)) ? 0 : -ENOMEM;
		r = find_in_dir(ref, NULL, ret_path);
		if (r < 0)
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s: no network configuration in "
					"directory \"%s\"",
					field, ref);
		return 0;
	}
	r = find_in_dir(conf->conf_dir, ref, ret_path);
	if (r < 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: no network named \"%s\" in confDir "
				"\"%s\"",
				field, ref, conf->conf_dir);
	return 0;
}

static int plan_named(const struct plexus_conf *conf, const struct cni_env *env,
		      const char *ref, const char *field,
		      struct plexus_plan *plan, struct cni_err *err)
{
	struct cni_conflist *cl;
	char *path, *source = NULL;
	int r = resolve_network(conf, ref, field, &path, err);

	if (r < 0)
		return r;
	r = load_file(path, field, &cl, err);
	if (r == 0 && asprintf(&source, "file %s", path) < 0) {
		cni_conflist_free(cl);
		r = -ENOMEM;
	}
	/* add_conflist owns cl from here, also when it fails */
	if (r == 0)
		r = add_conflist(plan, env, cl, source, err);
	free(source);
	free(path);
	return r;
}

static int plan_cluster(const struct plexus_conf *conf,
			const struct cni_env *env, struct plexus_plan *plan,
			struct cni_err *err)
{
	int r = plan_named(conf, env, conf->cluster_network, "clusterNetwork",
			   plan, err);

	for (size_t i = 0; r == 0 && i < conf->n_default_networks; i++) {
		char field[40];

		snprintf(field, sizeof(field), "defaultNetworks[%zu]", i);
		r = plan_named(conf, env, conf->default_networks[i], field,
			       plan, err);
	}
	return r;
}

static int plan_pod_args(const struct cni_env *env, struct plexus_plan *plan)
{
	const char *ns = cni_env_arg(env, "K8S_POD_NAMESPACE");
	const char *name = cni_env_arg(env, "K8S_POD_NAME");
	const char *uid = cni_env_arg(env, "K8S_POD_UID");

	if ((ns && !(plan->pod_namespace = strdup(ns))) ||
	    (name && !(plan->pod_name = strdup(name))) ||
	    (uid && !(plan->pod_uid = strdup(uid))))
		return -ENOMEM;
	return 0;
}

/* Networks from the pod and its NADs, through the source conf names. */
static int plan_select(const struct plexus_conf *conf,
		       const struct cni_env *env, struct plexus_plan *plan,
		       struct cni_err *err)
{
	struct nad_source *src = NULL;
	/* only an ADD waits for a pod that is not visible yet */
	int r = nad_source_open(
		conf, env->cmd == CNI_CMD_ADD ? NAD_SOURCE_WAIT_POD : 0, &src,
		err);

	if (r == 0)
		r = plexus_select(conf, env, src, plan, err);
	nad_source_free(src);
	return r;
}

int plexus_plan_build_from(const struct plexus_conf *conf,
			   const struct cni_env *env,
			   const struct nad_source *src,
			   struct plexus_plan **ret, struct cni_err *err)
{
	struct plexus_plan *plan = plexus_plan_new();
	int r;

	if (!plan)
		return -ENOMEM;
	r = plan_pod_args(env, plan);
	if (r == 0 && src) {
		r = plexus_select(conf, env, src, plan, err);
	} else if (r == 0 && (conf->kubeconfig || conf->manifests_dir)) {
		/* select.c: pod annotations, NADs, the default network and
		 * the runtime's capability args */
		r = plan_select(conf, env, plan, err);
	} else {
		if (r == 0 && conf->cluster_network)
			r = plan_cluster(conf, env, plan, err);
		else if (r == 0)
			r = plan_delegates(conf, env, plan, err);
		/* the runtime's capability args go to the default network,
		 * as Multus passes them to its cluster network */
		if (r == 0 && plan->n > 0 && conf->runtime_config &&
		    !(plan->att[0].runtime_config =
			      cni_json_copy(conf->runtime_config)))
			r = -ENOMEM;
	}
	if (r < 0) {
		plexus_plan_free(plan);
		return r;
	}
	*ret = plan;
	return 0;
}

int plexus_plan_build(const struct plexus_conf *conf, const struct cni_env *env,
		      struct plexus_plan **ret, struct cni_err *err)
{
	return plexus_plan_build_from(conf, env, NULL, ret, err);
}

/* args.cni (selection's cni-args) and deviceID into one plugin's conf. */
static int add_selection(json_object *conf, const struct plexus_attachment *a)
{
	json_object *args, *cni;

	if (a->cni_args) {
		if (!json_object_object_get_ex(conf, "args", &args) ||
		    !json_object_is_type(args, json_type_object)) {
			args = json_object_new_object();
			if (!args)
				return -ENOMEM;
			json_object_object_add(conf, "args", args);
		}
		if (!json_object_object_get_ex(args, "cni", &cni) ||
		    !json_object_is_type(cni, json_type_object)) {
			cni = json_object_new_object();
			if (!cni)
				return -ENOMEM;
			json_object_object_add(args, "cni", cni);
		}
		json_object_object_foreach (a->cni_args, k, v)
			json_object_object_add(cni, k, cni_json_copy(v));
	}
	if (a->device_id)
		json_object_object_add(conf, "deviceID",
				       json_object_new_string(a->device_id));
	return 0;
}

int plexus_attachment_plugin_conf(const struct plexus_attachment *att, size_t i,
				  json_object *prev_result, json_object **ret,
				  struct cni_err *err)
{
	json_object *conf;
	int r = cni_conflist_plugin_conf(att->conf, i, prev_result,
					 att->runtime_config, &conf, err);

	if (r < 0)
		return r;
	r = add_selection(conf, att);
	if (r < 0) {
		json_object_put(conf);
		return r;
	}
	*ret = conf;
	return 0;
}
