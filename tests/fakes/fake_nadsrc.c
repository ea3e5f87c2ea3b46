/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "fake_nadsrc.h"

struct fake_obj {
	char kind[4];
	char *ns, *name;
	json_object *obj;
};

struct fake {
	struct fake_obj *objs;
	size_t n;
	unsigned calls_pod, calls_nad, calls_status;
	int fail_pod, fail_nad, fail_code_pod, fail_code_nad;
	int fail_status, fail_code_status;
	char *status;
};

static int fake_get(struct fake *f, const char *kind, const char *ns,
		    const char *name, json_object **ret, struct cni_err *err)
{
	bool pod = !strcmp(kind, "pod");

	if (pod ? f->fail_pod : f->fail_nad) {
		cni_errf(err, pod ? f->fail_code_pod : f->fail_code_nad,
			 "fake %s failure", kind);
		return pod ? f->fail_pod : f->fail_nad;
	}
	for (size_t i = f->n; i-- > 0;) { /* the last one added wins */
		if (!strcmp(f->objs[i].kind, kind) &&
		    !strcmp(f->objs[i].ns, ns) &&
		    !strcmp(f->objs[i].name, name)) {
			*ret = json_object_get(f->objs[i].obj);
			return 0;
		}
	}
	cni_errf(err, CNI_ERR_SELECTION, "%s %s/%s not found",
		 pod ? "pod" : "NetworkAttachmentDefinition", ns, name);
	return -ENOENT;
}

static int fake_get_pod(void *ctx, const char *ns, const char *name,
			json_object **ret, struct cni_err *err)
{
	struct fake *f = ctx;

	f->calls_pod++;
	return fake_get(f, "pod", ns, name, ret, err);
}

static int fake_get_nad(void *ctx, const char *ns, const char *name,
			json_object **ret, struct cni_err *err)
{
	struct fake *f = ctx;

	f->calls_nad++;
	return fake_get(f, "nad", ns, name, ret, err);
}

static int fake_put_status(void *ctx, const char *ns, const char *name,
			   const char *uid, const char *status,
			   struct cni_err *err)
{
	struct fake *f = ctx;

	(void)ns;
	(void)name;
	(void)uid;
	f->calls_status++;
	if (f->fail_status) {
		cni_errf(err, f->fail_code_status, "fake status failure");
		return f->fail_status;
	}
	free(f->status);
	f->status = strdup(status);
	return f->status ? 0 : -ENOMEM;
}

static void fake_free(void *ctx)
{
	struct fake *f = ctx;

	for (size_t i = 0; i < f->n; i++) {
		free(f->objs[i].ns);
		free(f->objs[i].name);
		json_object_put(f->objs[i].obj);
	}
	free(f->objs);
	free(f->status);
	free(f);
}

static const struct nad_source_ops fake_ops = {
	.kind = "fake",
	.get_pod = fake_get_pod,
	.get_nad = fake_get_nad,
	.put_network_status = fake_put_status,
	.free = fake_free,
};

struct nad_source *fake_nadsrc_new(void)
{
	struct nad_source *src = calloc(1, sizeof(*src));

	if (!src)
		abort();
	src->ops = &fake_ops;
	src->ctx = calloc(1, sizeof(struct fake));
	if (!src->ctx)
		abort();
	return src;
}

void fake_nadsrc_add(struct nad_source *src, const char *kind, const char *ns,
		     const char *name, const char *json)
{
	struct fake *f = src->ctx;
	struct fake_obj *o;

	f->objs = realloc(f->objs, (f->n + 1) * sizeof(*f->objs));
	if (!f->objs)
		abort();
	o = &f->objs[f->n++];
	strncpy(o->kind, kind, sizeof(o->kind) - 1);
	o->kind[sizeof(o->kind) - 1] = '\0';
	o->ns = strdup(ns);
	o->name = strdup(name);
	o->obj = json_tokener_parse(json);
	if (!o->ns || !o->name || !o->obj)
		abort();
}

void fake_nadsrc_fail(struct nad_source *src, const char *kind, int code, int r)
{
	struct fake *f = src->ctx;

	if (!strcmp(kind, "pod")) {
		f->fail_pod = r;
		f->fail_code_pod = code;
	} else if (!strcmp(kind, "status")) {
		f->fail_status = r;
		f->fail_code_status = code;
	} else {
		f->fail_nad = r;
		f->fail_code_nad = code;
	}
}

void fake_nadsrc_calls_reset(struct nad_source *src)
{
	struct fake *f = src->ctx;

	f->calls_pod = f->calls_nad = f->calls_status = 0;
}

unsigned fake_nadsrc_calls(const struct nad_source *src, const char *kind)
{
	const struct fake *f = src->ctx;

	if (!strcmp(kind, "pod"))
		return f->calls_pod;
	if (!strcmp(kind, "nad"))
		return f->calls_nad;
	return f->calls_status;
}

const char *fake_nadsrc_status(const struct nad_source *src)
{
	return ((const struct fake *)src->ctx)->status;
}
