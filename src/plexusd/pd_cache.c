// SPDX-License-Identifier: Apache-2.0
/* plexusd's warm caches (pd_cache.h): objects cut down to what selection
 * reads, applied from list answers and watch events. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "k8s.h"
#include "pd_cache.h"

#define KE	    CNI_ERR_KUBERNETES
#define RV_MAX	    64
#define LINE_WHAT   "watch event"
#define KEY_MAX	    (63 + 1 + 253 + 1)
#define STATUS_GONE 410

struct pd_cache {
	enum pd_cache_kind kind;
	pthread_mutex_t lock;
	json_object *objs; /* "ns/name" -> cut-down object */
	char rv[RV_MAX];
};

int pd_cache_new(enum pd_cache_kind kind, struct pd_cache **ret)
{
	struct pd_cache *c = calloc(1, sizeof(*c));

	if (!c || !(c->objs = json_object_new_object())) {
		free(c);
		return -ENOMEM;
	}
	c->kind = kind;
	pthread_mutex_init(&c->lock, NULL);
	*ret = c;
	return 0;
}

void pd_cache_free(struct pd_cache *c)
{
	if (!c)
		return;
	json_object_put(c->objs);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void copy_key(json_object *from, json_object *to, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(from, key, &v))
		json_object_object_add(to, key, json_object_get(v));
}

/* what selection reads of obj, and its key; NULL when it has no
 * namespace/name of valid form */
static json_object *cut(const struct pd_cache *c, json_object *obj,
			char key[KEY_MAX])
{
	json_object *md, *spec, *out, *omd, *ospec;
	const char *ns = NULL, *name = NULL;

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "metadata", &md) ||
	    cni_json_get_string(md, "namespace", NULL, &ns, NULL) ||
	    cni_json_get_string(md, "name", NULL, &name, NULL) ||
	    !k8s_name_is_label(ns) || !k8s_name_is_subdomain(name))
		return NULL;
	snprintf(key, KEY_MAX, "%s/%s", ns, name);
	out = json_object_new_object();
	omd = json_object_new_object();
	if (!out || !omd) {
		json_object_put(out);
		json_object_put(omd);
		return NULL;
	}
	json_object_object_add(out, "apiVersion",
			       json_object_new_string(c->kind == PD_CACHE_PODS
							      ? "v1"
							      : "k8s.cni.cncf."
								"io/v1"));
	json_object_object_add(out, "kind",
			       json_object_new_string(c->kind == PD_CACHE_PODS
							      ? "Pod"
							      : "NetworkAttachm"
								"entDefinitio"
								"n"));
	json_object_object_add(out, "metadata", omd);
	for (const char *const *k =
		     (const char *const[]){ "namespace", "name", "uid",
					    "resourceVersion", "annotations",
					    NULL };
	     *k; k++)
		copy_key(md, omd, *k);
	if (c->kind == PD_CACHE_NADS &&
	    json_object_object_get_ex(obj, "spec", &spec) &&
	    (ospec = json_object_new_object())) {
		copy_key(spec, ospec, "config");
		json_object_object_add(out, "spec", ospec);
	}
	return out;
}

int pd_cache_relist(struct pd_cache *c, json_object *items, const char *rv,
		    struct cni_err *err)
{
	json_object *objs = json_object_new_object(), *o;
	char key[KEY_MAX];
	size_t n = json_object_array_length(items);

	if (!objs)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	for (size_t i = 0; i < n; i++) {
		o = cut(c, json_object_array_get_idx(items, i), key);
		if (!o) {
			json_object_put(objs);
			return cni_errf(err, KE,
					"list: items[%zu] has no valid "
					"metadata.namespace/name",
					i);
		}
		json_object_object_add(objs, key, o);
	}
	pthread_mutex_lock(&c->lock);
	json_object_put(c->objs);
	c->objs = objs;
	snprintf(c->rv, sizeof(c->rv), "%s", rv ? rv : "");
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static const char *obj_rv(json_object *obj)
{
	json_object *md;
	const char *rv = NULL;

	if (json_object_object_get_ex(obj, "metadata", &md))
		cni_json_get_string(md, "resourceVersion", NULL, &rv, NULL);
	return rv;
}

/* an ERROR event: -ESTALE for 410, else -EINVAL */
static int event_error(json_object *obj, struct cni_err *err)
{
	json_object *code;
	const char *msg = NULL;

	if (json_object_object_get_ex(obj, "code", &code) &&
	    json_object_is_type(code, json_type_int) &&
	    json_object_get_int(code) == STATUS_GONE) {
		cni_errf(err, KE, "watch: resourceVersion expired (410)");
		return -ESTALE;
	}
	cni_json_get_string(obj, "message", NULL, &msg, NULL);
	cni_errf(err, KE, "watch: ERROR event: %.200s",
		 msg ? msg : "(no message)");
	return -EINVAL;
}

static int event_apply(struct pd_cache *c, const char *type, json_object *obj,
		       struct cni_err *err)
{
	const char *rv = obj_rv(obj);
	json_object *o = NULL;
	char key[KEY_MAX];
	bool del = !strcmp(type, "DELETED");

	if (!rv || strlen(rv) >= RV_MAX)
		return cni_errf(err, KE,
				"%s: %s without metadata.resourceVersion",
				LINE_WHAT, type);
	if (strcmp(type, "BOOKMARK")) {
		if (strcmp(type, "ADDED") && strcmp(type, "MODIFIED") && !del)
			return cni_errf(err, KE, "%s: unknown type \"%.32s\"",
					LINE_WHAT, type);
		o = cut(c, obj, key);
		if (!o)
			return cni_errf(err, KE,
					"%s: %s without a valid "
					"metadata.namespace/name",
					LINE_WHAT, type);
	}
	pthread_mutex_lock(&c->lock);
	if (o && del)
		json_object_object_del(c->objs, key);
	else if (o)
		json_object_object_add(c->objs, key, json_object_get(o));
	snprintf(c->rv, sizeof(c->rv), "%s", rv);
	pthread_mutex_unlock(&c->lock);
	json_object_put(o);
	return 0;
}

static int event_bad(struct cni_err *err)
{
	cni_errf(err, KE, "%s: not {\"type\", \"object\"}", LINE_WHAT);
	return -EINVAL;
}

int pd_cache_event(struct pd_cache *c, const char *line, size_t len,
		   struct cni_err *err)
{
	json_object *ev = NULL, *obj;
	const char *type = NULL;
	int r;

	r = cni_json_parse_max(line, len, K8S_RESPONSE_MAX, LINE_WHAT, &ev,
			       err);
	if (r < 0)
		return -EINVAL;
	if (!json_object_is_type(ev, json_type_object) ||
	    cni_json_get_string(ev, "type", NULL, &type, NULL) ||
	    !json_object_object_get_ex(ev, "object", &obj) ||
	    !json_object_is_type(obj, json_type_object))
		r = event_bad(err);
	else if (!strcmp(type, "ERROR"))
		r = event_error(obj, err);
	else
		r = event_apply(c, type, obj, err) ? -EINVAL : 0;
	json_object_put(ev);
	return r;
}

void pd_cache_rv(struct pd_cache *c, char *buf, size_t size)
{
	pthread_mutex_lock(&c->lock);
	snprintf(buf, size, "%s", c->rv);
	pthread_mutex_unlock(&c->lock);
}

int pd_cache_get(struct pd_cache *c, const char *ns, const char *name,
		 const char *uid, char **ret_json)
{
	json_object *o, *md, *u;
	char key[KEY_MAX];
	char *text = NULL;
	int r = 0;

	snprintf(key, sizeof(key), "%s/%s", ns, name);
	pthread_mutex_lock(&c->lock);
	if (!json_object_object_get_ex(c->objs, key, &o))
		r = -ENOENT;
	else if (uid && (!json_object_object_get_ex(o, "metadata", &md) ||
			 !json_object_object_get_ex(md, "uid", &u) ||
			 strcmp(json_object_get_string(u), uid)))
		r = -ESTALE;
	else if (!(text = strdup(json_object_to_json_string_ext(
			   o, JSON_C_TO_STRING_PLAIN |
				      JSON_C_TO_STRING_NOSLASHESCAPE))))
		r = -ENOMEM;
	pthread_mutex_unlock(&c->lock);
	if (r == 0)
		*ret_json = text;
	return r;
}

size_t pd_cache_size(struct pd_cache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = (size_t)json_object_object_length(c->objs);
	pthread_mutex_unlock(&c->lock);
	return n;
}
