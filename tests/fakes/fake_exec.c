// SPDX-License-Identifier: Apache-2.0
/* A scripted, recording stand-in for delegate exec (see fake_exec.h). */
#include <stdio.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "fake_exec.h"

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static int rule_matches(const struct fake_exec_rule *r,
			const struct cni_exec_req *req)
{
	return r->cmd == req->cmd &&
	       (!r->type || (req->type && strcmp(r->type, req->type) == 0)) &&
	       (!r->ifname ||
		(req->ifname && strcmp(r->ifname, req->ifname) == 0));
}

static json_object *fresh_result(struct fake_exec *f,
				 const struct cni_exec_req *req)
{
	json_object *v, *o;
	char buf[256];

	f->n_results++;
	snprintf(buf, sizeof(buf),
		 "{\"cniVersion\":\"%s\",\"interfaces\":[{\"name\":\"%s\","
		 "\"sandbox\":\"%s\"}],\"ips\":[{\"address\":\"10.%d.0.2/24\","
		 "\"interface\":0}]}",
		 json_object_object_get_ex(req->conf, "cniVersion", &v)
			 ? json_object_get_string(v)
			 : "1.0.0",
		 req->ifname ? req->ifname : "", req->netns ? req->netns : "",
		 f->n_results);
	o = json_tokener_parse(buf);
	return o;
}

static int fake_run(void *ctx, const struct cni_exec_req *req,
		    json_object **ret_out, struct cni_err *err)
{
	struct fake_exec *f = ctx;
	struct fake_exec_call *c;
	json_object *prev;

	if (f->n_calls < FAKE_EXEC_MAX_CALLS) {
		c = &f->calls[f->n_calls++];
		copy_str(c->type, sizeof(c->type), req->type);
		c->cmd = req->cmd;
		copy_str(c->ifname, sizeof(c->ifname), req->ifname);
		copy_str(c->container_id, sizeof(c->container_id),
			 req->container_id);
		copy_str(c->args, sizeof(c->args), req->args);
		c->conf = cni_json_copy(req->conf);
	}
	for (size_t i = 0; i < f->n_rules; i++) {
		const struct fake_exec_rule *r = &f->rules[i];

		if (!rule_matches(r, req))
			continue;
		if (r->code)
			return cni_errf(err, r->code, "%s", r->msg);
		*ret_out = r->out ? json_tokener_parse(r->out) : NULL;
		return 0;
	}
	*ret_out = NULL;
	if (req->cmd != CNI_CMD_ADD)
		return 0;
	if (json_object_object_get_ex(req->conf, "prevResult", &prev))
		*ret_out = cni_json_copy(prev);
	else
		*ret_out = fresh_result(f, req);
	return 0;
}

void fake_exec_init(struct fake_exec *f)
{
	memset(f, 0, sizeof(*f));
	f->ops.run = fake_run;
	f->ops.ctx = f;
}

void fake_exec_clear(struct fake_exec *f)
{
	for (size_t i = 0; i < f->n_calls; i++)
		json_object_put(f->calls[i].conf);
	fake_exec_init(f);
}

static struct fake_exec_rule *new_rule(struct fake_exec *f)
{
	if (f->n_rules >= FAKE_EXEC_MAX_RULES)
		return NULL;
	return &f->rules[f->n_rules++];
}

void fake_exec_fail(struct fake_exec *f, const char *type, enum cni_cmd cmd,
		    const char *ifname, int code, const char *msg)
{
	struct fake_exec_rule *r = new_rule(f);

	if (r)
		*r = (struct fake_exec_rule){ .type = type,
					      .cmd = cmd,
					      .ifname = ifname,
					      .code = code,
					      .msg = msg };
}

void fake_exec_answer(struct fake_exec *f, const char *type, enum cni_cmd cmd,
		      const char *ifname, const char *out)
{
	struct fake_exec_rule *r = new_rule(f);

	if (r)
		*r = (struct fake_exec_rule){
			.type = type, .cmd = cmd, .ifname = ifname, .out = out
		};
}

const char *fake_exec_call_str(const struct fake_exec *f, size_t i, char *buf,
			       size_t size)
{
	if (i >= f->n_calls)
		snprintf(buf, size, "(none)");
	else
		snprintf(buf, size, "%s %s %s", cni_cmd_str(f->calls[i].cmd),
			 f->calls[i].type, f->calls[i].ifname);
	return buf;
}

json_object *fake_exec_prev(const struct fake_exec *f, size_t i)
{
	json_object *prev;

	if (i >= f->n_calls ||
	    !json_object_object_get_ex(f->calls[i].conf, "prevResult", &prev))
		return NULL;
	return prev;
}
