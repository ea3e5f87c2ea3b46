// SPDX-License-Identifier: Apache-2.0
/* plexusd's warm caches (pd_cache.h): objects cut down to what selection
 * reads, applied from list answers and watch events. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
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

/* one cached object: its key, uid and text in one allocation */
struct pd_obj {
	uint64_t hash;
	const char *uid;  /* in key[]; NULL without metadata.uid */
	const char *json; /* in key[] */
	char key[];	  /* "ns/name", uid, JSON text, each NUL-ended */
};

/* open addressing, linear probing, deletion by backward shift */
struct pd_tab {
	struct pd_obj **slot;
	size_t cap; /* 0 or a power of 2 */
	size_t n;
};

struct pd_cache {
	enum pd_cache_kind kind;
	pthread_mutex_t lock;
	struct pd_tab objs; /* "ns/name" -> cut-down object */
	char rv[RV_MAX];
	size_t max;	       /* objects kept at most; 0: no bound */
	unsigned long dropped; /* objects not kept over max */
	bool full;	       /* the last list or event dropped one */
};

static uint64_t key_hash(const char *key)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return h;
}

/* the slot of key, or the empty slot where it would go (cap > n) */
static size_t tab_find(const struct pd_tab *t, const char *key, uint64_t h)
{
	size_t i = h & (t->cap - 1);

	while (t->slot[i] &&
	       (t->slot[i]->hash != h || strcmp(t->slot[i]->key, key)))
		i = (i + 1) & (t->cap - 1);
	return i;
}

static int tab_grow(struct pd_tab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 16;
	struct pd_obj **slot = calloc(cap, sizeof(*slot));
	struct pd_tab nt = { slot, cap, t->n };

	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i])
			slot[tab_find(&nt, t->slot[i]->key, t->slot[i]->hash)] =
				t->slot[i];
	free(t->slot);
	*t = nt;
	return 0;
}

/* store o (owned by t from then on), replacing the one of its key */
static int tab_put(struct pd_tab *t, struct pd_obj *o)
{
	size_t i;

	if ((t->n + 1) * 4 > t->cap * 3 && tab_grow(t) < 0)
		return -ENOMEM;
	i = tab_find(t, o->key, o->hash);
	if (t->slot[i])
		free(t->slot[i]);
	else
		t->n++;
	t->slot[i] = o;
	return 0;
}

static const struct pd_obj *tab_get(const struct pd_tab *t, const char *key)
{
	return t->cap ? t->slot[tab_find(t, key, key_hash(key))] : NULL;
}

/* the object of key taken out of t (NULL: none) */
static struct pd_obj *tab_take(struct pd_tab *t, const char *key)
{
	size_t i, j, home, mask = t->cap - 1;
	struct pd_obj *o;

	if (!t->cap || !t->slot[i = tab_find(t, key, key_hash(key))])
		return NULL;
	o = t->slot[i];
	t->slot[i] = NULL;
	t->n--;
	/* move back each later entry of the run that may sit at i */
	for (j = (i + 1) & mask; t->slot[j]; j = (j + 1) & mask) {
		home = t->slot[j]->hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slot[i] = t->slot[j];
			t->slot[j] = NULL;
			i = j;
		}
	}
	return o;
}

static void tab_del(struct pd_tab *t, const char *key)
{
	free(tab_take(t, key));
}

/* a new key in t, which holds max already (max 0: no bound) */
static bool over_bound(const struct pd_tab *t, size_t max, const char *key)
{
	return max && t->n >= max && !tab_get(t, key);
}

/* empty t, freeing each object but those keep holds (the same pointer:
 * a relist shares an unchanged object between its table and the old) */
static void tab_clear_but(struct pd_tab *t, const struct pd_tab *keep)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i] &&
		    (!keep || tab_get(keep, t->slot[i]->key) != t->slot[i]))
			free(t->slot[i]);
	free(t->slot);
	*t = (struct pd_tab){ 0 };
}

static void tab_clear(struct pd_tab *t)
{
	tab_clear_but(t, NULL);
}

int pd_cache_new(enum pd_cache_kind kind, struct pd_cache **ret)
{
	struct pd_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->kind = kind;
	pthread_mutex_init(&c->lock, NULL);
	*ret = c;
	return 0;
}

void pd_cache_free(struct pd_cache *c)
{
	if (!c)
		return;
	tab_clear(&c->objs);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* the start of every served object, up to its metadata */
static const char *head(const struct pd_cache *c)
{
	if (c->kind == PD_CACHE_CLAIMS)
		return "{\"apiVersion\":\"k8s.cni.cncf.io/v1alpha1\","
		       "\"kind\":\"IPAMClaim\",";
	return c->kind == PD_CACHE_PODS
		       ? "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
		       : "{\"apiVersion\":\"k8s.cni.cncf.io/v1\","
			 "\"kind\":\"NetworkAttachmentDefinition\",";
}

static void copy_key(json_object *from, json_object *to, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(from, key, &v))
		json_object_object_add(to, key, json_object_get(v));
}

/* a claim's spec.network and spec.interface, and its status whole (a
 * status write sends it back, so nothing of it may be lost) */
static void cut_claim(json_object *obj, json_object *out)
{
	json_object *spec, *ospec;

	if (json_object_object_get_ex(obj, "spec", &spec) &&
	    (ospec = json_object_new_object())) {
		copy_key(spec, ospec, "network");
		copy_key(spec, ospec, "interface");
		json_object_object_add(out, "spec", ospec);
	}
	copy_key(obj, out, "status");
}

/* what selection reads of obj but apiVersion and kind (the same for
 * every object: head() adds them when served), and its key; NULL when
 * it has no namespace/name of valid form */
static json_object *cut_tree(const struct pd_cache *c, json_object *obj,
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
	json_object_object_add(out, "metadata", omd);
	for (const char *const *k =
		     (const char *const[]){ "namespace", "name", "uid",
					    "resourceVersion", "annotations",
					    NULL };
	     *k; k++)
		if (c->kind != PD_CACHE_CLAIMS || strcmp(*k, "annotations"))
			copy_key(md, omd, *k);
	if (c->kind == PD_CACHE_CLAIMS)
		cut_claim(obj, out);
	if (c->kind == PD_CACHE_NADS &&
	    json_object_object_get_ex(obj, "spec", &spec) &&
	    (ospec = json_object_new_object())) {
		copy_key(spec, ospec, "config");
		json_object_object_add(out, "spec", ospec);
	}
	return out;
}

/* key, uid and text of the tree as one allocation */
static struct pd_obj *obj_new(const char *key, json_object *tree)
{
	json_object *md, *u;
	const char *uid = NULL, *json;
	size_t kl = strlen(key) + 1, ul, jl;
	struct pd_obj *o;

	if (json_object_object_get_ex(tree, "metadata", &md) &&
	    json_object_object_get_ex(md, "uid", &u))
		uid = json_object_get_string(u);
	json = json_object_to_json_string_ext(
		tree, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!json)
		return NULL;
	ul = uid ? strlen(uid) + 1 : 0;
	jl = strlen(json) + 1;
	o = malloc(sizeof(*o) + kl + ul + jl);
	if (!o)
		return NULL;
	o->hash = key_hash(key);
	memcpy(o->key, key, kl);
	o->uid = uid ? memcpy(o->key + kl, uid, ul) : NULL;
	o->json = memcpy(o->key + kl + ul, json, jl);
	return o;
}

/* obj cut down and stored as text; NULL when it has no namespace/name
 * of valid form (*ret_nomem false) or out of memory (true) */
static struct pd_obj *cut(const struct pd_cache *c, json_object *obj,
			  bool *ret_nomem)
{
	char key[KEY_MAX];
	json_object *tree = cut_tree(c, obj, key);
	struct pd_obj *o = tree ? obj_new(key, tree) : NULL;

	*ret_nomem = tree && !o;
	json_object_put(tree);
	return o;
}

struct pd_cache_list {
	struct pd_cache *c;
	struct pd_tab objs;
	size_t seen;	       /* items added so far */
	unsigned long dropped; /* items over the cache's bound */
};

int pd_cache_list_new(struct pd_cache *c, struct pd_cache_list **ret)
{
	struct pd_cache_list *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->c = c;
	*ret = l;
	return 0;
}

void pd_cache_list_free(struct pd_cache_list *l)
{
	if (!l)
		return;
	tab_clear_but(&l->objs, &l->c->objs);
	free(l);
}

/* o, or the cached object of its key when that has the same text (then
 * o is freed and the cached one shared with the list until the commit:
 * a relist holds only the objects that changed twice). Only the watch
 * thread changes c->objs, and it is the one listing. */
static struct pd_obj *list_share(struct pd_cache *c, struct pd_obj *o)
{
	const struct pd_obj *old = tab_get(&c->objs, o->key);

	if (!old || strcmp(old->json, o->json) ||
	    (old->uid == NULL) != (o->uid == NULL) ||
	    (old->uid && strcmp(old->uid, o->uid)))
		return o;
	free(o);
	return (struct pd_obj *)old;
}

/* o into the list's table; an object it replaces, or o when it cannot
 * be stored, is freed unless the cache holds it */
static int tab_put_list(struct pd_cache_list *l, struct pd_obj *o)
{
	struct pd_obj *prev = tab_take(&l->objs, o->key);
	int r;

	if (prev && prev != o && tab_get(&l->c->objs, prev->key) != prev)
		free(prev);
	r = tab_put(&l->objs, o);
	if (r < 0 && tab_get(&l->c->objs, o->key) != o)
		free(o);
	return r;
}

/* one list item cut into l's table (or dropped over the bound) */
static int list_put(struct pd_cache_list *l, json_object *item,
		    struct cni_err *err)
{
	bool nomem;
	struct pd_obj *o = cut(l->c, item, &nomem);

	l->seen++;
	if (!o && nomem)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	if (!o)
		return cni_errf(err, KE,
				"list: items[%zu] has no valid "
				"metadata.namespace/name",
				l->seen - 1);
	if (over_bound(&l->objs, l->c->max, o->key)) {
		free(o);
		l->dropped++;
		return 0;
	}
	o = list_share(l->c, o);
	if (tab_put_list(l, o) < 0)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	return 0;
}

int pd_cache_list_add(struct pd_cache_list *l, json_object *items,
		      struct cni_err *err)
{
	size_t n = json_object_array_length(items);
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++)
		r = list_put(l, json_object_array_get_idx(items, i), err);
	return r;
}

int pd_cache_list_item(struct pd_cache_list *l, const char *text, size_t len,
		       struct cni_err *err)
{
	struct cni_err perr = { 0 };
	json_object *item = NULL;
	int r;

	if (cni_json_parse_max(text, len, K8S_RESPONSE_MAX, "list item", &item,
			       &perr))
		return cni_errf(err, KE, "list: items[%zu]: %s", l->seen,
				perr.msg);
	r = list_put(l, item, err);
	json_object_put(item);
	return r;
}

void pd_cache_list_commit(struct pd_cache_list *l, const char *rv)
{
	struct pd_cache *c = l->c;
	struct pd_tab old;

	pthread_mutex_lock(&c->lock);
	old = c->objs;
	c->objs = l->objs;
	c->dropped += l->dropped;
	c->full = l->dropped > 0;
	snprintf(c->rv, sizeof(c->rv), "%s", rv ? rv : "");
	pthread_mutex_unlock(&c->lock);
	tab_clear_but(&old, &c->objs);
	free(l);
}

int pd_cache_relist(struct pd_cache *c, json_object *items, const char *rv,
		    struct cni_err *err)
{
	struct pd_cache_list *l = NULL;
	int r = pd_cache_list_new(c, &l);

	if (r < 0)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	r = pd_cache_list_add(l, items, err);
	if (r < 0) {
		pd_cache_list_free(l);
		return r;
	}
	pd_cache_list_commit(l, rv);
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
	struct pd_obj *o = NULL;
	bool del = !strcmp(type, "DELETED"), nomem = false;
	int r = 0;

	if (!rv || strlen(rv) >= RV_MAX)
		return cni_errf(err, KE,
				"%s: %s without metadata.resourceVersion",
				LINE_WHAT, type);
	if (strcmp(type, "BOOKMARK")) {
		if (strcmp(type, "ADDED") && strcmp(type, "MODIFIED") && !del)
			return cni_errf(err, KE, "%s: unknown type \"%.32s\"",
					LINE_WHAT, type);
		o = cut(c, obj, &nomem);
		if (!o && nomem)
			return cni_errf(err, CNI_ERR_IO, "out of memory");
		if (!o)
			return cni_errf(err, KE,
					"%s: %s without a valid "
					"metadata.namespace/name",
					LINE_WHAT, type);
	}
	pthread_mutex_lock(&c->lock);
	if (o && !del && over_bound(&c->objs, c->max, o->key)) {
		c->dropped++;
		c->full = true;
		del = true; /* not kept: o is freed below */
	} else if (o && del) {
		tab_del(&c->objs, o->key);
	} else if (o) {
		r = tab_put(&c->objs, o);
	}
	if (r == 0)
		snprintf(c->rv, sizeof(c->rv), "%s", rv);
	pthread_mutex_unlock(&c->lock);
	if (del || r < 0)
		free(o);
	return r < 0 ? cni_errf(err, CNI_ERR_IO, "out of memory") : 0;
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
	const struct pd_obj *o;
	char key[KEY_MAX];
	char *text = NULL;
	int r = 0;

	snprintf(key, sizeof(key), "%s/%s", ns, name);
	pthread_mutex_lock(&c->lock);
	o = tab_get(&c->objs, key);
	if (!o)
		r = -ENOENT;
	else if (uid && (!o->uid || strcmp(o->uid, uid)))
		r = -ESTALE;
	else if (asprintf(&text, "%s%s", head(c), o->json + 1) < 0)
		r = -ENOMEM;
	pthread_mutex_unlock(&c->lock);
	if (r == 0)
		*ret_json = text;
	return r;
}

int pd_cache_pod_cut(json_object *pod, const char *ns, const char *name,
		     const char *uid, char **ret_json)
{
	const struct pd_cache pods = { .kind = PD_CACHE_PODS };
	char key[KEY_MAX], want[KEY_MAX];
	json_object *tree = cut_tree(&pods, pod, key);
	struct pd_obj *o = tree ? obj_new(key, tree) : NULL;
	char *text = NULL;
	int r = 0;

	snprintf(want, sizeof(want), "%s/%s", ns, name);
	if (!tree || strcmp(key, want))
		r = -EINVAL;
	else if (!o)
		r = -ENOMEM;
	else if (!o->uid || strcmp(o->uid, uid))
		r = -ESTALE;
	else if (asprintf(&text, "%s%s", head(&pods), o->json + 1) < 0)
		r = -ENOMEM;
	free(o);
	json_object_put(tree);
	if (r == 0)
		*ret_json = text;
	return r;
}

void pd_cache_set_max(struct pd_cache *c, size_t max)
{
	pthread_mutex_lock(&c->lock);
	c->max = max;
	pthread_mutex_unlock(&c->lock);
}

unsigned long pd_cache_dropped(struct pd_cache *c, bool *ret_full)
{
	unsigned long n;

	pthread_mutex_lock(&c->lock);
	n = c->dropped;
	if (ret_full)
		*ret_full = c->full;
	pthread_mutex_unlock(&c->lock);
	return n;
}

size_t pd_cache_size(struct pd_cache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->objs.n;
	pthread_mutex_unlock(&c->lock);
	return n;
}
