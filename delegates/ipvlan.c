/* SPDX-License-Identifier: Apache-2.0 */
/* plexus-ipvlan: an ipvlan on a host link, created inside the pod, with
 * the keys of the reference ipvlan plugin. */
#include <errno.h>
#include <string.h>
#include <linux/if_link.h>

#include "cni_error.h"
#include "cni_json.h"
#include "kinds.h"

#define PLUGIN "plexus-ipvlan"

static const char *const ipvlan_modes[] = {
	[IPVLAN_MODE_L2] = "l2",
	[IPVLAN_MODE_L3] = "l3",
	[IPVLAN_MODE_L3S] = "l3s",
};
#define N_MODES (sizeof(ipvlan_modes) / sizeof(ipvlan_modes[0]))

static int mode_parse(json_object *conf, int *ret, struct cni_err *err)
{
	const char *s;
	int r = cni_json_get_string(conf, "mode", "mode", &s, err);

	if (r == -ENOENT || (r == 0 && !*s)) {
		*ret = IPVLAN_MODE_L2;
		return 0;
	}
	if (r < 0)
		return r;
	for (size_t i = 0; i < N_MODES; i++)
		if (!strcmp(s, ipvlan_modes[i])) {
			*ret = (int)i;
			return 0;
		}
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			PLUGIN ": \"mode\": unknown mode \"%.32s\" (want l2, "
			       "l3 or l3s)",
			s);
}

int ipvlan_conf_parse(json_object *conf, struct ipvlan_conf *ret,
		      struct cni_err *err)
{
	struct ipvlan_conf v = { 0 };
	int r = dl_conf_common(conf, PLUGIN, false, &v.c, err);

	if (r == 0) {
		r = dl_conf_ifname(conf, "master", PLUGIN, &v.master, err);
		r = r == -ENOENT ? 0 : r;
	}
	if (r == 0)
		r = mode_parse(conf, &v.mode, err);
	if (r == 0) {
		r = cni_json_get_bool(conf, "linkInContainer",
				      "linkInContainer", &v.link_in_container,
				      err);
		r = r == -ENOENT ? 0 : r;
	}
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

static int ipvlan_create(struct nl_ctx *ctx, const char *name, int master,
			 struct nl_ctx *target, const void *arg,
			 struct cni_err *err)
{
	const struct ipvlan_conf *v = arg;

	return nl_ipvlan_create(ctx, name, master, v->mode, v->c.mtu, target,
				err);
}

static int ipvlan_verify(const struct nl_link_info *l, const void *arg,
			 struct cni_err *err)
{
	const struct ipvlan_conf *v = arg;

	if (l->ipvlan_mode != v->mode)
		return cni_errf(err, CNI_ERR_NETLINK,
				"CHECK: %s has ipvlan mode %s, the config "
				"says %s",
				l->name,
				l->ipvlan_mode >= 0 &&
						l->ipvlan_mode < (int)N_MODES
					? ipvlan_modes[l->ipvlan_mode]
					: "?",
				ipvlan_modes[v->mode]);
	return 0;
}

static void lower_init(struct dl_lower *l, const struct ipvlan_conf *v)
{
	*l = (struct dl_lower){
		.plugin = PLUGIN,
		.kind = "ipvlan",
		.c = &v->c,
		.master = v->master,
		.link_in_container = v->link_in_container,
		.create = ipvlan_create,
		.verify = ipvlan_verify,
		.arg = v,
	};
}

static int ipvlan_add(const struct delegate_req *req, struct cni_result **ret,
		      struct cni_err *err)
{
	struct ipvlan_conf v;
	struct dl_lower l;
	int r = ipvlan_conf_parse(req->conf, &v, err);

	if (r < 0)
		return r;
	lower_init(&l, &v);
	return dl_lower_add(req, &l, ret, err);
}

static int ipvlan_check(const struct delegate_req *req, struct cni_err *err)
{
	struct ipvlan_conf v;
	struct dl_lower l;
	int r = ipvlan_conf_parse(req->conf, &v, err);

	if (r < 0)
		return r;
	lower_init(&l, &v);
	return dl_lower_check(req, &l, err);
}

static int ipvlan_del(const struct delegate_req *req, struct cni_err *err)
{
	struct ipvlan_conf v;
	int r = ipvlan_conf_parse(req->conf, &v, err);

	return r < 0 ? r : dl_del_pod_link(req, err);
}

static int ipvlan_conf_check(json_object *conf, struct cni_err *err)
{
	struct ipvlan_conf c;

	return ipvlan_conf_parse(conf, &c, err);
}

const struct delegate_ops ipvlan_delegate = {
	.name = PLUGIN,
	.add = ipvlan_add,
	.check = ipvlan_check,
	.del = ipvlan_del,
	.conf_check = ipvlan_conf_check,
};
