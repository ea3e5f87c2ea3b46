// SPDX-License-Identifier: Apache-2.0
/* The plugin's kubeconfig from plexusd's service account. No message
 * here quotes the token or the CA. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cni_error.h"
#include "cni_json.h"
#include "pd_kubeconfig.h"

char *pd_kubeconfig_server_from_env(void)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	char *url = NULL;
	int n;

	if (!host || !*host || !port || !*port)
		return NULL;
	if (strchr(host, ':'))
		n = asprintf(&url, "https://[%s]:%s", host, port);
	else
		n = asprintf(&url, "https://%s:%s", host, port);
	return n < 0 ? NULL : url;
}

static char *base64(const unsigned char *in, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = tab[(v >> 18) & 63];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int read_token(const char *dir, char **ret, struct cni_err *err)
{
	char path[4200], *tok = NULL;
	size_t len = 0;
	int r;

	snprintf(path, sizeof(path), "%s/token", dir);
	r = cni_read_file(path, &tok, &len, err);
	if (r < 0)
		return r;
	while (len && (tok[len - 1] == '\n' || tok[len - 1] == '\r' ||
		       tok[len - 1] == ' '))
		tok[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (tok[i] <= 0x20 || tok[i] >= 0x7f)
			len = 0;
	if (len == 0) {
		free(tok);
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: empty, or not a bearer token", path);
	}
	*ret = tok;
	return 0;
}

static json_object *named(const char *name, const char *key, json_object *v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, key, v);
	return o;
}

static json_object *doc_new(const char *server, const char *ca_b64,
			    const char *token)
{
	json_object *doc = json_object_new_object(), *a;
	json_object *cluster = json_object_new_object();
	json_object *user = json_object_new_object();
	json_object *ctx = json_object_new_object();

	json_object_object_add(cluster, "server",
			       json_object_new_string(server));
	json_object_object_add(cluster, "certificate-authority-data",
			       json_object_new_string(ca_b64));
	json_object_object_add(user, "token", json_object_new_string(token));
	json_object_object_add(ctx, "cluster", json_object_new_string("local"));
	json_object_object_add(ctx, "user", json_object_new_string("plexus"));
	json_object_object_add(doc, "apiVersion", json_object_new_string("v1"));
	json_object_object_add(doc, "kind", json_object_new_string("Config"));
	a = json_object_new_array();
	json_object_array_add(a, named("local", "cluster", cluster));
	json_object_object_add(doc, "clusters", a);
	a = json_object_new_array();
	json_object_array_add(a, named("plexus", "user", user));
	json_object_object_add(doc, "users", a);
	a = json_object_new_array();
	json_object_array_add(a, named("plexus", "context", ctx));
	json_object_object_add(doc, "contexts", a);
	json_object_object_add(doc, "current-context",
			       json_object_new_string("plexus"));
	return doc;
}

int pd_kubeconfig_build(const char *token_dir, const char *server,
			char **ret_text, struct cni_err *err)
{
	char path[4200], *ca = NULL, *ca_b64 = NULL, *tok = NULL, *text;
	size_t ca_len = 0;
	json_object *doc;
	const char *s;
	int r;

	snprintf(path, sizeof(path), "%s/ca.crt", token_dir);
	r = cni_read_file(path, &ca, &ca_len, err);
	if (r == 0)
		r = read_token(token_dir, &tok, err);
	if (r == 0 && !(ca_b64 = base64((unsigned char *)ca, ca_len)))
		r = cni_errf(err, CNI_ERR_IO, "out of memory");
	if (r < 0)
		goto out;
	doc = doc_new(server, ca_b64, tok);
	s = json_object_to_json_string_ext(
		doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			     JSON_C_TO_STRING_NOSLASHESCAPE);
	text = s ? strdup(s) : NULL;
	/* json-c's own copy of the token goes with doc */
	json_object_put(doc);
	if (!text) {
		r = cni_errf(err, CNI_ERR_IO, "out of memory");
		goto out;
	}
	*ret_text = text;
out:
	if (tok)
		explicit_bzero(tok, strlen(tok));
	free(tok);
	free(ca);
	free(ca_b64);
	return r;
}
