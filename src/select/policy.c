// SPDX-License-Identifier: Apache-2.0
/* The node's rules for NADs: meta plugins no NAD may run, and the
 * per-namespace tenantPolicy (types, host interfaces, VLAN IDs). Parses
 * the node side once; judges each NAD's conflist (tenant input). Pure but
 * for reading the SR-IOV PF of a deviceID in sysfs. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni_conf.h"
#include "cni_error.h"
#include "cni_json.h"
#include "policy.h"

#define INVAL CNI_ERR_INVALID_CONFIG

/* plexus is refused whatever metaPlugins says */
static const char *const meta_default[] = { "plexus", "multus", "multus-shim" };

struct vlan_range {
	int lo, hi;
};

struct strv {
	char **v;
	size_t n;
	bool set; /* the key was given: the list limits */
};

/* One entry: "tenantPolicy.namespaces.<ns>" or "tenantPolicy.default". */
struct pol_entry {
	char *ns; /* NULL: the default entry */
	char *rule;
	struct strv types, ifaces;
	bool vlans_set;
	struct vlan_range *vlans;
	size_t n_vlans;
};

struct tenant_policy {
	struct strv meta;
	struct pol_entry *ents;
	size_t n_ents;
};

static void strv_clear(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

void tenant_policy_free(struct tenant_policy *p)
{
	if (!p)
		return;
	strv_clear(&p->meta);
	for (size_t i = 0; i < p->n_ents; i++) {
		free(p->ents[i].ns);
		free(p->ents[i].rule);
		strv_clear(&p->ents[i].types);
		strv_clear(&p->ents[i].ifaces);
		free(p->ents[i].vlans);
	}
	free(p->ents);
	free(p);
}

/* --- parsing the node side --- */

/* A list of non-empty strings at o[key] (field names it). */
static int strv_parse(json_object *o, const char *key, const char *field,
		      struct strv *ret, struct cni_err *err)
{
	json_object *arr;
	size_t n;

	if (!json_object_object_get_ex(o, key, &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return cni_errf(err, INVAL, "%s: must be a list of strings",
				field);
	n = json_object_array_length(arr);
	ret->v = calloc(n ? n : 1, sizeof(char *));
	if (!ret->v)
		return -ENOMEM;
	ret->set = true;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(s, json_type_string) ||
		    !*json_object_get_string(s))
			return cni_errf(err, INVAL,
					"%s[%zu]: must be a non-empty string",
					field, i);
		ret->v[i] = strdup(json_object_get_string(s));
		if (!ret->v[i])
			return -ENOMEM;
		ret->n++;
	}
	return 0;
}

static int vlan_num(const char *s, int *ret)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || v < 1 || v > 4094)
		return -EINVAL;
	*ret = (int)v;
	return (int)(end - s);
}

/* 100, "100" or "100-199" */
static int vlan_item(json_object *v, struct vlan_range *ret)
{
	const char *s;
	int n, m;

	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);

		if (i < 1 || i > 4094)
			return -EINVAL;
		ret->lo = ret->hi = (int)i;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	n = vlan_num(s, &ret->lo);
	if (n < 0)
		return n;
	ret->hi = ret->lo;
	if (!s[n])
		return 0;
	if (s[n] != '-')
		return -EINVAL;
	m = vlan_num(s + n + 1, &ret->hi);
	if (m < 0 || s[n + 1 + m] || ret->hi < ret->lo)
		return -EINVAL;
	return 0;
}

static int vlans_parse(json_object *o, struct pol_entry *e, struct cni_err *err)
{
	json_object *arr;
	size_t n;

	if (!json_object_object_get_ex(o, "vlans", &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return cni_errf(err, INVAL, "%s.vlans: must be a list",
				e->rule);
	n = json_object_array_length(arr);
	e->vlans = calloc(n ? n : 1, sizeof(*e->vlans));
	if (!e->vlans)
		return -ENOMEM;
	e->vlans_set = true;
	for (size_t i = 0; i < n; i++) {
		if (vlan_item(json_object_array_get_idx(arr, i), &e->vlans[i]))
			return cni_errf(err, INVAL,
					"%s.vlans[%zu]: must be a VLAN ID "
					"1..4094 or a range \"LO-HI\"",
					e->rule, i);
		e->n_vlans++;
	}
	return 0;
}

static int entry_parse(json_object *o, const char *ns, const char *rule,
		       struct pol_entry *e, struct cni_err *err)
{
	char field[300];
	int r;

	if (!json_object_is_type(o, json_type_object))
		return cni_errf(err, INVAL, "%s: must be an object", rule);
	json_object_object_foreach (o, k, v) {
		(void)v;
		if (strcmp(k, "types") && strcmp(k, "interfaces") &&
		    strcmp(k, "vlans"))
			return cni_errf(err, INVAL,
					"%s: unknown key \"%.64s\" (types, "
					"interfaces, vlans)",
					rule, k);
	}
	if (!(e->rule = strdup(rule)) || (ns && !(e->ns = strdup(ns))))
		return -ENOMEM;
	snprintf(field, sizeof(field), "%s.types", rule);
	r = strv_parse(o, "types", field, &e->types, err);
	if (r == 0) {
		snprintf(field, sizeof(field), "%s.interfaces", rule);
		r = strv_parse(o, "interfaces", field, &e->ifaces, err);
	}
	return r ? r : vlans_parse(o, e, err);
}

static int entry_add(struct tenant_policy *p, json_object *o, const char *ns,
		     const char *rule, struct cni_err *err)
{
	struct pol_entry *grown;

	grown = realloc(p->ents, (p->n_ents + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	p->ents = grown;
	memset(&p->ents[p->n_ents], 0, sizeof(*grown));
	p->n_ents++; /* freed with p even when half parsed */
	return entry_parse(o, ns, rule, &p->ents[p->n_ents - 1], err);
}

static int namespaces_parse(struct tenant_policy *p, json_object *nss,
			    struct cni_err *err)
{
	char rule[320];

	if (!json_object_is_type(nss, json_type_object))
		return cni_errf(err, INVAL,
				"tenantPolicy.namespaces: must be an object "
				"(namespace: entry)");
	json_object_object_foreach (nss, ns, o) {
		int r;

		if (!*ns)
			return cni_errf(err, INVAL,
					"tenantPolicy.namespaces: an empty "
					"namespace name");
		snprintf(rule, sizeof(rule), "tenantPolicy.namespaces.%.253s",
			 ns);
		r = entry_add(p, o, ns, rule, err);
		if (r)
			return r;
	}
	return 0;
}

static int tenant_parse(struct tenant_policy *p, json_object *tp,
			struct cni_err *err)
{
	json_object *v;
	int r = 0;

	if (!json_object_is_type(tp, json_type_object))
		return cni_errf(err, INVAL, "tenantPolicy: must be an object");
	json_object_object_foreach (tp, k, val) {
		(void)val;
		if (strcmp(k, "namespaces") && strcmp(k, "default"))
			return cni_errf(err, INVAL,
					"tenantPolicy: unknown key \"%.64s\" "
					"(namespaces, default)",
					k);
	}
	if (json_object_object_get_ex(tp, "namespaces", &v))
		r = namespaces_parse(p, v, err);
	if (r == 0 && json_object_object_get_ex(tp, "default", &v))
		r = entry_add(p, v, NULL, "tenantPolicy.default", err);
	return r;
}

static int meta_default_set(struct strv *m)
{
	size_t n = sizeof(meta_default) / sizeof(meta_default[0]);

	m->v = calloc(n, sizeof(char *));
	if (!m->v)
		return -ENOMEM;
	for (; m->n < n; m->n++)
		if (!(m->v[m->n] = strdup(meta_default[m->n])))
			return -ENOMEM;
	return 0;
}

int tenant_policy_parse(json_object *doc, struct tenant_policy **ret,
			struct cni_err *err)
{
	struct tenant_policy *p = calloc(1, sizeof(*p));
	json_object *tp;
	int r;

	if (!p)
		return -ENOMEM;
	r = strv_parse(doc, "metaPlugins", "metaPlugins", &p->meta, err);
	if (r == 0 && !p->meta.set)
		r = meta_default_set(&p->meta);
	if (r == 0 && json_object_object_get_ex(doc, "tenantPolicy", &tp))
		r = tenant_parse(p, tp, err);
	if (r) {
		tenant_policy_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

/* --- judging a NAD --- */

/* One NAD being judged. */
struct judge {
	const char *ns, *name;
	const struct pol_entry *e; /* NULL: no tenant rules */
	const struct cni_conflist *cl;
	const char *device_id;
	struct cni_err *err;
};

static const struct pol_entry *entry_for(const struct tenant_policy *p,
					 const char *ns)
{
	const struct pol_entry *dflt = NULL;

	for (size_t i = 0; p && i < p->n_ents; i++) {
		if (!p->ents[i].ns)
			dflt = &p->ents[i];
		else if (!strcmp(p->ents[i].ns, ns))
			return &p->ents[i];
	}
	return dflt;
}

static bool is_meta(const struct tenant_policy *p, const char *type)
{
	if (!p)
		for (size_t i = 0; i < sizeof(meta_default) / sizeof(char *);
		     i++)
			if (!strcmp(meta_default[i], type))
				return true;
	for (size_t i = 0; p && i < p->meta.n; i++)
		if (!strcmp(p->meta.v[i], type))
			return true;
	return !strcmp(type, "plexus");
}

static bool glob_any(const struct strv *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (fnmatch(s->v[i], v, 0) == 0)
			return true;
	return false;
}

static int __attribute__((format(printf, 4, 5)))
refuse(const struct judge *j, const char *key, const char *value,
       const char *fmt, ...)
{
	char rule[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rule, sizeof(rule), fmt, ap);
	va_end(ap);
	return cni_errf(j->err, INVAL, "NAD %s/%s: %s \"%.64s\": %s", j->ns,
			j->name, key, value, rule);
}

static void key_name(const struct judge *j, size_t i, const char *key,
		     char *buf, size_t len)
{
	if (j->cl->is_list)
		snprintf(buf, len, "plugins[%zu].%s", i, key);
	else
		snprintf(buf, len, "%s", key);
}

static int type_judge(const struct judge *j, const struct tenant_policy *p,
		      const char *key, const char *type)
{
	if (is_meta(p, type))
		return refuse(j, key, type,
			      "a meta plugin (metaPlugins) never runs as a "
			      "NAD's delegate");
	if (j->e && j->e->types.set && !glob_any(&j->e->types, type))
		return refuse(j, key, type, "not allowed by %s.types",
			      j->e->rule);
	return 0;
}

static const char *str_at(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int types_judge(const struct judge *j, const struct tenant_policy *p,
		       size_t i)
{
	json_object *ipam;
	const char *t;
	char key[64];
	int r;

	key_name(j, i, "type", key, sizeof(key));
	r = type_judge(j, p, key, cni_conflist_type(j->cl, i));
	if (r || !json_object_object_get_ex(j->cl->plugins[i], "ipam", &ipam))
		return r;
	t = str_at(ipam, "type");
	key_name(j, i, "ipam.type", key, sizeof(key));
	if (!t && json_object_is_type(ipam, json_type_object) &&
	    json_object_object_get_ex(ipam, "type", NULL))
		return refuse(j, key, "?", "must be a string");
	return t ? type_judge(j, p, key, t) : 0;
}

/* --- host interfaces --- */

static bool type_is(const char *t, const char *const *kinds)
{
	for (; *kinds; kinds++)
		if (!strcmp(t, *kinds))
			return true;
	return false;
}

static bool pci_addr_ok(const char *s)
{
	static const char shape[] = "xxxx:xx:xx.x";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'x' ? !isxdigit((unsigned char)s[i])
				    : s[i] != shape[i])
			return false;
	return true;
}

/* The netdev of VF id's PF: <sysfs>/bus/pci/devices/<id>/physfn ->
 * ../<pf>, then <pf>/net/<name>. */
static int pf_of(const char *id, char *buf, size_t len)
{
	const char *root = getenv("PLEXUS_SYSFS_ROOT");
	char path[PATH_MAX], link[PATH_MAX];
	struct dirent *d;
	const char *pf;
	ssize_t n;
	DIR *dir;
	int r = -ENOENT;

	if (!root || !*root)
		root = "/sys";
	if (snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/physfn", root,
		     id) >= (int)sizeof(path))
		return -ENOENT;
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -ENOENT;
	link[n] = 0;
	pf = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (!pci_addr_ok(pf))
		return -ENOENT;
	if (snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/net", root,
		     pf) >= (int)sizeof(path))
		return -ENOENT;
	dir = opendir(path);
	while (dir && (d = readdir(dir)))
		if (d->d_name[0] != '.') {
			snprintf(buf, len, "%s", d->d_name);
			r = 0;
			break;
		}
	if (dir)
		closedir(dir);
	return r;
}

static int iface_judge(const struct judge *j, const char *key, const char *v)
{
	if (glob_any(&j->e->ifaces, v))
		return 0;
	return refuse(j, key, v, "not allowed by %s.interfaces", j->e->rule);
}

static int sriov_judge(const struct judge *j, size_t i)
{
	const char *id = j->device_id;
	char key[64], pf[256];

	key_name(j, i, "deviceID", key, sizeof(key));
	if (!id)
		id = str_at(j->cl->plugins[i], "deviceID");
	if (!id)
		return refuse(j, key, "",
			      "missing: %s.interfaces limits the "
			      "SR-IOV PF, which the VF's deviceID "
			      "names",
			      j->e->rule);
	if (!pci_addr_ok(id) || pf_of(id, pf, sizeof(pf)))
		return refuse(j, key, id,
			      "its PF cannot be found on this node, and %s."
			      "interfaces limits the SR-IOV PF",
			      j->e->rule);
	if (glob_any(&j->e->ifaces, pf))
		return 0;
	return refuse(j, key, id, "its PF %s is not allowed by %s.interfaces",
		      pf, j->e->rule);
}

/* Keys that name a host interface, and the kinds that need one. */
static int ifaces_judge(const struct judge *j, size_t i)
{
	static const char *const keys[] = { "master", "bridge", "device",
					    "pfName" };
	static const char *const bridges[] = { "bridge", "plexus-bridge",
					       NULL };
	static const char *const masters[] = {
		"macvlan",	  "ipvlan",	   "vlan",
		"plexus-macvlan", "plexus-ipvlan", NULL
	};
	static const char *const sriovs[] = { "sriov", "plexus-sriov", NULL };
	json_object *pl = j->cl->plugins[i];
	const char *t = cni_conflist_type(j->cl, i), *v;
	char key[64];
	int r = 0;

	for (size_t k = 0; r == 0 && k < 4; k++) {
		key_name(j, i, keys[k], key, sizeof(key));
		if ((v = str_at(pl, keys[k])))
			r = iface_judge(j, key, v);
		else if (json_object_object_get_ex(pl, keys[k], NULL))
			r = refuse(j, key, "?", "must be a string");
	}
	if (r)
		return r;
	key_name(j, i, type_is(t, bridges) ? "bridge" : "master", key,
		 sizeof(key));
	if (type_is(t, bridges) && !str_at(pl, "bridge"))
		return iface_judge(j, key, "cni0"); /* the plugins' default */
	if (type_is(t, masters) && !str_at(pl, "master"))
		return refuse(j, key, "",
			      "missing: %s.interfaces limits host "
			      "interfaces, and the plugin would "
			      "pick the default route's",
			      j->e->rule);
	key_name(j, i, "device", key, sizeof(key));
	if (!strcmp(t, "host-device") && !str_at(pl, "device"))
		return refuse(j, key, "",
			      "missing: %s.interfaces limits host interfaces, "
			      "which host-device then names otherwise",
			      j->e->rule);
	return type_is(t, sriovs) ? sriov_judge(j, i) : 0;
}

/* --- VLAN IDs --- */

static bool vlans_cover(const struct pol_entry *e, int lo, int hi)
{
	/* every ID of lo..hi inside one of e's ranges (they may touch) */
	while (lo <= hi) {
		size_t k;

		for (k = 0; k < e->n_vlans; k++)
			if (e->vlans[k].lo <= lo && lo <= e->vlans[k].hi)
				break;
		if (k == e->n_vlans)
			return false;
		lo = e->vlans[k].hi + 1;
	}
	return true;
}

/* zero_off: 0 means "no VLAN" for this key (bridge's and sriov's "vlan") */
static int vlan_judge(const struct judge *j, const char *key, json_object *v,
		      bool zero_off)
{
	char val[32];
	int64_t id;

	if (!json_object_is_type(v, json_type_int))
		return refuse(j, key, "?", "must be a number");
	id = json_object_get_int64(v);
	snprintf(val, sizeof(val), "%lld", (long long)id);
	if (id == 0 && zero_off)
		return 0; /* no VLAN */
	if (id < 1 || id > 4094 || !vlans_cover(j->e, (int)id, (int)id))
		return refuse(j, key, val, "not allowed by %s.vlans",
			      j->e->rule);
	return 0;
}

static int trunk_judge(const struct judge *j, size_t i, json_object *trunk)
{
	char key[96];

	if (!json_object_is_type(trunk, json_type_array)) {
		key_name(j, i, "vlanTrunk", key, sizeof(key));
		return refuse(j, key, "?", "must be a list");
	}
	for (size_t t = 0; t < json_object_array_length(trunk); t++) {
		json_object *e = json_object_array_get_idx(trunk, t), *v, *w;
		char k[64];
		int r = 0;

		snprintf(k, sizeof(k), "vlanTrunk[%zu]", t);
		key_name(j, i, k, key, sizeof(key));
		if (json_object_object_get_ex(e, "id", &v))
			r = vlan_judge(j, key, v, false);
		else if (!json_object_object_get_ex(e, "minID", &v) ||
			 !json_object_object_get_ex(e, "maxID", &w) ||
			 !json_object_is_type(v, json_type_int) ||
			 !json_object_is_type(w, json_type_int))
			r = refuse(j, key, "?",
				   "needs \"id\" or \"minID\" "
				   "and \"maxID\" (numbers)");
		else if (json_object_get_int64(v) < 1 ||
			 json_object_get_int64(w) > 4094 ||
			 !vlans_cover(j->e, (int)json_object_get_int64(v),
				      (int)json_object_get_int64(w))) {
			char val[48];

			snprintf(val, sizeof(val), "%lld-%lld",
				 (long long)json_object_get_int64(v),
				 (long long)json_object_get_int64(w));
			r = refuse(j, key, val, "not allowed by %s.vlans",
				   j->e->rule);
		}
		if (r)
			return r;
	}
	return 0;
}

static int vlans_judge(const struct judge *j, size_t i)
{
	json_object *pl = j->cl->plugins[i], *v;
	char key[64];
	int r = 0;

	if (json_object_object_get_ex(pl, "vlan", &v)) {
		key_name(j, i, "vlan", key, sizeof(key));
		r = vlan_judge(j, key, v, true);
	}
	if (r == 0 && json_object_object_get_ex(pl, "vlanId", &v)) {
		key_name(j, i, "vlanId", key, sizeof(key));
		r = vlan_judge(j, key, v, false);
	}
	if (r == 0 && json_object_object_get_ex(pl, "vlanTrunk", &v))
		r = trunk_judge(j, i, v);
	return r;
}

int tenant_policy_check(const struct tenant_policy *p, const char *ns,
			const char *name, const struct cni_conflist *cl,
			const char *device_id, bool by_pod, struct cni_err *err)
{
	struct judge j = {
		.ns = ns,
		.name = name,
		.e = by_pod ? entry_for(p, ns) : NULL,
		.cl = cl,
		.device_id = device_id,
		.err = err,
	};

	for (size_t i = 0; i < cl->n_plugins; i++) {
		int r = types_judge(&j, p, i);

		if (r == 0 && j.e && j.e->ifaces.set)
			r = ifaces_judge(&j, i);
		if (r == 0 && j.e && j.e->vlans_set)
			r = vlans_judge(&j, i);
		if (r)
			return r;
	}
	return 0;
}
