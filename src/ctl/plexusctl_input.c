// SPDX-License-Identifier: Apache-2.0
/* plexusctl's inputs: the node config, a pod manifest, and a NAD source
 * that serves that pod. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "nadsrc.h"
#include "plexus_conf.h"
#include "plexusctl.h"
#include "yamljson.h"

static bool is_plexus(json_object *o)
{
	json_object *t;

	return json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, "type", &t) &&
	       json_object_is_type(t, json_type_string) &&
	       !strcmp(json_object_get_string(t), "plexus");
}

/* The list's name and cniVersion into its plexus plugin, as a runtime
 * builds the plugin's stdin. */
static json_object *from_list(json_object *doc, json_object *plugins)
{
	for (size_t i = 0; i < json_object_array_length(plugins); i++) {
		json_object *p = json_object_array_get_idx(plugins, i), *v;
		json_object *out;

		if (!is_plexus(p))
			continue;
		out = cni_json_copy(p);
		if (!out)
			return NULL;
		if (json_object_object_get_ex(doc, "name", &v))
			json_object_object_add(out, "name", cni_json_copy(v));
		if (json_object_object_get_ex(doc, "cniVersion", &v))
			json_object_object_add(out, "cniVersion",
					       cni_json_copy(v));
		return out;
	}
	return NULL;
}

json_object *ctl_node_conf_doc(json_object *doc)
{
	json_object *plugins;

	if (is_plexus(doc))
		return json_object_get(doc);
	if (json_object_is_type(doc, json_type_object) &&
	    json_object_object_get_ex(doc, "plugins", &plugins) &&
	    json_object_is_type(plugins, json_type_array))
		return from_list(doc, plugins);
	return NULL;
}

int ctl_node_conf_load(const char *path, struct plexus_conf **ret,
		       struct cni_err *err)
{
	json_object *doc = NULL, *node;
	size_t len;
	char *buf;
	int r = cni_read_file(path, &buf, &len, err);

	if (r < 0)
		return r;
	r = cni_json_parse(buf, len, path, &doc, err);
	free(buf);
	if (r < 0)
		return r == -ENOENT ? -EINVAL : r;
	node = ctl_node_conf_doc(doc);
	json_object_put(doc);
	if (!node) {
		cni_errf(err, CNI_ERR_INVALID_CONFIG,
			 "%s: not a plexus config (no \"type\": \"plexus\", "
			 "nor a conflist holding one)",
			 path);
		return -EMEDIUMTYPE;
	}
	r = plexus_conf_parse(node, ret, err);
	json_object_put(node);
	if (r == -ENOENT)
		r = -EINVAL; /* -ENOENT means "cannot read the file" here */
	return r;
}

const char *ctl_meta_str(json_object *obj, const char *key)
{
	json_object *md, *v;

	if (!json_object_object_get_ex(obj, "metadata", &md) ||
	    !json_object_object_get_ex(md, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int pod_check(const char *path, json_object *doc, struct cni_err *err)
{
	json_object *kind;

	if (!json_object_is_type(doc, json_type_object))
		return cni_errf(err, CNI_ERR_DECODE,
				"%s: not a Kubernetes object", path);
	if (!json_object_object_get_ex(doc, "kind", &kind) ||
	    !json_object_is_type(kind, json_type_string))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: kind: missing (want Pod)", path);
	if (strcmp(json_object_get_string(kind), "Pod"))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: kind: \"%.64s\" is not Pod", path,
				json_object_get_string(kind));
	if (!ctl_meta_str(doc, "name") || !*ctl_meta_str(doc, "name"))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: metadata.name: missing", path);
	return 0;
}

int ctl_pod_load(const char *path, json_object **ret, struct cni_err *err)
{
	json_object **docs = NULL;
	size_t len, n = 0;
	char *buf;
	int r = cni_read_file(path, &buf, &len, err);

	if (r < 0)
		return r;
	r = yamljson_parse(buf, len, path, &docs, &n, err);
	free(buf);
	if (r == 0 && n != 1)
		r = cni_errf(err, CNI_ERR_DECODE,
			     "%s: holds %zu documents, want one Pod", path, n);
	if (r == 0)
		r = pod_check(path, docs[0], err);
	if (r == 0)
		*ret = json_object_get(docs[0]);
	yamljson_docs_free(docs, n);
	return r == -ENOENT ? -EINVAL : r;
}

/* --- a source serving one pod from a manifest --- */

struct podsrc {
	json_object *pod;
	const char *ns, *name;
	struct nad_source *inner;
};

static int p_get_pod(void *ctx, const char *ns, const char *name,
		     json_object **ret, struct cni_err *err)
{
	struct podsrc *p = ctx;

	if (!strcmp(ns, p->ns) && !strcmp(name, p->name)) {
		*ret = json_object_get(p->pod);
		return 0;
	}
	if (p->inner)
		return p->inner->ops->get_pod(p->inner->ctx, ns, name, ret,
					      err);
	cni_errf(err, CNI_ERR_SELECTION, "pod %s/%s not found", ns, name);
	return -ENOENT;
}

static int p_get_nad(void *ctx, const char *ns, const char *name,
		     json_object **ret, struct cni_err *err)
{
	struct podsrc *p = ctx;

	if (p->inner)
		return p->inner->ops->get_nad(p->inner->ctx, ns, name, ret,
					      err);
	cni_errf(err, CNI_ERR_SELECTION,
		 "NetworkAttachmentDefinition %s/%s not found (no NAD source)",
		 ns, name);
	return -ENOENT;
}

static unsigned p_requests(void *ctx)
{
	return nad_source_requests(((struct podsrc *)ctx)->inner);
}

static void p_free(void *ctx)
{
	struct podsrc *p = ctx;

	nad_source_free(p->inner);
	json_object_put(p->pod);
	free(p);
}

static const struct nad_source_ops podsrc_ops = {
	.kind = "pod manifest",
	.get_pod = p_get_pod,
	.get_nad = p_get_nad,
	.put_network_status = NULL,
	.requests = p_requests,
	.free = p_free,
};

int ctl_podsrc_open(json_object *pod, struct nad_source *inner,
		    struct nad_source **ret, struct cni_err *err)
{
	struct nad_source *src = calloc(1, sizeof(*src));
	struct podsrc *p = calloc(1, sizeof(*p));

	if (!src || !p) {
		free(src);
		free(p);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	p->pod = json_object_get(pod);
	p->name = ctl_meta_str(pod, "name");
	p->ns = ctl_meta_str(pod, "namespace");
	if (!p->ns)
		p->ns = "default";
	p->inner = inner;
	src->ops = &podsrc_ops;
	src->ctx = p;
	*ret = src;
	return 0;
}
