// SPDX-License-Identifier: Apache-2.0
/* Running the plan: delegates called in order, all-or-nothing ADD,
 * reverse DEL, CHECK, STATUS, GC, and the merged result. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "attach_par.h"
#include "cache.h"
#include "cni_conf.h"
#include "cni_deadline.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_exec.h"
#include "cni_fs.h"
#include "cni_json.h"
#include "cni_log.h"
#include "cni_result.h"
#include "conflict.h"
#include "gwcheck.h"
#include "ipam_alloc.h"
#include "ipam_claim.h"
#include "plan.h"

char *attach_args_others(const char *args)
{
	char *out = calloc(1, args ? strlen(args) + 1 : 1);
	const char *p = args;

	while (out && p && *p) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len && strncmp(p, "IP=", 3) != 0 &&
		    strncmp(p, "MAC=", 4) != 0) {
			if (*out)
				strcat(out, ";");
			strncat(out, p, len);
		}
		p += len + (end ? 1 : 0);
	}
	return out;
}

/* The attachment's CNI_ARGS: the runtime's (as Multus builds them) with
 * IPAM_CLAIM_ARG set to its "ipam-claim-reference", or left out: only
 * plexus sets it, per attachment, never the runtime or a NAD. NULL on
 * ENOMEM; the caller frees it. */
static char *call_args(const struct attach_ctx *ctx,
		       const struct plexus_attachment *a)
{
	const char *v = a->is_default ? ctx->args_default : ctx->args_others;
	const char *p = v ? v : ctx->env->args_raw;
	size_t klen = strlen(IPAM_CLAIM_ARG "=");
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);

	while (m && p && *p) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n && strncmp(p, IPAM_CLAIM_ARG "=", klen) != 0)
			fprintf(m, "%s%.*s", ftell(m) > 0 ? ";" : "", (int)n,
				p);
		p += n + (end ? 1 : 0);
	}
	if (m && a->ipam_claim)
		fprintf(m, "%s" IPAM_CLAIM_ARG "=%s", ftell(m) > 0 ? ";" : "",
			a->ipam_claim);
	if (!m || fclose(m) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* ADD's CNI_ARGS: the selection element's mac and ips appended as MAC=
 * and IP= (as Multus' DelegateAdd), each replacing the runtime's item of
 * that key, so a plugin sees one value. *ret stays NULL without them. */
static int add_args(const struct plexus_attachment *a, const char *base,
		    char **ret, struct cni_err *err)
{
	char field[256], *mac = NULL, *both = NULL;
	int r = 0;

	if (!a->args_mac && !a->args_ip)
		return 0;
	if (a->args_mac) {
		snprintf(field, sizeof(field), "network %s: \"mac\"",
			 a->network);
		r = cni_args_set(base, "MAC", a->args_mac, field,
				 CNI_ERR_SELECTION, &mac, err);
		base = mac;
	}
	if (r == 0 && a->args_ip) {
		snprintf(field, sizeof(field), "network %s: \"ips\"",
			 a->network);
		r = cni_args_set(base, "IP", a->args_ip, field,
				 CNI_ERR_SELECTION, &both, err);
		free(mac);
		mac = both;
	}
	if (r < 0) {
		free(mac);
		return r;
	}
	*ret = mac;
	return 0;
}

/* *ret: the CNI_ARGS of one plugin call (call_args, and at ADD
 * add_args'); the caller frees it. */
static int call_args_for(const struct attach_ctx *ctx,
			 const struct plexus_attachment *a, enum cni_cmd cmd,
			 char **ret, struct cni_err *err)
{
	char *base = call_args(ctx, a), *more = NULL;
	int r;

	if (!base)
		return -ENOMEM;
	r = cmd == CNI_CMD_ADD ? add_args(a, base, &more, err) : 0;
	if (r < 0 || more) {
		free(base);
		base = more;
	}
	*ret = base;
	return r;
}

char *attach_devinfo_path(const struct plexus_attachment *a,
			  const char *container_id)
{
	char *p;

	if (asprintf(&p, "%s-%s_%s", a->network, container_id, a->ifname) < 0)
		return NULL;
	for (char *c = p; *c; c++)
		if (*c == '/')
			*c = '-';
	return p;
}

/* The attachment's deviceID (its runtimeConfig's), or NULL. */
static const char *att_device_id(const struct plexus_attachment *a)
{
	json_object *v;

	if (!a->runtime_config ||
	    !json_object_object_get_ex(a->runtime_config, "deviceID", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* With a deviceID, a plugin declaring CNIDeviceInfoFile gets the
 * per-attachment path Multus makes, in place of the runtime's. */
static int devinfo_add(const struct attach_ctx *ctx,
		       const struct plexus_attachment *a, size_t i,
		       json_object *conf)
{
	json_object *rc;
	char *name, *path;
	int r;

	if (!att_device_id(a) || !ctx->env->container_id ||
	    !cni_plugin_has_capability(a->conf->plugins[i], "CNIDeviceInfoFil"
							    "e"))
		return 0;
	name = attach_devinfo_path(a, ctx->env->container_id);
	r = name ? asprintf(&path, "%s/%s", ATTACH_DEVINFO_DIR, name) : -1;
	free(name);
	if (r < 0)
		return -ENOMEM;
	if (!json_object_object_get_ex(conf, "runtimeConfig", &rc)) {
		rc = json_object_new_object();
		json_object_object_add(conf, "runtimeConfig", rc);
	}
	json_object_object_add(rc, "CNIDeviceInfoFile",
			       json_object_new_string(path));
	free(path);
	return 0;
}

static char *dp_file(const char *dp_dir, const char *device_id)
{
	char suffix[300], *found = NULL;
	struct dirent *de;
	DIR *d = opendir(dp_dir);
	size_t sl;

	snprintf(suffix, sizeof(suffix), "-%s-device.json", device_id);
	for (char *c = suffix; *c; c++)
		if (*c == '/')
			*c = '-';
	sl = strlen(suffix);
	while (d && !found && (de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l > sl && strcmp(de->d_name + l - sl, suffix) == 0 &&
		    asprintf(&found, "%s/%s", dp_dir, de->d_name) < 0)
			found = NULL;
	}
	if (d)
		closedir(d);
	return found;
}

int attach_devinfo_from_dp(const char *dp_dir, const char *device_id,
			   const char *cni_path)
{
	char *src = dp_file(dp_dir, device_id), *buf = NULL, *dir;
	size_t len = 0;
	int r;

	if (!src)
		return -ENOENT;
	r = cni_read_file(src, &buf, &len, NULL);
	free(src);
	if (r < 0)
		return r;
	dir = strdup(cni_path);
	if (dir && strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	r = dir ? cni_fs_mkdir_p(dir, 0755) : -ENOMEM;
	free(dir);
	if (r == 0 && access(cni_path, F_OK) == 0)
		r = -EEXIST; /* Multus does not overwrite it either */
	if (r == 0)
		r = cni_fs_write_replace(cni_path, buf, len, 0444, NULL);
	free(buf);
	return r;
}

/* ADD of a resource's device: its device-info file where Multus puts it. */
static void devinfo_copy(const struct attach_ctx *ctx,
			 const struct plexus_attachment *a)
{
	char *name, *path = NULL;
	int r;

	if (!a->device_id || !ctx->env->container_id)
		return;
	name = attach_devinfo_path(a, ctx->env->container_id);
	if (name && asprintf(&path, "%s/%s", ATTACH_DEVINFO_DIR, name) < 0)
		path = NULL;
	r = path ? attach_devinfo_from_dp(ATTACH_DEVINFO_DP_DIR, a->device_id,
					  path)
		 : -ENOMEM;
	if (r < 0 && r != -ENOENT)
		cni_log(CNI_LOG_VERBOSE,
			"network \"%s\": device-info of %s not copied: %s",
			a->network, a->device_id, strerror(-r));
	free(name);
	free(path);
}

/* Multus' passthru at the head of the auxiliaryCNIChainName chain, as it
 * behaves: ADD answers an empty result in the chain's version (the
 * prevResult the node's plugins after it need), every other verb does
 * nothing. plexus answers it itself: no passthru binary is needed. */
static int passthru_call(const struct plexus_attachment *a, enum cni_cmd cmd,
			 json_object **ret)
{
	json_object *out;

	if (cmd != CNI_CMD_ADD || !ret)
		return 0;
	out = json_object_new_object();
	if (!out)
		return -ENOMEM;
	json_object_object_add(out, "cniVersion",
			       json_object_new_string(a->conf->cni_version));
	json_object_object_add(out, "dns", json_object_new_object());
	*ret = out;
	return 0;
}

/* One plugin of an attachment's chain; `extra` keys (GC's attachment
 * lists) are added to its config. */
static int plugin_call(const struct attach_ctx *ctx,
		       const struct plexus_attachment *a, size_t i,
		       enum cni_cmd cmd, json_object *prev, json_object *extra,
		       json_object **ret, struct cni_err *err)
{
	const char *type = cni_conflist_type(a->conf, i);
	struct cni_exec_req req = {
		.type = type,
		.cmd = cmd,
		.container_id = ctx->env->container_id,
		.netns = ctx->netns,
		.ifname = a->ifname,
		.path = ctx->path,
		.timeout_ms = ctx->timeout_ms,
		.inherit_fd = ctx->lock_fd >= 0 ? &ctx->lock_fd : NULL,
	};
	json_object *out = NULL;
	char *args = NULL;
	double t0 = cni_now_msf();
	int r;

	if (a->aux_chain && i == 0)
		return passthru_call(a, cmd, ret);
	r = call_args_for(ctx, a, cmd, &args, err);
	if (r < 0)
		return r;
	req.args = args;
	r = plexus_attachment_plugin_conf(a, i, prev, &req.conf, err);
	if (r == 0 && (r = devinfo_add(ctx, a, i, req.conf)) < 0)
		json_object_put(req.conf);
	if (r < 0) {
		free(args);
		return r;
	}
	if (extra) {
		json_object_object_foreach (extra, k, v)
			json_object_object_add(req.conf, k, cni_json_copy(v));
	}
	if (cmd == CNI_CMD_STATUS || cmd == CNI_CMD_GC)
		req.container_id = req.netns = req.ifname = NULL;
	cni_log(CNI_LOG_DEBUG, "%s %s (%s) stdin: %s", cni_cmd_str(cmd), type,
		a->ifname, cni_json_str(req.conf));
	r = ctx->exec->run(ctx->exec->ctx, &req, &out, err);
	json_object_put(req.conf);
	free(args);
	cni_log(CNI_LOG_VERBOSE,
		"%s network \"%s\" plugin %s ifname %s: %s "
		"(%.1f ms)",
		cni_cmd_str(cmd), a->network, type, a->ifname,
		r < 0 ? "failed" : "ok", cni_now_msf() - t0);
	if (ctx->observe)
		ctx->observe(ctx->observe_ctx, cmd, a->network, type,
			     cni_now_msf() - t0,
			     r < 0 ? (err && err->code ? err->code : 999) : 0);
	if (r < 0) {
		cni_err_prefix(err, "network \"%s\" (%s)", a->network,
			       a->ifname);
		return r;
	}
	if (ret)
		*ret = out;
	else
		json_object_put(out);
	return 0;
}

/* ADD the attachment's chain, plugin after plugin; *slot holds the
 * latest result, so a failed chain can still be deleted with it. */
static int chain_add(const struct attach_ctx *ctx,
		     const struct plexus_attachment *a, json_object **slot,
		     struct cni_err *err)
{
	devinfo_copy(ctx, a);
	for (size_t i = 0; i < a->conf->n_plugins; i++) {
		struct cni_result *res;
		json_object *out = NULL;
		int r = plugin_call(ctx, a, i, CNI_CMD_ADD, *slot, NULL, &out,
				    err);

		if (r < 0)
			return r;
		if (!out)
			return cni_errf(err, CNI_ERR_DELEGATE_OUTPUT,
					"network \"%s\" (%s): %s returned "
					"no result",
					a->network, a->ifname,
					cni_conflist_type(a->conf, i));
		r = cni_result_parse(out, &res, err);
		if (r < 0) {
			json_object_put(out);
			cni_err_prefix(err, "network \"%s\" (%s): %s",
				       a->network, a->ifname,
				       cni_conflist_type(a->conf, i));
			if (err)
				err->code = CNI_ERR_DELEGATE_OUTPUT;
			return r;
		}
		cni_result_free(res);
		json_object_put(*slot);
		*slot = out;
	}
	return 0;
}

/* Multus removes the attachment's device-info file at DEL. */
static void devinfo_remove(const struct attach_ctx *ctx,
			   const struct plexus_attachment *a)
{
	char *name, *path;

	if (!att_device_id(a) || !ctx->env->container_id)
		return;
	name = attach_devinfo_path(a, ctx->env->container_id);
	if (name && asprintf(&path, "%s/%s", ATTACH_DEVINFO_DIR, name) >= 0) {
		unlink(path);
		free(path);
	}
	free(name);
}

int attach_one_del(const struct attach_ctx *ctx,
		   const struct plexus_attachment *a, json_object *result,
		   struct cni_err *err)
{
	json_object *prev = a->conf->ver >= CNI_V040 ? result : NULL;
	int first = 0;

	devinfo_remove(ctx, a);

	for (size_t i = a->conf->n_plugins; i-- > 0;) {
		struct cni_err e = { 0 };
		int r = plugin_call(ctx, a, i, CNI_CMD_DEL, prev, NULL, NULL,
				    &e);

		/* a plugin that is not installed cannot have attached anything
		 * (or was removed since): failing DEL for ever would not help */
		if (r < 0 && e.code == CNI_ERR_DELEGATE_NOT_FOUND) {
			cni_log(CNI_LOG_ERROR, "DEL: %s; skipped", e.msg);
			r = 0;
		}
		if (r < 0 && first == 0) {
			first = r;
			if (err)
				*err = e;
		} else if (r < 0) {
			cni_err_add_details(err, "%s", e.msg);
		}
	}
	return first;
}

static int record_write(const struct attach_ctx *ctx,
			const struct plexus_record *rec, struct cni_err *err)
{
	if (!ctx->cache_path)
		return 0;
	return plexus_cache_write(ctx->cache_path, ctx->env, rec, err);
}

/* Undo, in reverse of the plan's order, the attachments an ADD started:
 * those of a group up to `last` (with waves, parallel ADD), else those
 * up to index `last`. Their errors become details. */
static int rollback(const struct attach_ctx *ctx, struct plexus_record *rec,
		    const size_t *wave, size_t last, struct cni_err *err)
{
	const struct plexus_plan *p = rec->plan;
	int failed = 0;

	for (size_t j = p->n; j-- > 0;) {
		struct cni_err e = { 0 };

		if (wave ? wave[j] > last : j > last)
			continue;
		if (attach_one_del(ctx, &p->att[j], rec->results[j], &e) < 0) {
			failed = 1;
			cni_err_add_details(err, "rollback: %s", e.msg);
			cni_log(CNI_LOG_ERROR, "rollback: %s", e.msg);
		}
	}
	if (!failed && ctx->cache_path)
		plexus_cache_remove(ctx->cache_path);
	return failed ? -EIO : 0;
}

/* chain_add, then the gateway check of its result. */
static int add_checked(const struct attach_ctx *ctx,
		       const struct plexus_attachment *a, json_object **slot,
		       struct cni_err *err)
{
	int r = chain_add(ctx, a, slot, err);

	if (r == 0 && *slot)
		r = gwcheck_result(*slot, a->network, a->ifname, err);
	return r;
}

/* Undo an attachment another host's address conflicts with: its chain's
 * DEL, with IPAM_CONFLICT_ENV=addrs when not NULL (plexus-ipam, in this
 * process or under any delegate, which inherit plexus' PLEXUS_*
 * variables, then keeps them reserved as conflicts). Only here is it
 * set; plexus clears the runtime's at start. On failure *slot stays, for
 * the rollback to DEL again. */
static int conflict_undo(const struct attach_ctx *ctx,
			 const struct plexus_attachment *a, json_object **slot,
			 const char *addrs, struct cni_err *err)
{
	int r;

	if (addrs && setenv(IPAM_CONFLICT_ENV, addrs, 1) < 0)
		return cni_errf(err, CNI_ERR_IO, "setenv: %s", strerror(errno));
	r = attach_one_del(ctx, a, *slot, err);
	unsetenv(IPAM_CONFLICT_ENV);
	if (r < 0) {
		cni_err_prefix(err, "undoing the address conflict of %s",
			       a->network);
		return r;
	}
	json_object_put(*slot);
	*slot = NULL;
	return 0;
}

/* Did the attachment ask for its address (then no other is tried)? */
static bool add_requested(const struct attach_ctx *ctx,
			  const struct plexus_attachment *a)
{
	char *args = NULL;
	bool req;

	if (call_args_for(ctx, a, CNI_CMD_ADD, &args, NULL) < 0)
		return true;
	req = conflict_requested(a, args);
	free(args);
	return req;
}

static int conflict_fail(const struct plexus_attachment *a, bool requested,
			 const char *all, struct cni_err *err)
{
	if (requested)
		return cni_errf(err, CNI_ERR_ADDRESS_CONFLICT,
				"network \"%s\" (%s): the requested address "
				"is in use on the segment by a host outside "
				"plexus (it answered ARP): %s; not retried",
				a->network, a->ifname, all);
	return cni_errf(err, CNI_ERR_ADDRESS_CONFLICT,
			"network \"%s\" (%s): the addresses of %d attempts in "
			"a row are in use on the segment by hosts outside "
			"plexus (they answered ARP): %s; each is reserved as a "
			"conflict in its pool",
			a->network, a->ifname, CONFLICT_RETRIES + 1, all);
}

/* ADD one attachment; with conflictDetection its IPv4 addresses are
 * probed, and one another host answers for is given back (reserved as a
 * conflict) and the attachment made again, CONFLICT_RETRIES times at
 * most; a requested address is not retried. Then code 122. */
int attach_one_add(const struct attach_ctx *ctx,
		   const struct plexus_attachment *a, json_object **slot,
		   struct cni_err *err)
{
	bool probe = ctx->netns && *ctx->netns && conflict_enabled(a);
	char who[512], all[2048] = "";
	int r;

	for (int n = 0;; n++) {
		char *addrs = NULL;
		bool requested;

		r = add_checked(ctx, a, slot, err);
		if (r < 0 || !probe || !*slot)
			return r;
		r = conflict_probe(ctx->netns, a, *slot, &addrs, who,
				   sizeof(who), err);
		if (r <= 0)
			return r;
		requested = add_requested(ctx, a);
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s",
			 *all ? ", " : "", who);
		/* the last one is in the error, which main logs */
		if (!requested && n < CONFLICT_RETRIES)
			cni_log(CNI_LOG_ERROR,
				"network \"%s\" (%s): in use on the segment: "
				"%s; reserved as a conflict, trying another",
				a->network, a->ifname, who);
		r = conflict_undo(ctx, a, slot, requested ? NULL : addrs, err);
		free(addrs);
		if (r < 0)
			return r;
		if (requested || n == CONFLICT_RETRIES)
			return conflict_fail(a, requested, all, err);
	}
}

/* One attachment in this process. */
static int add_one(const struct attach_ctx *ctx, struct plexus_record *rec,
		   size_t k, struct cni_err *err)
{
	return attach_one_add(ctx, &rec->plan->att[k], &rec->results[k], err);
}

static int add_in_order(const struct attach_ctx *ctx, struct plexus_record *rec,
			struct cni_err *err)
{
	for (size_t k = 0; k < rec->plan->n; k++) {
		int r = add_one(ctx, rec, k, err);

		if (r < 0) {
			rollback(ctx, rec, NULL, k, err);
			return r;
		}
	}
	return 0;
}

/* The plan indexes of group w's members into idx (room for p->n), in
 * plan order; their count. */
static size_t wave_members(const struct plexus_plan *p, const size_t *wave,
			   size_t w, size_t *idx)
{
	size_t n = 0;

	for (size_t j = 0; j < p->n; j++)
		if (wave[j] == w)
			idx[n++] = j;
	return n;
}

/* Group w: a lone member in this process, more in a process each; idx
 * is room for p->n indexes. */
static int add_wave(const struct attach_ctx *ctx, struct plexus_record *rec,
		    const size_t *wave, size_t w, size_t *idx,
		    struct cni_err *err)
{
	size_t n = wave_members(rec->plan, wave, w, idx);
	double t0 = cni_now_msf();
	int r;

	if (n == 1)
		r = add_one(ctx, rec, idx[0], err);
	else
		r = attach_par_run(ctx, rec, idx, n, err);
	cni_log(CNI_LOG_VERBOSE, "ADD group %zu: %zu network(s) %s (%.1f ms)",
		w, n, r < 0 ? "failed" : "ok", cni_now_msf() - t0);
	return r;
}

/* Parallel ADD: group after group (plan_waves); a failure rolls back
 * every attachment started so far. */
static int add_in_waves(const struct attach_ctx *ctx, struct plexus_record *rec,
			struct cni_err *err)
{
	const struct plexus_plan *p = rec->plan;
	/* each network's group, then room for one group's members */
	size_t *wave = calloc(2 * (p->n ? p->n : 1), sizeof(*wave)), n_waves;
	int r = 0;

	if (!wave)
		return -ENOMEM;
	n_waves = plan_waves(p, wave);
	for (size_t w = 0; r == 0 && w < n_waves; w++) {
		r = add_wave(ctx, rec, wave, w, wave + p->n, err);
		if (r < 0)
			rollback(ctx, rec, wave, w, err);
	}
	free(wave);
	return r;
}

int attach_add(const struct attach_ctx *ctx, struct plexus_record *rec,
	       struct cni_err *err)
{
	const struct plexus_plan *p = rec->plan;
	int r;

	rec->complete = false;
	r = record_write(ctx, rec, err);
	if (r < 0)
		return r;
	r = p->parallel && p->n > 1 ? add_in_waves(ctx, rec, err)
				    : add_in_order(ctx, rec, err);
	if (r < 0)
		return r;
	rec->complete = true;
	r = record_write(ctx, rec, err);
	if (r < 0 && p->n > 0)
		rollback(ctx, rec, NULL, p->n - 1, err);
	return r;
}

/* One DEL's outcome into the call's: the first failure is err, the
 * others its details. */
static void del_note(int r, const struct cni_err *e, int *first, int *failures,
		     struct cni_err *err)
{
	if (r == 0)
		return;
	(*failures)++;
	if (*first == 0) {
		*first = r;
		if (err)
			*err = *e;
	} else {
		cni_err_add_details(err, "%s", e->msg);
	}
}

/* Group w's members: a lone one in this process, more in a process
 * each; outcomes into rcs and es by plan index; idx is room for p->n
 * indexes. */
static void del_wave(const struct attach_ctx *ctx,
		     const struct plexus_record *rec, const size_t *wave,
		     size_t w, size_t *idx, int *rcs, struct cni_err *es)
{
	const struct plexus_plan *p = rec->plan;
	size_t n = wave_members(p, wave, w, idx);
	double t0 = cni_now_msf();

	if (n == 1)
		rcs[idx[0]] = attach_one_del(ctx, &p->att[idx[0]],
					     rec->results[idx[0]], &es[idx[0]]);
	else if (n > 1)
		attach_par_del(ctx, rec, idx, n, rcs, es);
	cni_log(CNI_LOG_VERBOSE, "DEL group %zu: %zu network(s) (%.1f ms)", w,
		n, cni_now_msf() - t0);
}

/* parallelDetach: group after group (plan_waves), the last first. */
static int del_in_waves(const struct attach_ctx *ctx,
			const struct plexus_record *rec, int *rcs,
			struct cni_err *es)
{
	const struct plexus_plan *p = rec->plan;
	/* each network's group, then room for one group's members */
	size_t *wave = calloc(2 * p->n, sizeof(*wave)), n_waves;

	if (!wave)
		return -ENOMEM;
	n_waves = plan_waves(p, wave);
	for (size_t w = n_waves; w-- > 0;)
		del_wave(ctx, rec, wave, w, wave + p->n, rcs, es);
	free(wave);
	return 0;
}

int attach_del(const struct attach_ctx *ctx, const struct plexus_record *rec,
	       struct cni_err *err)
{
	const struct plexus_plan *p = rec->plan;
	int *rcs = calloc(p->n + 1, sizeof(*rcs));
	struct cni_err *es = calloc(p->n + 1, sizeof(*es));
	int first = 0, failures = 0;

	if (!rcs || !es || !ctx->parallel_detach || p->n < 2 ||
	    del_in_waves(ctx, rec, rcs, es) < 0) {
		for (size_t j = p->n; j-- > 0;) { /* in reverse, in order */
			struct cni_err e = { 0 };
			int r = attach_one_del(ctx, &p->att[j], rec->results[j],
					       &e);

			del_note(r, &e, &first, &failures, err);
		}
	} else {
		for (size_t j = p->n; j-- > 0;)
			del_note(rcs[j], &es[j], &first, &failures, err);
	}
	free(rcs);
	free(es);
	if (failures > 1)
		cni_err_prefix(err, "%d of %zu networks failed to delete",
			       failures, p->n);
	return first;
}

int attach_check(const struct attach_ctx *ctx, const struct plexus_record *rec,
		 struct cni_err *err)
{
	const struct plexus_plan *p = rec->plan;

	for (size_t j = 0; j < p->n; j++) {
		const struct plexus_attachment *a = &p->att[j];

		if (a->conf->ver < CNI_V040 || a->conf->disable_check)
			continue;
		if (!rec->results[j])
			return cni_errf(err, CNI_ERR_UNKNOWN_CONTAINER,
					"network \"%s\" (%s): no result "
					"recorded by ADD",
					a->network, a->ifname);
		for (size_t i = 0; i < a->conf->n_plugins; i++) {
			int r = plugin_call(ctx, a, i, CNI_CMD_CHECK,
					    rec->results[j], NULL, NULL, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int attach_status(const struct attach_ctx *ctx, const struct plexus_record *rec,
		  struct cni_err *err)
{
	const struct plexus_plan *p = rec->plan;

	for (size_t j = 0; j < p->n; j++) {
		const struct plexus_attachment *a = &p->att[j];

		if (a->conf->ver < CNI_V110)
			continue;
		for (size_t i = 0; i < a->conf->n_plugins; i++) {
			int r = plugin_call(ctx, a, i, CNI_CMD_STATUS, NULL,
					    NULL, NULL, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int gc_call(const struct attach_ctx *ctx,
		   const struct plexus_attachment *a, size_t i,
		   json_object *list, struct cni_err *err)
{
	json_object *extra = json_object_new_object();
	json_object *l = list ? cni_json_copy(list) : json_object_new_array();
	int r;

	json_object_object_add(extra, "cni.dev/valid-attachments", l);
	json_object_object_add(extra, "cni.dev/attachments",
			       json_object_get(l));
	r = plugin_call(ctx, a, i, CNI_CMD_GC, NULL, extra, NULL, err);
	json_object_put(extra);
	return r;
}

/* GC: one attachment's delegates get the attachments still valid for it
 * under both keys libcni uses. */
int attach_gc(const struct attach_ctx *ctx, const struct plexus_record *rec,
	      json_object *valid, struct cni_err *err)
{
	const struct plexus_plan *p = rec->plan;
	int first = 0;

	for (size_t j = 0; j < p->n; j++) {
		const struct plexus_attachment *a = &p->att[j];
		json_object *list = json_object_array_get_idx(valid, j);

		if (a->conf->ver < CNI_V110 || a->conf->disable_gc)
			continue;
		for (size_t i = 0; i < a->conf->n_plugins; i++) {
			struct cni_err e = { 0 };
			int r = gc_call(ctx, a, i, list, &e);

			if (r < 0 && first == 0) {
				first = r;
				if (err)
					*err = e;
			}
		}
	}
	return first;
}

int attach_merge(const struct plexus_record *rec, const char *netns,
		 struct cni_result **ret, struct cni_err *err)
{
	const struct plexus_plan *p = rec->plan;
	struct cni_result *merged = cni_result_new();
	int r = merged ? 0 : -ENOMEM;

	/* default network first, then the others in plan order */
	for (int pass = 0; r == 0 && pass < 2; pass++) {
		for (size_t j = 0; r == 0 && j < p->n; j++) {
			struct cni_result *res;

			if (p->att[j].is_default != (pass == 0) ||
			    !rec->results[j])
				continue;
			r = cni_result_parse(rec->results[j], &res, err);
			if (r < 0)
				break;
			/* an address without an interface index is read as
			 * the default network's (go-cni files it under
			 * eth0): give a secondary's its own interface */
			if (pass == 1 && netns)
				r = cni_result_ips_claim(res, p->att[j].ifname,
							 netns);
			if (r == 0)
				r = cni_result_append(merged, res);
			cni_result_free(res);
		}
	}
	if (r < 0) {
		cni_result_free(merged);
		return r;
	}
	*ret = merged;
	return 0;
}
