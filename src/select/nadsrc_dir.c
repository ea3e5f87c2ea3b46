/* SPDX-License-Identifier: Apache-2.0 */
/* A folder of manifests as a NAD source: Pods and
 * NetworkAttachmentDefinitions in YAML or JSON files (several documents
 * per file, or kind: List), read once on first use. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "nadsrc.h"
#include "yamljson.h"

struct dir_obj {
	bool is_pod;
	const char *ns, *name; /* borrowed from obj */
	json_object *obj;
};

struct dirsrc {
	char *dir;
	bool loaded;
	struct dir_obj *objs;
	size_t n;
};

static bool manifest_ext(const char *f)
{
	const char *dot = strrchr(f, '.');

	return f[0] != '.' && dot &&
	       (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") ||
		!strcmp(dot, ".json"));
}

static const char *str_at(json_object *o, const char *k1, const char *k2)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k1, &v))
		return NULL;
	if (k2 && !json_object_object_get_ex(v, k2, &v))
		return NULL;
	return json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/* Keep Pods and NADs; unfold kind: List; ignore every other kind. */
static int obj_add(struct dirsrc *d, json_object *o, int depth)
{
	const char *kind = str_at(o, "kind", NULL), *ns, *name;
	struct dir_obj *n;
	json_object *items;

	if (!kind)
		return 0;
	if (!strcmp(kind, "List") && depth == 0 &&
	    json_object_object_get_ex(o, "items", &items) &&
	    json_object_is_type(items, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(items); i++) {
			int r = obj_add(d, json_object_array_get_idx(items, i),
					1);
			if (r)
				return r;
		}
		return 0;
	}
	if (strcmp(kind, "Pod") && strcmp(kind, "NetworkAttachmentDefinition"))
		return 0;
	name = str_at(o, "metadata", "name");
	ns = str_at(o, "metadata", "namespace");
	if (!name)
		return 0;
	n = realloc(d->objs, (d->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	d->objs = n;
	n[d->n].is_pod = !strcmp(kind, "Pod");
	n[d->n].ns = ns ? ns : "default";
	n[d->n].name = name;
	n[d->n].obj = json_object_get(o);
	d->n++;
	return 0;
}

static int file_load(struct dirsrc *d, const char *path, struct cni_err *err)
{
	json_object **docs = NULL;
	size_t n = 0, len = 0;
	char *buf = NULL;
	int r = cni_read_file(path, &buf, &len, err);

	if (r)
		return r;
	r = yamljson_parse(buf, len, path, &docs, &n, err);
	free(buf);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = obj_add(d, docs[i], 0);
	yamljson_docs_free(docs, n);
	if (r == -ENOMEM)
		cni_errf(err, CNI_ERR_IO, "out of memory");
	return r;
}

static int dir_load(struct dirsrc *d, struct cni_err *err)
{
	struct dirent **ents = NULL;
	int n, r = 0;

	n = scandir(d->dir, &ents, NULL, alphasort);
	if (n < 0)
		return cni_errf(err, CNI_ERR_IO, "manifests %s: %s", d->dir,
				strerror(errno));
	for (int i = 0; i < n; i++) {
		char *path = NULL;

		if (r == 0 && manifest_ext(ents[i]->d_name)) {
			if (asprintf(&path, "%s/%s", d->dir, ents[i]->d_name) <
			    0)
				r = cni_errf(err, CNI_ERR_IO, "out of memory");
			else
				r = file_load(d, path, err);
			free(path);
		}
		free(ents[i]);
	}
	free(ents);
	d->loaded = r == 0;
	return r;
}

static int dir_get(struct dirsrc *d, bool pod, const char *ns, const char *name,
		   json_object **ret, struct cni_err *err)
{
	int r = d->loaded ? 0 : dir_load(d, err);

	if (r)
		return r;
	for (size_t i = d->n; i-- > 0;) {
		const struct dir_obj *o = &d->objs[i];

		if (o->is_pod == pod && !strcmp(o->ns, ns) &&
		    !strcmp(o->name, name)) {
			*ret = json_object_get(o->obj);
			return 0;
		}
	}
	cni_errf(err, CNI_ERR_SELECTION, "%s %s/%s not found in %s",
		 pod ? "pod" : "NetworkAttachmentDefinition", ns, name, d->dir);
	return -ENOENT;
}

static int dir_get_pod(void *ctx, const char *ns, const char *name,
		       json_object **ret, struct cni_err *err)
{
	return dir_get(ctx, true, ns, name, ret, err);
}

static int dir_get_nad(void *ctx, const char *ns, const char *name,
		       json_object **ret, struct cni_err *err)
{
	return dir_get(ctx, false, ns, name, ret, err);
}

static void dir_free(void *ctx)
{
	struct dirsrc *d = ctx;

	for (size_t i = 0; i < d->n; i++)
		json_object_put(d->objs[i].obj);
	free(d->objs);
	free(d->dir);
	free(d);
}

static const struct nad_source_ops dir_ops = {
	.kind = "manifests",
	.get_pod = dir_get_pod,
	.get_nad = dir_get_nad,
	.put_network_status = NULL,
	.free = dir_free,
};

int nadsrc_dir_open(const char *dir, struct nad_source **ret,
		    struct cni_err *err)
{
	struct nad_source *src = calloc(1, sizeof(*src));
	struct dirsrc *d = calloc(1, sizeof(*d));

	if (!src || !d || !(d->dir = strdup(dir))) {
		free(src);
		free(d);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	src->ops = &dir_ops;
	src->ctx = d;
	*ret = src;
	return 0;
}
