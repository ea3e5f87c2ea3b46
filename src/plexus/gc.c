// SPDX-License-Identifier: Apache-2.0
/* GC: translate the runtime's valid attachments to each delegate's, and
 * clean up records of attachments that are gone. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "cache.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_fs.h"
#include "cni_json.h"
#include "cni_log.h"
#include "gc.h"
#include "multus_cache.h"
#include "plan.h"
#include "plexus_conf.h"
#include "select.h"
#include "tombstone.h"

static int valid_list(json_object *raw, json_object **ret, struct cni_err *err)
{
	static const char *const keys[] = {
		"cni.dev/valid-attachments",
		"cni.dev/attachments",
	};

	for (size_t k = 0; k < 2; k++) {
		json_object *l;
		int r = cni_json_get_array(raw, keys[k], keys[k], &l, err);

		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		for (size_t i = 0; i < json_object_array_length(l); i++) {
			json_object *e = json_object_array_get_idx(l, i);
			const char *s;

			if (cni_json_get_string(e, "containerID", keys[k], &s,
						NULL) < 0 ||
			    cni_json_get_string(e, "ifname", keys[k], &s,
						NULL) < 0)
				return cni_errf(err, CNI_ERR_INVALID_CONFIG,
						"%s[%zu]: needs string "
						"containerID and ifname",
						keys[k], i);
		}
		*ret = l;
		return 0;
	}
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			"cni.dev/valid-attachments: missing");
}

static void push(json_object *list, const char *cid, const char *ifname)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "containerID", json_object_new_string(cid));
	json_object_object_add(o, "ifname", json_object_new_string(ifname));
	json_object_array_add(list, o);
}

/* lists[j]: the valid attachments of the plan's network j. */
static void translate_one(const struct attach_ctx *ctx,
			  const struct plexus_plan *plan, const char *cid,
			  const char *ifname, json_object *lists)
{
	char *path = plexus_cache_path(ctx->cache_dir, cid, ifname);
	struct plexus_record *rec = NULL;

	if (path && plexus_cache_read(path, &rec, NULL) < 0)
		rec = NULL;
	for (size_t j = 0; j < plan->n; j++) {
		json_object *l = json_object_array_get_idx(lists, j);
		const char *att_if = j == 0 ? ifname : plan->att[j].ifname;

		for (size_t i = 0; rec && i < rec->plan->n; i++)
			if (strcmp(rec->plan->att[i].network,
				   plan->att[j].network) == 0)
				att_if = rec->plan->att[i].ifname;
		push(l, cid, att_if);
	}
	plexus_record_free(rec);
	free(path);
}

static bool is_valid(json_object *valid, const char *cid, const char *ifname)
{
	for (size_t i = 0; i < json_object_array_length(valid); i++) {
		json_object *e = json_object_array_get_idx(valid, i);

		if (strcmp(json_object_get_string(
				   json_object_object_get(e, "containerID")),
			   cid) == 0 &&
		    strcmp(json_object_get_string(
				   json_object_object_get(e, "ifname")),
			   ifname) == 0)
			return true;
	}
	return false;
}

/* A record whose attachment the runtime no longer lists: DEL it, under
 * the record's lock, taken without waiting: a record an ADD, CHECK or DEL
 * holds is busy and left for the next GC. */
static void drop_stale(const struct attach_ctx *ctx, const char *path,
		       json_object *valid)
{
	struct plexus_record *rec;
	struct cni_err e = { 0 };
	struct cni_env env = *ctx->env;
	struct attach_ctx c = *ctx;
	int fd, r = plexus_cache_lock_try(path, &fd);

	if (r < 0) {
		cni_log(r == -EBUSY ? CNI_LOG_VERBOSE : CNI_LOG_ERROR,
			"GC: %s: %s, left for the next GC", path,
			r == -EBUSY ? "in use" : strerror(-r));
		return;
	}
	c.lock_fd = fd;
	if (plexus_cache_read(path, &rec, &e) < 0) {
		if (e.code)
			cni_log(CNI_LOG_ERROR, "GC: %s: left in place", e.msg);
		close(fd);
		return;
	}
	if (rec->container_id && rec->ifname &&
	    !is_valid(valid, rec->container_id, rec->ifname)) {
		env.container_id = rec->container_id;
		env.ifname = rec->ifname;
		c.env = &env;
		c.netns = rec->netns;
		c.cache_path = path;
		if (attach_del(&c, rec, &e) == 0) {
			char *lock = NULL;

			plexus_cache_remove(path);
			if (asprintf(&lock, "%s.lock", path) >= 0)
				unlink(lock);
			free(lock);
		} else
			cni_log(CNI_LOG_ERROR, "GC: %s", e.msg);
	}
	plexus_record_free(rec);
	close(fd);
}

static void sweep_cache(const struct attach_ctx *ctx, json_object *valid)
{
	DIR *d = opendir(ctx->cache_dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char *path;

		if (strstr(de->d_name, ".json.tmp.")) {
			/* an interrupted write: its record (if any) decides */
			continue;
		}
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0 ||
		    asprintf(&path, "%s/%s", ctx->cache_dir, de->d_name) < 0)
			continue;
		drop_stale(ctx, path, valid);
		free(path);
	}
	if (d)
		closedir(d);
}

static bool cid_valid(const char *cid, void *valid)
{
	for (size_t i = 0; i < json_object_array_length(valid); i++) {
		json_object *e = json_object_array_get_idx(valid, i);

		if (!strcmp(json_object_get_string(
				    json_object_object_get(e, "containerID")),
			    cid))
			return true;
	}
	return false;
}

/* A container Multus added that the runtime no longer lists: DEL it from
 * Multus' cache as a DEL would (no netns: it is gone), then remove Multus'
 * files; under plexus' lock of the container's record, taken without
 * waiting. A failed DEL leaves the files for the next GC. */
static void drop_multus(const struct attach_ctx *ctx,
			const struct plexus_conf *conf, const char *cid)
{
	struct cni_env env = { .cmd = CNI_CMD_DEL,
			       .container_id = (char *)cid };
	struct attach_ctx c = *ctx;
	struct plexus_record *rec = NULL;
	struct cni_err e = { 0 };
	char *path = NULL, *lock = NULL;
	int fd = -1, r;

	r = multus_cache_read(conf->multus_cache_dir, &env,
			      conf->runtime_config, &rec, &e);
	if (r < 0) {
		if (r != -ENOENT)
			cni_log(CNI_LOG_ERROR, "GC: %s; left in place", e.msg);
		return;
	}
	env.ifname = rec->plan->att[0].ifname;
	path = plexus_cache_path(ctx->cache_dir, cid, env.ifname);
	r = path ? cni_fs_mkdir_p(ctx->cache_dir, 0700) : -ENOMEM;
	if (r == 0)
		r = plexus_cache_lock_try(path, &fd);
	if (r < 0) {
		cni_log(r == -EBUSY ? CNI_LOG_VERBOSE : CNI_LOG_ERROR,
			"GC: Multus' container %s: %s, left for the next GC",
			cid, r == -EBUSY ? "in use" : strerror(-r));
		goto out;
	}
	c.env = &env;
	c.netns = NULL;
	c.cache_path = path;
	c.lock_fd = fd;
	if (attach_del(&c, rec, &e) == 0) {
		multus_cache_remove(conf->multus_cache_dir, cid, rec);
		cni_log(CNI_LOG_VERBOSE,
			"GC: Multus' container %s deleted, its files in %s "
			"removed",
			cid, conf->multus_cache_dir);
		if (asprintf(&lock, "%s.lock", path) >= 0)
			unlink(lock);
	} else {
		cni_log(CNI_LOG_ERROR, "GC: Multus' container %s: %s", cid,
			e.msg);
	}
	close(fd);
out:
	free(lock);
	free(path);
	plexus_record_free(rec);
}

/* Multus' cache (multusCacheDir: <cid> files and results/) of the
 * containers that are gone, swept as plexus' own records are. */
static void sweep_multus(const struct attach_ctx *ctx,
			 const struct plexus_conf *conf, json_object *valid)
{
	const char *dir = conf->multus_cache_dir;
	DIR *d = dir && *dir ? opendir(dir) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		/* <cid> files only: results/ and anything not a file stay */
		if (de->d_name[0] == '.' || de->d_type == DT_DIR ||
		    cid_valid(de->d_name, valid))
			continue;
		drop_multus(ctx, conf, de->d_name);
	}
	if (d)
		closedir(d);
	if (dir && *dir)
		multus_cache_sweep_results(dir, cid_valid, valid);
}

int plexus_gc(const struct attach_ctx *ctx, const struct plexus_conf *conf,
	      const struct nad_source *src, struct cni_err *err)
{
	struct plexus_record *rec = NULL;
	struct plexus_plan *plan;
	json_object *valid = NULL, *lists;
	int r = valid_list(conf->raw, &valid, err);

	if (r == 0)
		r = select_plan(conf, ctx->env, src, &plan, err);
	if (r < 0)
		return r;
	lists = json_object_new_array();
	for (size_t j = 0; j < plan->n; j++)
		json_object_array_add(lists, json_object_new_array());
	for (size_t i = 0; i < json_object_array_length(valid); i++) {
		json_object *e = json_object_array_get_idx(valid, i);
		json_object *cid = json_object_object_get(e, "containerID");
		json_object *ifname = json_object_object_get(e, "ifname");

		translate_one(ctx, plan, json_object_get_string(cid),
			      json_object_get_string(ifname), lists);
	}
	rec = plexus_record_new(plan);
	r = rec ? attach_gc(ctx, rec, lists, err) : -ENOMEM;
	if (!rec)
		plexus_plan_free(plan);
	plexus_record_free(rec);
	json_object_put(lists);
	sweep_cache(ctx, valid);
	tombstone_sweep(ctx->cache_dir, TOMBSTONE_TTL);
	sweep_multus(ctx, conf, valid);
	return r;
}
