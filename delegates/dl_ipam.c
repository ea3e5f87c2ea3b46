/* SPDX-License-Identifier: Apache-2.0 */
/* IPAM calls of the native delegates: one call run to its end, or one run
 * in a thread while the delegate does its netlink work. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "cni_json.h"
#include "dl.h"

int dl_ipam_exec(const struct delegate_req *req, const char *type,
		 enum cni_cmd cmd, struct cni_result **ret, struct cni_err *err)
{
	const struct cni_exec_ops *ex =
		req->exec ? req->exec : &cni_exec_default;
	struct cni_exec_req x = {
		.type = type,
		.cmd = cmd,
		.container_id = req->env->container_id,
		.netns = req->env->netns,
		.ifname = req->env->ifname,
		.args = req->env->args_raw,
		.path = req->env->path,
		.conf = req->conf,
		.deadline = req->deadline,
	};
	json_object *out = NULL;
	int r = ex->run(ex->ctx, &x, &out, err);

	if (r < 0)
		return r;
	if (cmd == CNI_CMD_ADD) {
		if (!out) {
			r = cni_errf(err, CNI_ERR_DELEGATE_OUTPUT,
				     "ipam %s: ADD printed no result", type);
		} else {
			r = cni_result_parse(out, ret, err);
			if (r < 0)
				cni_err_prefix(err, "ipam %s", type);
		}
	}
	json_object_put(out);
	return r;
}

static void *call_thread(void *arg)
{
	struct dl_ipam_call *c = arg;

	c->r = dl_ipam_exec(&c->req, c->type, c->cmd,
			    c->cmd == CNI_CMD_ADD ? &c->res : NULL, &c->err);
	return NULL;
}

/* A thread only for a plugin that runs as a child process: in-process
 * plugins (other exec ops) run where they are called. The thread gets a
 * copy of the config, since json-c writes into an object it prints. */
static bool call_threaded(struct dl_ipam_call *c)
{
	if (c->req.exec && c->req.exec != &cni_exec_default)
		return false;
	if (json_object_deep_copy(c->req.conf, &c->conf, NULL) < 0)
		return false;
	c->req.conf = c->conf;
	if (pthread_create(&c->thread, NULL, call_thread, c) == 0)
		return true;
	c->req.conf = c->orig_conf;
	json_object_put(c->conf);
	c->conf = NULL;
	return false;
}

void dl_ipam_start(struct dl_ipam_call *c, const struct delegate_req *req,
		   const char *type, enum cni_cmd cmd)
{
	*c = (struct dl_ipam_call){
		.req = *req, .orig_conf = req->conf, .type = type, .cmd = cmd
	};
	c->started = true;
	c->running = call_threaded(c);
	if (!c->running)
		call_thread(c);
}

static void call_join(struct dl_ipam_call *c)
{
	if (!c->running)
		return;
	pthread_join(c->thread, NULL);
	c->running = false;
	json_object_put(c->conf);
	c->conf = NULL;
	c->req.conf = c->orig_conf;
}

int dl_ipam_finish(struct dl_ipam_call *c, struct cni_result **ret,
		   struct cni_err *err)
{
	call_join(c);
	if (c->r < 0) {
		if (err)
			*err = c->err;
		return c->r;
	}
	if (ret) {
		*ret = c->res;
		c->res = NULL;
	}
	return 0;
}

void dl_ipam_undo(void *arg)
{
	struct dl_ipam_call *c = arg;

	if (!c->started)
		return;
	call_join(c);
	cni_result_free(c->res);
	c->res = NULL;
	if (c->cmd == CNI_CMD_ADD && c->r == 0) {
		struct delegate_req undo = c->req;

		undo.deadline = cni_deadline_after(DL_UNDO_GRACE_MS);
		dl_ipam_exec(&undo, c->type, CNI_CMD_DEL, NULL, NULL);
	}
	c->started = false;
}
