/* SPDX-License-Identifier: Apache-2.0 */
/* kubeconfig and in-cluster configuration for the Kubernetes client. No
 * message here ever quotes a token, a key or a certificate. */
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "k8s.h"
#include "yamljson.h"

#define KE CNI_ERR_KUBERNETES

void k8s_config_free(struct k8s_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->server);
	free(cfg->ca_file);
	free(cfg->ca_data);
	free(cfg->cert_file);
	free(cfg->cert_data);
	if (cfg->key_data)
		explicit_bzero(cfg->key_data, cfg->key_len);
	free(cfg->key_data);
	free(cfg->key_file);
	if (cfg->token)
		explicit_bzero(cfg->token, strlen(cfg->token));
	free(cfg->token);
	free(cfg->token_file);
	free(cfg);
}

static int b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int k8s_base64_decode(const char *in, size_t len, char **ret, size_t *ret_len)
{
	char *out = malloc(len / 4 * 3 + 4);
	size_t n = 0, pad = 0;
	unsigned acc = 0, bits = 0;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i], v;

		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		v = b64_val(c);
		if (v < 0 || pad) {
			free(out);
			return -EINVAL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	/* leftover bits must be zero padding of a whole quantum */
	if (bits >= 6 || pad > 2 || (acc & ((1u << bits) - 1))) {
		free(out);
		return -EINVAL;
	}
	out[n] = '\0';
	*ret = out;
	*ret_len = n;
	return 0;
}

/* The entry of list `key` whose "name" is name, and its `inner` object. */
static json_object *named(json_object *doc, const char *key, const char *name,
			  const char *inner)
{
	json_object *list, *o;

	if (!json_object_object_get_ex(doc, key, &list) ||
	    !json_object_is_type(list, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i), *n;

		if (json_object_object_get_ex(e, "name", &n) &&
		    json_object_is_type(n, json_type_string) &&
		    !strcmp(json_object_get_string(n), name))
			return json_object_object_get_ex(e, inner, &o) &&
					       json_object_is_type(
						       o, json_type_object)
				       ? o
				       : NULL;
	}
	return NULL;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !*json_object_get_string(v))
		return NULL;
	return json_object_get_string(v);
}

/* A path as given, or base_dir/path when relative. */
static int path_set(char **dst, const char *path, const char *base_dir,
		    struct cni_err *err)
{
	int r;

	if (!path)
		return 0;
	if (path[0] == '/' || !base_dir)
		r = (*dst = strdup(path)) ? 0 : -1;
	else
		r = asprintf(dst, "%s/%s", base_dir, path) < 0 ? -1 : 0;
	return r ? cni_errf(err, CNI_ERR_IO, "out of memory") : 0;
}

static int data_set(char **dst, size_t *dst_len, const char *b64,
		    const char *field, struct cni_err *err)
{
	int r;

	if (!b64)
		return 0;
	r = k8s_base64_decode(b64, strlen(b64), dst, dst_len);
	if (r == -ENOMEM)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	if (r)
		return cni_errf(err, KE, "kubeconfig: %s is not valid base64",
				field);
	return 0;
}

static int cluster_read(struct k8s_config *c, json_object *cl,
			const char *base_dir, struct cni_err *err)
{
	const char *server = str(cl, "server");
	json_object *v;

	if (!server)
		return cni_errf(err, KE,
				"kubeconfig: the cluster has no "
				"server");
	if (strncmp(server, "https://", 8))
		return cni_errf(err, KE,
				"kubeconfig: server \"%s\" is not "
				"https:// (plexus talks TLS only)",
				server);
	if (json_object_object_get_ex(cl, "insecure-skip-tls-verify", &v) &&
	    json_object_get_boolean(v))
		return cni_errf(err, KE,
				"kubeconfig: insecure-skip-tls-verify "
				"is refused: plexus always verifies TLS");
	c->server = strdup(server);
	if (!c->server)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	while (strlen(c->server) > 8 && c->server[strlen(c->server) - 1] == '/')
		c->server[strlen(c->server) - 1] = '\0';
	if (path_set(&c->ca_file, str(cl, "certificate-authority"), base_dir,
		     err))
		return -ENOMEM;
	return data_set(&c->ca_data, &c->ca_len,
			str(cl, "certificate-authority-data"),
			"certificate-authority-data", err);
}

static int user_read(struct k8s_config *c, json_object *u, const char *base_dir,
		     struct cni_err *err)
{
	if (json_object_object_get_ex(u, "exec", NULL) ||
	    json_object_object_get_ex(u, "auth-provider", NULL))
		if (!str(u, "token") && !str(u, "tokenFile") &&
		    !str(u, "client-certificate") &&
		    !str(u, "client-certificate-data"))
			return cni_errf(err, KE,
					"kubeconfig: exec and "
					"auth-provider credentials are not "
					"supported; use a token, a tokenFile "
					"or a client certificate");
	if (str(u, "token") && !(c->token = strdup(str(u, "token"))))
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	if (path_set(&c->token_file, str(u, "tokenFile"), base_dir, err) ||
	    path_set(&c->cert_file, str(u, "client-certificate"), base_dir,
		     err) ||
	    path_set(&c->key_file, str(u, "client-key"), base_dir, err) ||
	    data_set(&c->cert_data, &c->cert_len,
		     str(u, "client-certificate-data"),
		     "client-certificate-data", err) ||
	    data_set(&c->key_data, &c->key_len, str(u, "client-key-data"),
		     "client-key-data", err))
		return -EINVAL;
	if (!(c->cert_file || c->cert_data) != !(c->key_file || c->key_data))
		return cni_errf(err, KE,
				"kubeconfig: a client certificate "
				"needs its key and the other way round");
	return 0;
}

static struct k8s_config *config_new(void)
{
	struct k8s_config *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->connect_timeout_ms = K8S_CONNECT_TIMEOUT_MS;
	c->timeout_ms = K8S_TIMEOUT_MS;
	c->pod_retries = K8S_POD_RETRIES;
	c->retry_delay_ms = K8S_RETRY_DELAY_MS;
	return c;
}

static int kubeconfig_read(json_object *doc, const char *base_dir,
			   struct k8s_config *c, struct cni_err *err)
{
	const char *cur = str(doc, "current-context"), *cname, *uname;
	json_object *ctx, *cl, *u = NULL;
	int r;

	if (!cur)
		return cni_errf(err, KE, "kubeconfig: no current-context");
	ctx = named(doc, "contexts", cur, "context");
	if (!ctx)
		return cni_errf(err, KE,
				"kubeconfig: context \"%s\" not "
				"found",
				cur);
	cname = str(ctx, "cluster");
	uname = str(ctx, "user");
	cl = cname ? named(doc, "clusters", cname, "cluster") : NULL;
	if (!cl)
		return cni_errf(err, KE,
				"kubeconfig: context \"%s\": cluster "
				"\"%s\" not found",
				cur, cname ? cname : "");
	r = cluster_read(c, cl, base_dir, err);
	if (r)
		return r;
	if (uname && !(u = named(doc, "users", uname, "user")))
		return cni_errf(err, KE,
				"kubeconfig: context \"%s\": user "
				"\"%s\" not found",
				cur, uname);
	return u ? user_read(c, u, base_dir, err) : 0;
}

int k8s_kubeconfig_parse(const char *buf, size_t len, const char *base_dir,
			 struct k8s_config **ret, struct cni_err *err)
{
	json_object **docs = NULL;
	struct k8s_config *c;
	size_t n = 0;
	int r;

	r = yamljson_parse(buf, len, "kubeconfig", &docs, &n, err);
	if (r) {
		if (err)
			err->code = KE;
		return r;
	}
	c = config_new();
	if (!c)
		r = cni_errf(err, CNI_ERR_IO, "out of memory");
	else if (n != 1 || !json_object_is_type(docs[0], json_type_object))
		r = cni_errf(err, KE, "kubeconfig: not one YAML mapping");
	else
		r = kubeconfig_read(docs[0], base_dir, c, err);
	yamljson_docs_free(docs, n);
	if (r) {
		k8s_config_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int k8s_kubeconfig_load(const char *path, struct k8s_config **ret,
			struct cni_err *err)
{
	char *buf = NULL, *dir = strdup(path);
	size_t len = 0;
	int r;

	if (!dir)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	r = cni_read_file(path, &buf, &len, err);
	if (r) {
		free(dir);
		if (err)
			err->code = KE;
		return r;
	}
	r = k8s_kubeconfig_parse(buf, len, dirname(dir), ret, err);
	if (r)
		cni_err_prefix(err, "%s", path);
	explicit_bzero(buf, len);
	free(buf);
	free(dir);
	return r;
}

static const char *env_get(char *const *envp, const char *key)
{
	size_t n = strlen(key);

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, key, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

int k8s_config_in_cluster(char *const *envp, const char *sa_dir,
			  struct k8s_config **ret, struct cni_err *err)
{
	const char *host = env_get(envp, "KUBERNETES_SERVICE_HOST");
	const char *port = env_get(envp, "KUBERNETES_SERVICE_PORT");
	struct k8s_config *c;
	bool v6;

	if (!host || !*host || !port || !*port)
		return cni_errf(err, KE,
				"no kubeconfig, and "
				"KUBERNETES_SERVICE_HOST/PORT are not set "
				"(not in a cluster)");
	if (!sa_dir)
		sa_dir = K8S_SA_DIR;
	c = config_new();
	v6 = strchr(host, ':') != NULL;
	if (!c ||
	    asprintf(&c->server, "https://%s%s%s:%s", v6 ? "[" : "", host,
		     v6 ? "]" : "", port) < 0 ||
	    asprintf(&c->token_file, "%s/token", sa_dir) < 0 ||
	    asprintf(&c->ca_file, "%s/ca.crt", sa_dir) < 0) {
		k8s_config_free(c);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	*ret = c;
	return 0;
}
