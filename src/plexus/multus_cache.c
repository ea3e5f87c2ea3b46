// SPDX-License-Identifier: Apache-2.0
/* Reading Multus' cache, so a node switched from Multus can DEL and
 * CHECK the pods Multus added (docs/migrating-from-multus.md). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "cni_conf.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_json.h"
#include "cni_log.h"
#include "k8s.h"
#include "multus_cache.h"
#include "plan.h"

/* A saved request of a delegate onto its runtimeConfig. */
static int put_request(json_object *d, const char *from, const char *cap,
		       struct plexus_attachment *att)
{
	json_object *v;

	if (!json_object_object_get_ex(d, from, &v) ||
	    json_object_is_type(v, json_type_null) ||
	    (json_object_is_type(v, json_type_string) &&
	     !*json_object_get_string(v)))
		return 0;
	if (!att->runtime_config &&
	    !(att->runtime_config = json_object_new_object()))
		return -ENOMEM;
	json_object_object_add(att->runtime_config, cap, cni_json_copy(v));
	return 0;
}

static int delegate_conf(json_object *d, size_t i, struct cni_conflist **ret,
			 struct cni_err *err)
{
	const char *b64;
	char field[64], *raw = NULL;
	size_t len = 0;
	int r;

	snprintf(field, sizeof(field), "multus cache [%zu].Bytes", i);
	if (cni_json_get_string(d, "Bytes", field, &b64, err) < 0 ||
	    k8s_base64_decode(b64, strlen(b64), &raw, &len) < 0)
		return cni_errf(err, CNI_ERR_DECODE,
				"%s: missing or not base64", field);
	r = cni_conflist_parse_str(raw, len, field, ret, err);
	free(raw);
	if (r < 0 && err)
		err->code = CNI_ERR_DECODE;
	return r;
}

static int one_delegate(json_object *d, size_t i, const char *ifname,
			json_object *runtime_config, struct plexus_plan *plan,
			struct cni_err *err)
{
	struct plexus_attachment att = { 0 };
	const char *name = NULL, *want = NULL;
	char buf[32];
	int r = delegate_conf(d, i, &att.conf, err);

	if (r < 0)
		return r;
	cni_json_get_string(d, "Name", "Name", &name, NULL);
	cni_json_get_string(d, "ifnameRequest", "ifnameRequest", &want, NULL);
	snprintf(buf, sizeof(buf), "net%zu", i);
	att.is_default = i == 0;
	att.network = strdup(name && *name    ? name
			     : att.conf->name ? att.conf->name
					      : "multus");
	att.source = strdup("Multus' cache");
	att.ifname = strdup(want && *want ? want : i == 0 ? ifname : buf);
	if (runtime_config)
		att.runtime_config = cni_json_copy(runtime_config);
	r = att.network && att.source && att.ifname ? 0 : -ENOMEM;
	if (r == 0 && i > 0)
		r = put_request(d, "macRequest", "mac", &att) ||
				    put_request(d, "ipRequest", "ips", &att) ||
				    put_request(d, "infinibandGUIDRequest",
						"infinibandGUID", &att) ||
				    put_request(d, "deviceID", "deviceID", &att)
			    ? -ENOMEM
			    : 0;
	if (r == 0)
		r = cni_ifname_check(att.ifname, "multus cache ifnameRequest",
				     CNI_ERR_DECODE, err);
	if (r == 0 && plexus_plan_add(plan, &att) < 0)
		r = -ENOMEM;
	if (r < 0)
		plexus_attachment_clear(&att);
	return r;
}

int multus_cache_parse(const char *buf, size_t len, const char *ifname,
		       json_object *runtime_config, struct plexus_record **ret,
		       struct cni_err *err)
{
	struct plexus_plan *plan = NULL;
	json_object *doc = NULL;
	size_t n;
	int r = cni_json_parse(buf, len, "multus cache", &doc, err);

	if (r == 0 && (!json_object_is_type(doc, json_type_array) ||
		       !(n = json_object_array_length(doc))))
		r = cni_errf(err, CNI_ERR_DECODE,
			     "multus cache: not a list of delegates");
	if (r == 0 && !(plan = plexus_plan_new()))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = one_delegate(json_object_array_get_idx(doc, i), i, ifname,
				 runtime_config, plan, err);
	json_object_put(doc);
	if (r == 0 && !(*ret = plexus_record_new(plan)))
		r = -ENOMEM;
	if (r < 0)
		plexus_plan_free(plan);
	return r;
}

static char *result_path(const char *dir, const char *cid,
			 const struct plexus_attachment *a)
{
	const char *name = a->conf->name ? a->conf->name : "";
	char *p;

	if (strchr(name, '/') || strchr(cid, '/') ||
	    asprintf(&p, "%s/results/%s-%s-%s", dir, name, cid, a->ifname) < 0)
		return NULL;
	return p;
}

/* libcni's cached result of one network, or NULL. */
static json_object *cached_result(const char *dir, const char *cid,
				  const struct plexus_attachment *a)
{
	char *path = result_path(dir, cid, a), *buf = NULL;
	json_object *doc = NULL, *res = NULL;
	size_t len = 0;

	if (path && cni_read_file(path, &buf, &len, NULL) == 0 &&
	    cni_json_parse(buf, len, path, &doc, NULL) == 0 &&
	    json_object_object_get_ex(doc, "result", &res) &&
	    json_object_is_type(res, json_type_object))
		res = json_object_get(res);
	else
		res = NULL;
	json_object_put(doc);
	free(buf);
	free(path);
	return res;
}

/* The default network's interface name of a container Multus added, from
 * libcni's result file of its first delegate (results/<net>-<cid>-<if>);
 * "eth0" (what kubelet's runtimes always give) when there is none. */
static int default_ifname(const char *dir, const char *cid,
			  struct plexus_attachment *a)
{
	const char *name = a->conf->name ? a->conf->name : "";
	char *rdir, *found = NULL;
	size_t plen = strlen(name) + strlen(cid) + 2;
	struct dirent *de;
	DIR *d;

	if (asprintf(&rdir, "%s/results", dir) < 0)
		return -ENOMEM;
	d = opendir(rdir);
	free(rdir);
	while (d && !found && (de = readdir(d))) {
		const char *f = de->d_name;

		if (strlen(f) > plen && !strncmp(f, name, strlen(name)) &&
		    f[strlen(name)] == '-' &&
		    !strncmp(f + strlen(name) + 1, cid, strlen(cid)) &&
		    f[plen - 1] == '-' &&
		    cni_ifname_check(f + plen, "", CNI_ERR_DECODE, NULL) == 0)
			found = strdup(f + plen);
	}
	if (d)
		closedir(d);
	if (!found && !(found = strdup("eth0")))
		return -ENOMEM;
	free(a->ifname);
	a->ifname = found;
	return 0;
}

int multus_cache_read(const char *dir, const struct cni_env *env,
		      json_object *runtime_config, struct plexus_record **ret,
		      struct cni_err *err)
{
	char *path, *buf = NULL;
	size_t len = 0;
	int r;

	if (!dir || !*dir || !env->container_id)
		return -ENOENT;
	if (asprintf(&path, "%s/%s", dir, env->container_id) < 0)
		return -ENOMEM;
	if (access(path, F_OK) < 0) {
		free(path);
		return -ENOENT;
	}
	r = cni_read_file(path, &buf, &len, err);
	if (r == 0)
		r = multus_cache_parse(buf, len,
				       env->ifname ? env->ifname : "eth0",
				       runtime_config, ret, err);
	if (r == 0 && !env->ifname &&
	    (r = default_ifname(dir, env->container_id,
				&(*ret)->plan->att[0])) < 0)
		plexus_record_free(*ret);
	if (r < 0)
		cni_err_prefix(err, "%s", path);
	free(buf);
	free(path);
	for (size_t j = 0; r == 0 && j < (*ret)->plan->n; j++)
		(*ret)->results[j] = cached_result(dir, env->container_id,
						   &(*ret)->plan->att[j]);
	return r;
}

void multus_cache_remove(const char *dir, const char *container_id,
			 const struct plexus_record *rec)
{
	char *path;

	for (size_t j = 0; j < rec->plan->n; j++) {
		path = result_path(dir, container_id, &rec->plan->att[j]);
		if (path)
			unlink(path);
		free(path);
	}
	if (asprintf(&path, "%s/%s", dir, container_id) >= 0) {
		unlink(path);
		free(path);
	}
}

/* The containerId of libcni's result file at path, or NULL. */
static char *result_container(const char *path)
{
	json_object *doc = NULL;
	const char *cid = NULL;
	char *buf = NULL, *out = NULL;
	size_t len = 0;

	if (cni_read_file(path, &buf, &len, NULL) == 0 &&
	    cni_json_parse(buf, len, path, &doc, NULL) == 0 &&
	    cni_json_get_string(doc, "containerId", "containerId", &cid,
				NULL) == 0)
		out = strdup(cid);
	json_object_put(doc);
	free(buf);
	return out;
}

void multus_cache_sweep_results(const char *dir,
				bool (*live)(const char *cid, void *arg),
				void *arg)
{
	char *rdir, *path, *cid;
	struct dirent *de;
	DIR *d;

	if (asprintf(&rdir, "%s/results", dir) < 0)
		return;
	d = opendir(rdir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    asprintf(&path, "%s/%s", rdir, de->d_name) < 0)
			continue;
		cid = result_container(path);
		if (cid && !strchr(cid, '/') && !live(cid, arg)) {
			char *own;

			/* a <cid> file left means its DEL failed: keep both */
			if (asprintf(&own, "%s/%s", dir, cid) >= 0) {
				if (access(own, F_OK) < 0 && unlink(path) == 0)
					cni_log(CNI_LOG_VERBOSE,
						"GC: removed Multus' %s (its "
						"container is gone)",
						path);
				free(own);
			}
		}
		free(cid);
		free(path);
	}
	if (d)
		closedir(d);
	free(rdir);
}
