// SPDX-License-Identifier: Apache-2.0
/* Per-container record of what ADD attached, kept for DEL/CHECK/GC. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "cni_conf.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_fs.h"
#include "cni_json.h"
#include "plan.h"
#include "proutes.h"

#define CACHE_KIND    "plexus-cache"
#define CACHE_VERSION 1

/* Append s with every byte outside [A-Za-z0-9.-] as %XX, so that two
 * different IDs never share a file and '_' only separates. */
static void put_escaped(char *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	out += strlen(out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-') {
			*out++ = (char)c;
			continue;
		}
		*out++ = '%';
		*out++ = hex[c >> 4];
		*out++ = hex[c & 15];
	}
	*out = '\0';
}

char *plexus_cache_path(const char *dir, const char *container_id,
			const char *ifname)
{
	size_t len =
		strlen(dir) + 3 * (strlen(container_id) + strlen(ifname)) + 16;
	char *path = malloc(len);

	if (!path)
		return NULL;
	snprintf(path, len, "%s/", dir);
	put_escaped(path, container_id);
	strcat(path, "_");
	put_escaped(path, ifname);
	strcat(path, ".json");
	return path;
}

struct plexus_record *plexus_record_new(struct plexus_plan *plan)
{
	struct plexus_record *rec = calloc(1, sizeof(*rec));

	if (!rec)
		return NULL;
	rec->results = calloc(plan->n ? plan->n : 1, sizeof(json_object *));
	if (!rec->results) {
		free(rec);
		return NULL;
	}
	rec->plan = plan;
	return rec;
}

void plexus_record_free(struct plexus_record *rec)
{
	if (!rec)
		return;
	for (size_t i = 0; rec->plan && i < rec->plan->n; i++)
		json_object_put(rec->results[i]);
	free(rec->results);
	plexus_plan_free(rec->plan);
	free(rec->netns);
	free(rec->container_id);
	free(rec->ifname);
	free(rec);
}

static void add_str(json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

static void add_obj(json_object *o, const char *k, json_object *v)
{
	if (v)
		json_object_object_add(o, k, json_object_get(v));
}

static json_object *attachment_json(const struct plexus_attachment *a,
				    json_object *result)
{
	json_object *o = json_object_new_object();

	add_str(o, "network", a->network);
	add_str(o, "source", a->source);
	add_str(o, "ifname", a->ifname);
	json_object_object_add(o, "default",
			       json_object_new_boolean(a->is_default));
	add_obj(o, "conf", a->conf->raw);
	add_obj(o, "runtimeConfig", a->runtime_config);
	add_obj(o, "cniArgs", a->cni_args);
	add_str(o, "deviceID", a->device_id);
	if (a->aux_chain)
		json_object_object_add(o, "auxChain",
				       json_object_new_boolean(true));
	if (a->policy_routing != PLAN_PR_NODE)
		json_object_object_add(
			o, "policyRouting",
			json_object_new_boolean(a->policy_routing ==
						PLAN_PR_ON));
	add_obj(o, "policyRoutes", a->policy_routes);
	add_obj(o, "result", result);
	return o;
}

static json_object *record_json(const struct cni_env *env,
				const struct plexus_record *rec)
{
	json_object *o = json_object_new_object();
	json_object *list = json_object_new_array();
	const struct plexus_plan *p = rec->plan;

	add_str(o, "kind", CACHE_KIND);
	json_object_object_add(o, "version",
			       json_object_new_int(CACHE_VERSION));
	add_str(o, "containerID", env->container_id);
	add_str(o, "ifname", env->ifname);
	add_str(o, "netns", env->netns);
	add_str(o, "cniArgs", env->args_raw);
	add_str(o, "podNamespace", p->pod_namespace);
	add_str(o, "podName", p->pod_name);
	add_str(o, "podUID", p->pod_uid);
	json_object_object_add(o, "complete",
			       json_object_new_boolean(rec->complete));
	if (rec->del_failed)
		json_object_object_add(o, "delFailed",
				       json_object_new_boolean(true));
	for (size_t i = 0; i < p->n; i++)
		json_object_array_add(
			list, attachment_json(&p->att[i], rec->results[i]));
	json_object_object_add(o, "attachments", list);
	return o;
}

/* The pod's commit (syncMode "pod", cni_fs.h): the complete record
 * replaces the old one, then one syncfs makes it durable together with
 * every store write the delegates left on the same filesystem. */
static int commit_complete(const char *path, const char *s, struct cni_err *err)
{
	char *dir = strdup(path), *slash;
	int r = cni_fs_write_replace(path, s, strlen(s), 0600, err);

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	if (r == 0 && (r = cni_fs_commit(dir)) < 0)
		cni_errf(err, CNI_ERR_IO, "%s: syncfs: %s", path, strerror(-r));
	free(dir);
	return r;
}

int plexus_cache_write(const char *path, const struct cni_env *env,
		       const struct plexus_record *rec, struct cni_err *err)
{
	json_object *o = record_json(env, rec);
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	int r;

	if (!rec->complete)
		r = cni_fs_write_replace(path, s, strlen(s), 0600, err);
	else if (cni_fs_sync_deferred(path))
		r = commit_complete(path, s, err);
	else
		r = cni_fs_write_atomic(path, s, strlen(s), 0600, err);
	json_object_put(o);
	return r;
}

/* Temp files of an interrupted write (<path>.tmp.XXXXXX). */
static void remove_temps(const char *path)
{
	char *dir = strdup(path), *base;
	size_t len;
	struct dirent *de;
	DIR *d;

	if (!dir || !(base = strrchr(dir, '/'))) {
		free(dir);
		return;
	}
	*base++ = '\0';
	len = strlen(base);
	d = opendir(dir);
	while (d && (de = readdir(d)))
		if (strncmp(de->d_name, base, len) == 0 &&
		    strncmp(de->d_name + len, ".tmp.", 5) == 0)
			unlinkat(dirfd(d), de->d_name, 0);
	if (d)
		closedir(d);
	free(dir);
}

int plexus_cache_remove(const char *path)
{
	remove_temps(path);
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

static int dup_member(json_object *o, const char *key, char **ret)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return -ENOENT;
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

static json_object *obj_member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return json_object_get(v);
}

/* "policyRoutes" checked again as at planning: the record is a file. */
static int routes_member(json_object *o, const char *field, json_object **ret,
			 struct cni_err *err)
{
	const char *text;
	json_object *v;
	int r;

	if (!json_object_object_get_ex(o, "policyRoutes", &v))
		return 0;
	text = cni_json_str(v);
	r = proutes_parse(text, strlen(text), field, ret, err);
	if (r < 0 && err)
		err->code = CNI_ERR_DECODE;
	return r;
}

static int read_attachment(json_object *o, size_t i,
			   struct plexus_attachment *a, json_object **result,
			   struct cni_err *err)
{
	json_object *conf, *def;
	char field[64];
	int r;

	snprintf(field, sizeof(field), "attachments[%zu]", i);
	if (!json_object_is_type(o, json_type_object) ||
	    dup_member(o, "network", &a->network) < 0 ||
	    dup_member(o, "ifname", &a->ifname) < 0 ||
	    !json_object_object_get_ex(o, "conf", &conf))
		return cni_errf(err, CNI_ERR_DECODE, "%s: incomplete", field);
	if (cni_ifname_check(a->ifname, field, CNI_ERR_DECODE, err) < 0)
		return -EINVAL;
	dup_member(o, "source", &a->source);
	dup_member(o, "deviceID", &a->device_id);
	a->is_default = json_object_object_get_ex(o, "default", &def) &&
			json_object_get_boolean(def);
	a->aux_chain = json_object_object_get_ex(o, "auxChain", &def) &&
		       json_object_get_boolean(def);
	if (json_object_object_get_ex(o, "policyRouting", &def))
		a->policy_routing =
			json_object_get_boolean(def) ? PLAN_PR_ON : PLAN_PR_OFF;
	a->runtime_config = obj_member(o, "runtimeConfig");
	a->cni_args = obj_member(o, "cniArgs");
	*result = obj_member(o, "result");
	r = cni_conflist_parse(conf, field, &a->conf, err);
	if (r == 0) {
		snprintf(field, sizeof(field), "attachments[%zu].policyRoutes",
			 i);
		r = routes_member(o, field, &a->policy_routes, err);
	}
	return r < 0 ? -EINVAL : 0;
}

static int read_plan(json_object *doc, struct plexus_record *rec,
		     struct cni_err *err)
{
	json_object *list;
	size_t n;

	if (!json_object_object_get_ex(doc, "attachments", &list) ||
	    !json_object_is_type(list, json_type_array))
		return cni_errf(err, CNI_ERR_DECODE, "attachments missing");
	n = json_object_array_length(list);
	rec->results = calloc(n ? n : 1, sizeof(json_object *));
	if (!rec->results)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct plexus_attachment a = { 0 };
		json_object *res = NULL;
		int r = read_attachment(json_object_array_get_idx(list, i), i,
					&a, &res, err);

		if (r == 0)
			r = plexus_plan_add(rec->plan, &a);
		if (r < 0) {
			plexus_attachment_clear(&a);
			json_object_put(res);
			return r;
		}
		rec->results[i] = res;
	}
	return 0;
}

static int read_record(json_object *doc, struct plexus_record *rec,
		       struct cni_err *err)
{
	json_object *v;

	if (!json_object_object_get_ex(doc, "kind", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), CACHE_KIND) != 0 ||
	    !json_object_object_get_ex(doc, "version", &v) ||
	    json_object_get_int(v) != CACHE_VERSION)
		return cni_errf(err, CNI_ERR_DECODE,
				"not a plexus cache record of version %d",
				CACHE_VERSION);
	rec->plan = plexus_plan_new();
	if (!rec->plan)
		return -ENOMEM;
	dup_member(doc, "netns", &rec->netns);
	dup_member(doc, "containerID", &rec->container_id);
	dup_member(doc, "ifname", &rec->ifname);
	dup_member(doc, "podNamespace", &rec->plan->pod_namespace);
	dup_member(doc, "podName", &rec->plan->pod_name);
	dup_member(doc, "podUID", &rec->plan->pod_uid);
	rec->complete = json_object_object_get_ex(doc, "complete", &v) &&
			json_object_get_boolean(v);
	rec->del_failed = json_object_object_get_ex(doc, "delFailed", &v) &&
			  json_object_get_boolean(v);
	return read_plan(doc, rec, err);
}

int plexus_cache_parse(const char *buf, size_t len, const char *what,
		       struct plexus_record **ret, struct cni_err *err)
{
	struct plexus_record *rec;
	json_object *doc;
	int r = cni_json_parse(buf, len, what, &doc, err);

	if (r < 0)
		return r;
	rec = calloc(1, sizeof(*rec));
	r = rec ? read_record(doc, rec, err) : -ENOMEM;
	json_object_put(doc);
	if (r < 0) {
		cni_err_prefix(err, "cache %s", what);
		/* a bad delegate config inside is a bad record, not config */
		if (err && r != -ENOMEM)
			err->code = CNI_ERR_DECODE;
		plexus_record_free(rec);
		return r == -ENOMEM ? r : -EINVAL;
	}
	*ret = rec;
	return 0;
}

int plexus_cache_read(const char *path, struct plexus_record **ret,
		      struct cni_err *err)
{
	size_t len;
	char *buf;
	int r = cni_read_file(path, &buf, &len, NULL);

	if (r < 0)
		return r == -ENOENT ? r
				    : cni_errf(err, CNI_ERR_IO, "cache %s: %s",
					       path, strerror(-r));
	r = plexus_cache_parse(buf, len, path, ret, err);
	free(buf);
	return r;
}

bool plexus_cache_lock_current(int fd, const char *lock_path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(lock_path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int plexus_cache_lock_try(const char *cache_path, int *ret_fd)
{
	char *lock = NULL;
	int fd, r = 0;

	if (asprintf(&lock, "%s.lock", cache_path) < 0)
		return -ENOMEM;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		r = -errno;
	else if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
	else if (!plexus_cache_lock_current(fd, lock))
		r = -EBUSY; /* a DEL just removed it: that record is gone */
	free(lock);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}
