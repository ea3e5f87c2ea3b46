/* SPDX-License-Identifier: Apache-2.0 */
/* Delegate configs for selected networks: from a NAD's spec.config, from
 * the conf directory by network name, or from a file. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cni_conf.h"
#include "cni_error.h"
#include "cni_json.h"
#include "select.h"

static bool conf_ext(const char *f)
{
	const char *dot = strrchr(f, '.');

	return f[0] != '.' && dot &&
	       (!strcmp(dot, ".conf") || !strcmp(dot, ".conflist") ||
		!strcmp(dot, ".json"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The config files of dir, sorted. */
static int dir_list(const char *dir, char ***ret, size_t *ret_n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL, **nv;
	size_t n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (!conf_ext(de->d_name))
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv || asprintf(&nv[n], "%s/%s", dir, de->d_name) < 0) {
			v = nv ? nv : v;
			while (n > 0)
				free(v[--n]);
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	*ret_n = n;
	return 0;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int file_parse(const char *path, json_object **ret, struct cni_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int r = cni_read_file(path, &buf, &len, err);

	if (r)
		return r;
	r = cni_json_parse(buf, len, path, ret, err);
	free(buf);
	return r;
}

static int conf_from_doc(json_object *doc, const char *field,
			 const char *source, struct cni_conflist **ret,
			 char **ret_source, struct cni_err *err)
{
	char *src = strdup(source);
	int r;

	if (!src)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	r = cni_conflist_parse(doc, field, ret, err);
	if (r) {
		free(src);
		return r;
	}
	*ret_source = src;
	return 0;
}

/* The first config in conf_dir whose "name" is name; files that do not
 * parse are skipped (and counted in the message when nothing matches). */
static int by_name(const char *conf_dir, const char *name,
		   struct cni_conflist **ret, char **ret_source,
		   struct cni_err *err)
{
	char **files = NULL;
	size_t n = 0, bad = 0;
	int r = dir_list(conf_dir, &files, &n);

	if (r == -ENOMEM)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	for (size_t i = 0; r == 0 && i < n; i++) {
		json_object *doc = NULL;
		const char *nm = NULL;

		if (file_parse(files[i], &doc, NULL)) {
			bad++;
			continue;
		}
		if (cni_json_get_string(doc, "name", "name", &nm, NULL) == 0 &&
		    !strcmp(nm, name)) {
			r = conf_from_doc(doc, files[i], files[i], ret,
					  ret_source, err);
			json_object_put(doc);
			strv_free(files, n);
			return r;
		}
		json_object_put(doc);
	}
	strv_free(files, n);
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			"no network named \"%s\" in %s (%zu file(s) there did "
			"not parse)",
			name, conf_dir, bad);
}

static int by_path(const char *path, struct cni_conflist **ret,
		   char **ret_source, struct cni_err *err)
{
	char **files = NULL;
	size_t n = 0;
	json_object *doc = NULL;
	struct stat st;
	int r;

	if (stat(path, &st))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"network \"%s\": %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		r = dir_list(path, &files, &n);
		if (r || n == 0) {
			strv_free(files, n);
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"network \"%s\": no config file in "
					"the directory",
					path);
		}
		path = files[0];
	}
	r = file_parse(path, &doc, err);
	if (r == 0)
		r = conf_from_doc(doc, path, path, ret, ret_source, err);
	json_object_put(doc);
	strv_free(files, n);
	return r;
}

int select_conf_local(const char *conf_dir, const char *name,
		      struct cni_conflist **ret, char **ret_source,
		      struct cni_err *err)
{
	if (name[0] == '/')
		return by_path(name, ret, ret_source, err);
	return by_name(conf_dir, name, ret, ret_source, err);
}

static int nad_ident(json_object *nad, const char **ret_ns,
		     const char **ret_name, struct cni_err *err)
{
	json_object *md = NULL;

	if (cni_json_get_object(nad, "metadata", "metadata", &md, NULL) ||
	    cni_json_get_string(md, "name", "metadata.name", ret_name, NULL))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"NetworkAttachmentDefinition without "
				"metadata.name");
	if (cni_json_get_string(md, "namespace", "metadata.namespace", ret_ns,
				NULL))
		*ret_ns = "default"; /* a manifest without one, as kubectl */
	return 0;
}

int select_nad_conf(json_object *nad, const char *conf_dir,
		    struct cni_conflist **ret, char **ret_source,
		    struct cni_err *err)
{
	const char *ns, *name, *config = NULL;
	json_object *spec = NULL, *doc = NULL;
	char source[400], field[420];
	int r;

	r = nad_ident(nad, &ns, &name, err);
	if (r)
		return r;
	snprintf(source, sizeof(source), "NetworkAttachmentDefinition %s/%s",
		 ns, name);
	snprintf(field, sizeof(field), "%s spec.config", source);
	if (cni_json_get_object(nad, "spec", "spec", &spec, NULL) == 0 &&
	    cni_json_get_string(spec, "config", field, &config, err) == -EINVAL)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s is not a string", field);
	if (!config || !*config) {
		r = by_name(conf_dir, name, ret, ret_source, err);
		if (r)
			cni_err_prefix(err, "%s is empty", field);
		return r;
	}
	r = cni_json_parse(config, strlen(config), field, &doc, err);
	if (r) {
		if (err)
			err->code = CNI_ERR_INVALID_CONFIG;
		return r;
	}
	if (json_object_is_type(doc, json_type_object) &&
	    !json_object_object_get_ex(doc, "name", NULL))
		json_object_object_add(doc, "name",
				       json_object_new_string(name));
	r = conf_from_doc(doc, field, source, ret, ret_source, err);
	json_object_put(doc);
	return r;
}

/* Go's filepath.Dir: all before the last '/', trailing '/'s dropped
 * (but "/" stays). */
static char *path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	while (n > 1 && path[n - 1] == '/')
		n--;
	return n ? strndup(path, n) : strdup("/");
}

/* The ".conf" files of dir (libcni's NetworkPluginConfsFromFiles takes
 * no other extension), sorted; none when dir does not exist. */
static int plugin_files(const char *dir, char ***ret, size_t *ret_n)
{
	char **all = NULL;
	size_t n = 0, k = 0;
	int r = dir_list(dir, &all, &n);

	if (r == -ENOENT) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		const char *dot = strrchr(all[i], '.');
		struct stat st;

		if (dot && !strcmp(dot, ".conf") && stat(all[i], &st) == 0 &&
		    S_ISREG(st.st_mode))
			all[k++] = all[i];
		else
			free(all[i]);
	}
	*ret = all;
	*ret_n = k;
	return 0;
}

/* The chain's document: Multus' passthru first, then each file's plugin. */
static int aux_doc(const char *name, const char *version, char **files,
		   size_t n, json_object **ret, struct cni_err *err)
{
	json_object *doc = json_object_new_object();
	json_object *plugins = json_object_new_array();
	json_object *pt = json_object_new_object();
	int r = 0;

	if (!doc || !plugins || !pt) {
		json_object_put(doc);
		json_object_put(plugins);
		json_object_put(pt);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	json_object_object_add(doc, "cniVersion",
			       json_object_new_string(version));
	json_object_object_add(doc, "name", json_object_new_string(name));
	json_object_object_add(pt, "type",
			       json_object_new_string(SELECT_AUX_PASSTHRU));
	json_object_object_add(pt, "name",
			       json_object_new_string("passthru-cni"));
	json_object_array_add(plugins, pt);
	json_object_object_add(doc, "plugins", plugins);
	for (size_t i = 0; r == 0 && i < n; i++) {
		json_object *p = NULL;

		r = file_parse(files[i], &p, err);
		if (r == 0 && !json_object_is_type(p, json_type_object))
			r = cni_errf(err, CNI_ERR_INVALID_CONFIG,
				     "%s: not a JSON object", files[i]);
		if (r == 0)
			json_object_array_add(plugins, p);
		else
			json_object_put(p);
	}
	if (r)
		json_object_put(doc);
	else
		*ret = doc;
	return r;
}

int select_aux_chain(const char *cluster_network, const char *name,
		     const char *version, struct cni_conflist **ret,
		     char **ret_source, struct cni_err *err)
{
	char *dir = path_dir(cluster_network), *path = NULL, **files = NULL;
	json_object *doc = NULL;
	size_t n = 0;
	int r;

	if (!dir || asprintf(&path, "%s/%s", dir, name) < 0) {
		free(dir);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	free(dir);
	r = plugin_files(path, &files, &n);
	if (r)
		r = cni_errf(err, CNI_ERR_INVALID_CONFIG, "%s: %s", path,
			     strerror(-r));
	*ret = NULL;
	if (r == 0 && n > 0)
		r = aux_doc(name, version, files, n, &doc, err);
	if (r == 0 && doc)
		r = conf_from_doc(doc, path, path, ret, ret_source, err);
	json_object_put(doc);
	strv_free(files, n);
	free(path);
	return r;
}
