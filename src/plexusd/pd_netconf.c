// SPDX-License-Identifier: Apache-2.0
/* The primary config: pick the node's default network, wrap it in a
 * plexus conflist, write it atomically. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni_error.h"
#include "cni_fs.h"
#include "cni_json.h"
#include "cni_version.h"
#include "pd_netconf.h"

bool pd_netconf_candidate(const char *name, const char *own_name)
{
	const char *dot = strrchr(name, '.');

	return name[0] != '.' && dot && strcmp(name, own_name) &&
	       (!strcmp(dot, ".conf") || !strcmp(dot, ".conflist") ||
		!strcmp(dot, ".json"));
}

static bool type_is_plexus(json_object *o)
{
	json_object *t;

	return json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, "type", &t) &&
	       json_object_is_type(t, json_type_string) &&
	       !strcmp(json_object_get_string(t), "plexus");
}

bool pd_netconf_is_plexus(json_object *doc)
{
	json_object *pl;

	if (type_is_plexus(doc))
		return true;
	if (!json_object_object_get_ex(doc, "plugins", &pl) ||
	    !json_object_is_type(pl, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(pl); i++)
		if (type_is_plexus(json_object_array_get_idx(pl, i)))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int list_candidates(const char *dir, const char *own, char ***ret,
			   size_t *ret_n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL, **nv;
	size_t n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!pd_netconf_candidate(de->d_name, own))
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(de->d_name))) {
			closedir(d);
			strv_free(nv ? nv : v, n);
			return -ENOMEM;
		}
		v = nv;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* a network config: a conf with "type" or a conflist with plugins */
static int load(const char *path, json_object **ret, struct cni_err *err)
{
	json_object *doc = NULL, *pl;
	char *buf = NULL;
	size_t len;
	int r = cni_read_file(path, &buf, &len, err);

	if (r == 0)
		r = cni_json_parse(buf, len, path, &doc, err);
	free(buf);
	if (r < 0)
		return r;
	if (!json_object_is_type(doc, json_type_object) ||
	    (!json_object_object_get_ex(doc, "type", NULL) &&
	     (!json_object_object_get_ex(doc, "plugins", &pl) ||
	      !json_object_is_type(pl, json_type_array) ||
	      json_object_array_length(pl) == 0))) {
		json_object_put(doc);
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: neither a conf with \"type\" nor a "
				"conflist with \"plugins\"",
				path);
	}
	*ret = doc;
	return 0;
}

int pd_netconf_pick(const char *conf_dir, const char *own_name, char **ret_path,
		    json_object **ret_doc, unsigned *ret_refused,
		    struct cni_err *err)
{
	char **names = NULL;
	size_t n = 0;
	unsigned refused = 0;
	int r = list_candidates(conf_dir, own_name, &names, &n);

	if (r < 0)
		return cni_errf(err, CNI_ERR_IO, "%s: %s", conf_dir,
				strerror(-r));
	r = -ENOENT;
	for (size_t i = 0; i < n && r == -ENOENT; i++) {
		json_object *doc = NULL;
		char *path = NULL;
		struct stat st;

		if (asprintf(&path, "%s/%s", conf_dir, names[i]) < 0) {
			r = cni_errf(err, CNI_ERR_IO, "out of memory");
			break;
		}
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		r = load(path, &doc, err);
		if (r == 0 && pd_netconf_is_plexus(doc)) {
			refused++;
			json_object_put(doc);
			free(path);
			r = -ENOENT;
			continue;
		}
		if (r < 0) {
			free(path);
			break;
		}
		*ret_path = path;
		*ret_doc = doc;
	}
	strv_free(names, n);
	*ret_refused = refused;
	return r;
}

static void caps_add(json_object *caps, json_object *plugin)
{
	json_object *c;

	if (!json_object_is_type(plugin, json_type_object) ||
	    !json_object_object_get_ex(plugin, "capabilities", &c) ||
	    !json_object_is_type(c, json_type_object))
		return;
	json_object_object_foreach (c, k, v) {
		if (json_object_is_type(v, json_type_boolean) &&
		    json_object_get_boolean(v))
			json_object_object_add(caps, k,
					       json_object_new_boolean(1));
	}
}

static json_object *master_caps(json_object *master)
{
	json_object *caps = json_object_new_object(), *pl;

	if (!caps)
		return NULL;
	caps_add(caps, master);
	if (json_object_object_get_ex(master, "plugins", &pl) &&
	    json_object_is_type(pl, json_type_array))
		for (size_t i = 0; i < json_object_array_length(pl); i++)
			caps_add(caps, json_object_array_get_idx(pl, i));
	return caps;
}

static const char *master_version(json_object *master)
{
	json_object *v;
	enum cni_ver ver;

	if (json_object_object_get_ex(master, "cniVersion", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    cni_version_parse(json_object_get_string(v), "cniVersion", &ver,
			      NULL) == 0)
		return cni_version_str(ver);
	return "1.0.0";
}

const char *pd_netconf_host_path(const char *host_prefix, const char *path)
{
	size_t n = host_prefix ? strlen(host_prefix) : 0;

	if (n && !strncmp(path, host_prefix, n) && path[n] == '/')
		return path + n;
	return path;
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *plugin_entry(json_object *master, const char *master_path,
				 const struct pd_netconf_params *p)
{
	json_object *pl = p->plugin_extra ? cni_json_copy(p->plugin_extra)
					  : json_object_new_object();
	json_object *caps;

	if (!pl)
		return NULL;
	add_str(pl, "type", "plexus");
	add_str(pl, "clusterNetwork",
		pd_netconf_host_path(p->host_prefix, master_path));
	if (p->kubeconfig)
		add_str(pl, "kubeconfig",
			pd_netconf_host_path(p->host_prefix, p->kubeconfig));
	if (p->socket)
		add_str(pl, "plexusdSocket",
			pd_netconf_host_path(p->host_prefix, p->socket));
	if (p->readiness_file)
		add_str(pl, "readinessindicatorfile",
			pd_netconf_host_path(p->host_prefix,
					     p->readiness_file));
	caps = master_caps(master);
	if (caps && json_object_object_length(caps))
		json_object_object_add(pl, "capabilities", caps);
	else
		json_object_put(caps);
	return pl;
}

int pd_netconf_build(json_object *master, const char *master_path,
		     const struct pd_netconf_params *p, char **ret_text,
		     struct cni_err *err)
{
	json_object *doc = json_object_new_object();
	json_object *plugins = json_object_new_array();
	json_object *pl = plugin_entry(master, master_path, p);
	char *text = NULL;

	if (doc && plugins && pl) {
		add_str(doc, "cniVersion", master_version(master));
		add_str(doc, "name", p->network_name);
		json_object_array_add(plugins, pl);
		json_object_object_add(doc, "plugins", plugins);
		pl = plugins = NULL;
		if (asprintf(&text, "%s\n",
			     json_object_to_json_string_ext(
				     doc,
				     JSON_C_TO_STRING_PRETTY |
					     JSON_C_TO_STRING_SPACED |
					     JSON_C_TO_STRING_NOSLASHESCAPE)) <
		    0)
			text = NULL;
	}
	json_object_put(pl);
	json_object_put(plugins);
	json_object_put(doc);
	if (!text)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	*ret_text = text;
	return 0;
}

int pd_netconf_extra_check(json_object *extra, bool kubeconfig_owned,
			   struct cni_err *err)
{
	static const char *const owned[] = {
		"type",	     "name",	     "cniVersion", "clusterNetwork",
		"delegates", "capabilities", NULL,
	};

	if (!json_object_is_type(extra, json_type_object))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"plugin-conf: not a JSON object");
	for (int i = 0; owned[i]; i++)
		if (json_object_object_get_ex(extra, owned[i], NULL))
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"plugin-conf: \"%s\" is set by plexusd",
					owned[i]);
	if (kubeconfig_owned &&
	    json_object_object_get_ex(extra, "kubeconfig", NULL))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"plugin-conf: \"kubeconfig\" is written by "
				"plexusd (use --no-kubeconfig to set it)");
	return 0;
}

int pd_netconf_write(const char *path, const char *text, mode_t mode,
		     bool *ret_written, struct cni_err *err)
{
	char *old = NULL;
	size_t len = 0, n = strlen(text);
	struct stat st;
	bool same = stat(path, &st) == 0 && (st.st_mode & 07777) == mode &&
		    cni_read_file(path, &old, &len, NULL) == 0 && len == n &&
		    !memcmp(old, text, n);
	int r = 0;

	if (old) {
		explicit_bzero(old, len);
		free(old);
	}
	if (!same)
		r = cni_fs_write_atomic(path, text, n, mode, err);
	if (r == 0)
		*ret_written = !same;
	return r;
}

int pd_netconf_remove(const char *path, bool *ret_removed, struct cni_err *err)
{
	json_object *doc = NULL;
	char *buf = NULL;
	size_t len;
	bool ours;

	*ret_removed = false;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (cni_read_file(path, &buf, &len, NULL) == 0)
		cni_json_parse(buf, len, path, &doc, NULL);
	free(buf);
	ours = doc && pd_netconf_is_plexus(doc);
	json_object_put(doc);
	if (!ours)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: not a plexus config, left in place", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return cni_errf(err, CNI_ERR_IO, "%s: %s", path,
				strerror(errno));
	*ret_removed = true;
	return 0;
}
