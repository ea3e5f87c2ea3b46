/* SPDX-License-Identifier: Apache-2.0 */
/* Store lookup by type and the thin wrappers over the ops table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "store.h"

static const struct ipam_store_ops *const stores[] = {
	&file_store,
	&etcd_store,
	&kubernetes_store,
};

int ipam_store_open(json_object *conf, struct ipam_store **ret,
		    struct cni_err *err)
{
	const char *type = "file";
	size_t i;
	int rc;

	if (conf) {
		rc = cni_json_get_string(conf, "type", "ipam.store.type", &type,
					 err);
		if (rc < 0 && rc != -ENOENT)
			return rc;
	}
	for (i = 0; i < sizeof(stores) / sizeof(stores[0]); i++)
		if (strcmp(stores[i]->name, type) == 0)
			return stores[i]->open(conf, ret, err);
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			"ipam.store.type: unknown store \"%s\" (file, etcd, "
			"kubernetes)",
			type);
}

void ipam_store_close(struct ipam_store *st)
{
	if (st)
		st->ops->close(st);
}

int ipam_store_get(struct ipam_store *st, const char *key, char **ret_val,
		   size_t *ret_len, uint64_t *ret_ver, struct cni_err *err)
{
	return st->ops->get(st, key, ret_val, ret_len, ret_ver, err);
}

int ipam_store_put_if(struct ipam_store *st, const char *key, const char *val,
		      size_t len, uint64_t ver, uint64_t *ret_ver,
		      struct cni_err *err)
{
	return st->ops->put_if(st, key, val, len, ver, ret_ver, err);
}

int ipam_store_del_if(struct ipam_store *st, const char *key, uint64_t ver,
		      struct cni_err *err)
{
	return st->ops->del_if(st, key, ver, err);
}

int ipam_store_list(struct ipam_store *st, const char *prefix, bool keys_only,
		    struct ipam_kv **ret, size_t *ret_n, struct cni_err *err)
{
	return st->ops->list(st, prefix, keys_only, ret, ret_n, err);
}

void ipam_kv_free(struct ipam_kv *kv, size_t n)
{
	size_t i;

	if (!kv)
		return;
	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].val);
	}
	free(kv);
}

static ipam_store_request_fn request_hook;

void ipam_store_set_request_hook(ipam_store_request_fn fn)
{
	request_hook = fn;
}

void ipam_store_request_done(const char *store, const char *op, long code,
			     double secs)
{
	if (request_hook)
		request_hook(store, op, code, secs);
}

bool ipam_key_safe(const char *s)
{
	const char *p;

	if (!s || !*s || *s == '.')
		return false;
	for (p = s; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == ':' || c == '-'))
			return false;
	}
	return true;
}
