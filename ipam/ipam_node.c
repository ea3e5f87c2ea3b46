/* SPDX-License-Identifier: Apache-2.0 */
/* Node-side plexus-ipam settings (store definitions, node name): read
 * from the node only, never from a plugin config. docs/security.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni_error.h"
#include "cni_json.h"
#include "ipam_node.h"

#define WHERE                                                      \
	"the node's plexus-ipam settings (" IPAM_NODE_CONF_DEFAULT \
	", or plexus' \"ipamNodeConfig\")"

int ipam_node_only_check(json_object *ipam, const char **ret_store_name,
			 struct cni_err *err)
{
	json_object *v;

	*ret_store_name = NULL;
	if (json_object_object_get_ex(ipam, "nodeName", NULL)) {
		cni_errf(err, CNI_ERR_INVALID_CONFIG,
			 "ipam.nodeName: a node-only setting, not taken from "
			 "a network config: set it in %s or NODE_NAME",
			 WHERE);
		return -EPERM;
	}
	for (const char *const *k =
		     (const char *const[]){ "storeSocket", "plexusdSocket",
					    NULL };
	     *k; k++)
		if (json_object_object_get_ex(ipam, *k, NULL)) {
			cni_errf(err, CNI_ERR_INVALID_CONFIG,
				 "ipam.%s: a node-only setting, not taken "
				 "from a network config: set it in %s",
				 *k, WHERE);
			return -EPERM;
		}
	if (!json_object_object_get_ex(ipam, "store", &v))
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		cni_errf(err, CNI_ERR_INVALID_CONFIG,
			 "ipam.store: a store definition (type, path, lockDir, "
			 "endpoints, TLS files, kubeconfig, prefix) is a "
			 "node-only setting, not taken from a network config: "
			 "define it in %s and name it here "
			 "(\"store\": \"<name>\")",
			 WHERE);
		return -EPERM;
	}
	*ret_store_name = json_object_get_string(v);
	return 0;
}

static int check_stores(json_object *stores, const char *what,
			struct cni_err *err)
{
	json_object_object_foreach (stores, name, def) {
		if (!json_object_is_type(def, json_type_object))
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s: stores.%s: not an object", what,
					name);
	}
	return 0;
}

/* callTimeout: seconds, 1..3600, like plexus' delegateTimeout. */
static int call_timeout_check(json_object *root, const char *what,
			      struct cni_err *err)
{
	int64_t t;
	int rc = cni_json_get_int(root, "callTimeout", "callTimeout", &t, err);

	if (rc == -ENOENT)
		return 0;
	if (rc == 0 && (t < 1 || t > 3600))
		rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
			      "%s: callTimeout: %lld is outside 1..3600 "
			      "seconds",
			      what, (long long)t);
	return rc;
}

int ipam_node_call_timeout_ms(json_object *root)
{
	json_object *v;

	if (root && json_object_object_get_ex(root, "callTimeout", &v) &&
	    json_object_is_type(v, json_type_int))
		return json_object_get_int(v) * 1000;
	return IPAM_CALL_TIMEOUT_S_DEFAULT * 1000;
}

/* storeSocket, plexusdSocket: absent, or an absolute path that fits a
 * sockaddr_un */
static int socket_check(json_object *root, const char *key, const char *what,
			struct cni_err *err)
{
	const char *s;
	int rc = cni_json_get_string(root, key, key, &s, err);

	if (rc == -ENOENT)
		return 0;
	if (rc == 0 && (s[0] != '/' || strlen(s) >= 108))
		rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
			      "%s: %s: \"%.64s\" is not an absolute path of "
			      "at most 107 bytes",
			      what, key, s);
	return rc;
}

static int check_root(json_object *root, const char *what, struct cni_err *err)
{
	json_object *v;
	const char *s;
	int rc;

	if (!json_object_is_type(root, json_type_object))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: not a JSON object", what);
	json_object_object_foreach (root, key, val) {
		(void)val;
		if (strcmp(key, "store") && strcmp(key, "stores") &&
		    strcmp(key, "nodeName") && strcmp(key, "callTimeout") &&
		    strcmp(key, "kubeconfig") && strcmp(key, "storeSocket") &&
		    strcmp(key, "plexusdSocket"))
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s: unknown key \"%s\" (store, "
					"stores, nodeName, callTimeout, "
					"kubeconfig, storeSocket, "
					"plexusdSocket)",
					what, key);
	}
	rc = call_timeout_check(root, what, err);
	if (rc < 0)
		return rc;
	rc = cni_json_get_object(root, "store", "store", &v, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = cni_json_get_string(root, "nodeName", "nodeName", &s, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = cni_json_get_string(root, "kubeconfig", "kubeconfig", &s, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = socket_check(root, "storeSocket", what, err);
	if (rc < 0)
		return rc;
	rc = socket_check(root, "plexusdSocket", what, err);
	if (rc < 0)
		return rc;
	rc = cni_json_get_object(root, "stores", "stores", &v, err);
	if (rc == -ENOENT)
		return 0;
	return rc < 0 ? rc : check_stores(v, what, err);
}

int ipam_node_parse(const char *buf, size_t len, const char *what,
		    json_object **ret, struct cni_err *err)
{
	json_object *root;
	int rc = cni_json_parse(buf, len, what, &root, err);

	if (rc < 0)
		return rc;
	rc = check_root(root, what, err);
	if (rc < 0) {
		if (err && err->msg[0] && !strstr(err->msg, what))
			cni_err_prefix(err, "%s", what);
		json_object_put(root);
		return rc;
	}
	*ret = root;
	return 0;
}

/* A file only root (or this process' own user) can have written. */
static int trusted_file(int fd, const char *path, struct cni_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return cni_errf(err, CNI_ERR_IO, "%s: %s", path,
				strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: not a regular file", path);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: owned by uid %u, not root: not trusted",
				path, (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: writable by group or others (mode %03o): "
				"not trusted",
				path, (unsigned)(st.st_mode & 0777));
	return 0;
}

static int load_file(const char *path, json_object **ret, struct cni_err *err)
{
	size_t len;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int rc;

	if (fd < 0 && errno == ENOENT) {
		*ret = NULL;
		return 0;
	}
	if (fd < 0)
		return cni_errf(err, CNI_ERR_IO, "%s: %s", path,
				strerror(errno));
	rc = trusted_file(fd, path, err);
	if (rc == 0)
		rc = cni_read_fd(fd, path, &buf, &len, err);
	close(fd);
	if (rc < 0)
		return rc;
	rc = ipam_node_parse(buf, len, path, ret, err);
	free(buf);
	return rc;
}

static int load(json_object **ret, const char **ret_what, struct cni_err *err)
{
	const char *s = getenv(IPAM_NODE_INLINE_ENV);

	if (s && *s) {
		*ret_what = IPAM_NODE_INLINE_ENV;
		return ipam_node_parse(s, strlen(s), IPAM_NODE_INLINE_ENV, ret,
				       err);
	}
	s = getenv(IPAM_NODE_CONF_ENV);
	*ret_what = s && *s ? s : IPAM_NODE_CONF_DEFAULT;
	return load_file(*ret_what, ret, err);
}

static int pick_store(json_object *root, const char *what, const char *name,
		      json_object **ret, struct cni_err *err)
{
	json_object *stores = NULL;

	*ret = NULL;
	if (!name) {
		if (root)
			json_object_object_get_ex(root, "store", ret);
		return 0;
	}
	if (root)
		json_object_object_get_ex(root, "stores", &stores);
	if (!stores || !json_object_object_get_ex(stores, name, ret)) {
		cni_errf(err, CNI_ERR_INVALID_CONFIG,
			 "ipam.store: \"%.64s\" is not a store defined in %s "
			 "(\"stores\")",
			 name, root ? what : "any node settings");
		return -EPERM;
	}
	return 0;
}

int ipam_node_resolve(const char *store_name, json_object **ret_root,
		      json_object **ret_store, const char **ret_node,
		      struct cni_err *err)
{
	json_object *root = NULL, *store, *v;
	const char *what;
	int rc = load(&root, &what, err);

	if (rc == 0)
		rc = pick_store(root, what, store_name, &store, err);
	if (rc < 0) {
		json_object_put(root);
		return rc;
	}
	*ret_node = NULL;
	if (root && json_object_object_get_ex(root, "nodeName", &v))
		*ret_node = json_object_get_string(v);
	*ret_store = store;
	*ret_root = root;
	return 0;
}

int ipam_node_export(json_object *setting, const char *field,
		     struct cni_err *err)
{
	json_object *check;
	const char *text;
	int rc;

	if (json_object_is_type(setting, json_type_string)) {
		text = json_object_get_string(setting);
		if (!*text)
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s: empty path", field);
		unsetenv(IPAM_NODE_INLINE_ENV);
		return setenv(IPAM_NODE_CONF_ENV, text, 1) < 0 ? -errno : 0;
	}
	if (!json_object_is_type(setting, json_type_object))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: neither a file path nor an object", field);
	text = cni_json_str(setting);
	rc = ipam_node_parse(text, strlen(text), field, &check, err);
	if (rc < 0)
		return rc;
	json_object_put(check);
	return setenv(IPAM_NODE_INLINE_ENV, text, 1) < 0 ? -errno : 0;
}
