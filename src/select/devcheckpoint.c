/* SPDX-License-Identifier: Apache-2.0 */
/* Device IDs from kubelet's device-manager checkpoint, for NADs that
 * carry k8s.v1.cni.cncf.io/resourceName (as Multus reads them). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "devcheckpoint.h"

struct dev_res {
	char *name;
	char **ids;
	size_t n, next;
};

struct dev_pool {
	struct dev_res *res;
	size_t n;
};

void dev_pool_free(struct dev_pool *pool)
{
	if (!pool)
		return;
	for (size_t i = 0; i < pool->n; i++) {
		for (size_t k = 0; k < pool->res[i].n; k++)
			free(pool->res[i].ids[k]);
		free(pool->res[i].ids);
		free(pool->res[i].name);
	}
	free(pool->res);
	free(pool);
}

static struct dev_res *res_get(struct dev_pool *pool, const char *name)
{
	struct dev_res *r;

	for (size_t i = 0; i < pool->n; i++)
		if (!strcmp(pool->res[i].name, name))
			return &pool->res[i];
	r = realloc(pool->res, (pool->n + 1) * sizeof(*r));
	if (!r)
		return NULL;
	pool->res = r;
	r = &pool->res[pool->n];
	memset(r, 0, sizeof(*r));
	r->name = strdup(name);
	if (!r->name)
		return NULL;
	pool->n++;
	return r;
}

static int ids_add(struct dev_res *r, json_object *list)
{
	size_t n = json_object_array_length(list);
	char **ids;

	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(list, i),
					 json_type_string))
			return -EINVAL;
	ids = realloc(r->ids, (r->n + n + 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	r->ids = ids;
	for (size_t i = 0; i < n; i++) {
		ids[r->n] = strdup(json_object_get_string(
			json_object_array_get_idx(list, i)));
		if (!ids[r->n])
			return -ENOMEM;
		r->n++;
	}
	return 0;
}

/* DeviceIDs: ["a", ...] (old kubelets) or {"<numa>": ["a", ...]}. */
static int entry_add(struct dev_pool *pool, const char *res, json_object *d)
{
	struct dev_res *r = res_get(pool, res);
	int ret = 0;

	if (!r)
		return -ENOMEM;
	if (json_object_is_type(d, json_type_array))
		return ids_add(r, d);
	if (!json_object_is_type(d, json_type_object))
		return -EINVAL;
	json_object_object_foreach (d, numa, list) {
		(void)numa;
		if (ret == 0)
			ret = json_object_is_type(list, json_type_array)
				      ? ids_add(r, list)
				      : -EINVAL;
	}
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int entries_read(struct dev_pool *pool, json_object *entries,
			const char *pod_uid)
{
	for (size_t i = 0; i < json_object_array_length(entries); i++) {
		json_object *e = json_object_array_get_idx(entries, i);
		const char *uid = NULL, *res = NULL;
		json_object *ids = NULL;
		int r;

		if (cni_json_get_string(e, "PodUID", "", &uid, NULL) ||
		    cni_json_get_string(e, "ResourceName", "", &res, NULL) ||
		    !json_object_object_get_ex(e, "DeviceIDs", &ids))
			return -EINVAL;
		if (strcmp(uid, pod_uid) || !ids)
			continue;
		r = entry_add(pool, res, ids);
		if (r)
			return r;
	}
	for (size_t i = 0; i < pool->n; i++)
		if (pool->res[i].n > 0) /* qsort's base may not be NULL */
			qsort(pool->res[i].ids, pool->res[i].n, sizeof(char *),
			      cmp_str);
	return 0;
}

int dev_checkpoint_parse(const char *buf, size_t len, const char *pod_uid,
			 struct dev_pool **ret, struct cni_err *err)
{
	json_object *doc = NULL, *data, *entries = NULL;
	struct dev_pool *pool;
	int r;

	r = cni_json_parse(buf, len, "device checkpoint", &doc, err);
	if (r)
		return r;
	pool = calloc(1, sizeof(*pool));
	if (!pool) {
		json_object_put(doc);
		return -ENOMEM;
	}
	if (json_object_object_get_ex(doc, "Data", &data) &&
	    json_object_object_get_ex(data, "PodDeviceEntries", &entries) &&
	    entries && !json_object_is_type(entries, json_type_array))
		r = -EINVAL;
	else if (entries)
		r = entries_read(pool, entries, pod_uid);
	json_object_put(doc);
	if (r) {
		dev_pool_free(pool);
		return r == -ENOMEM ? cni_errf(err, CNI_ERR_IO, "out of memory")
				    : cni_errf(err, CNI_ERR_DECODE,
					       "device checkpoint: "
					       "PodDeviceEntries has the wrong "
					       "types");
	}
	*ret = pool;
	return 0;
}

int dev_checkpoint_load(const char *path, const char *pod_uid,
			struct dev_pool **ret, struct cni_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int r = cni_read_file(path, &buf, &len, err);

	if (r == -ENOENT) {
		*ret = calloc(1, sizeof(**ret));
		if (err)
			err->code = 0;
		return *ret ? 0 : -ENOMEM;
	}
	if (r)
		return r;
	r = dev_checkpoint_parse(buf, len, pod_uid, ret, err);
	if (r)
		cni_err_prefix(err, "%s", path);
	free(buf);
	return r;
}

const char *dev_pool_take(struct dev_pool *pool, const char *resource)
{
	for (size_t i = 0; pool && i < pool->n; i++) {
		struct dev_res *r = &pool->res[i];

		if (!strcmp(r->name, resource))
			return r->next < r->n ? r->ids[r->next++] : NULL;
	}
	return NULL;
}
