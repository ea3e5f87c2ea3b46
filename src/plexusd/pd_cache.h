/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_CACHE_H
#define PLEXUS_PD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

struct cni_err;

/* One warm cache: the objects of one resource (this node's pods, the
 * NetworkAttachmentDefinitions, or the IPAMClaims) as a list and a watch
 * deliver them, keyed "namespace/name". Only what the reader needs is
 * kept: a pod's namespace, name, uid, resourceVersion, annotations; a
 * NAD's those and spec.config; an IPAMClaim's namespace, name, uid,
 * resourceVersion, spec.network, spec.interface and status (what
 * plexus-ipam reads, and writes back with status.ips).
 * One mutex: the watch thread writes, the event loop reads. */
enum pd_cache_kind {
	PD_CACHE_PODS,
	PD_CACHE_NADS,
	PD_CACHE_CLAIMS,
};

struct pd_cache;

int pd_cache_new(enum pd_cache_kind kind, struct pd_cache **ret);
void pd_cache_free(struct pd_cache *c);

/* Each object is kept as its JSON text (what pd_cache_get returns).
 * A list answer in pages: pd_cache_list_add cuts each page's items into
 * a new table as it arrives (the page can be freed at once);
 * pd_cache_list_commit replaces every object with them at
 * resourceVersion rv and frees l (an object whose text did not change
 * is shared with the old table, not held twice). Code
 * CNI_ERR_KUBERNETES on an item without metadata.namespace/name. */
struct pd_cache_list;

int pd_cache_list_new(struct pd_cache *c, struct pd_cache_list **ret);
int pd_cache_list_add(struct pd_cache_list *l, json_object *items,
		      struct cni_err *err);
/* One item of a list answer as text (pd_list_scan hands them so): parsed,
 * cut into l and freed, so a page is never one tree. */
int pd_cache_list_item(struct pd_cache_list *l, const char *text, size_t len,
		       struct cni_err *err);
void pd_cache_list_commit(struct pd_cache_list *l, const char *rv);
void pd_cache_list_free(struct pd_cache_list *l);
/* The same in one call: every item of a list answer in one array. */
int pd_cache_relist(struct pd_cache *c, json_object *items, const char *rv,
		    struct cni_err *err);
/* One line of a watch stream ({"type": ..., "object": ...}): ADDED and
 * MODIFIED store, DELETED removes, BOOKMARK moves the resourceVersion.
 * An ERROR event with code 410 (the resourceVersion expired) is -ESTALE:
 * relist; any other ERROR, or a line that is not such an event, -EINVAL
 * with err set (nothing changed). */
int pd_cache_event(struct pd_cache *c, const char *line, size_t len,
		   struct cni_err *err);
/* The resourceVersion to resume from (a copy in buf; "" before a list). */
void pd_cache_rv(struct pd_cache *c, char *buf, size_t size);
/* The object ns/name as JSON text (malloc'ed) in *ret_json: 0; -ENOENT
 * when absent; with uid (pods) -ESTALE when the cached one has another
 * uid (never served). */
int pd_cache_get(struct pd_cache *c, const char *ns, const char *name,
		 const char *uid, char **ret_json);
size_t pd_cache_size(struct pd_cache *c);
/* A pod fetched by itself (a GET), cut down exactly as the cache cuts
 * it: 0 and the text pd_cache_get would serve in *ret_json; -ESTALE when
 * its uid is not uid (never served); -EINVAL when it is not the pod
 * ns/name; -ENOMEM. */
int pd_cache_pod_cut(json_object *pod, const char *ns, const char *name,
		     const char *uid, char **ret_json);
/* At most max objects kept (0, the default: no bound). Over it, a list
 * item or an ADDED/MODIFIED event of an object not cached already is
 * dropped and counted: pd_cache_get answers -ENOENT for it, so a lookup
 * goes direct and the cache never vouches for what it dropped. */
void pd_cache_set_max(struct pd_cache *c, size_t max);
/* Objects dropped over the bound so far; *ret_full (may be NULL): the
 * last list, or an event since, dropped one. */
unsigned long pd_cache_dropped(struct pd_cache *c, bool *ret_full);

#endif
