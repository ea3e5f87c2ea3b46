/* SPDX-License-Identifier: Apache-2.0 */
/* plexus-macvlan: a macvlan on a host link, moved into the pod, with the
 * keys of the reference macvlan plugin. */
#include <errno.h>
#include <string.h>
#include <linux/if_link.h>

#include "cni_error.h"
#include "cni_json.h"
#include "kinds.h"

#define PLUGIN "plexus-macvlan"

static const struct {
	const char *name;
	uint32_t mode;
} macvlan_modes[] = {
	{ "bridge", MACVLAN_MODE_BRIDGE },
	{ "private", MACVLAN_MODE_PRIVATE },
	{ "vepa", MACVLAN_MODE_VEPA },
	{ "passthru", MACVLAN_MODE_PASSTHRU },
};
#define N_MODES (sizeof(macvlan_modes) / sizeof(macvlan_modes[0]))

static const struct dl_refused macvlan_refused[] = {
	{ "bcqueuelen", DL_REFUSE_ALWAYS, NULL },
};

static const char *mode_name(uint32_t mode)
{
	for (size_t i = 0; i < N_MODES; i++)
		if (macvlan_modes[i].mode == mode)
			return macvlan_modes[i].name;
	return "?";
}

static int mode_parse(json_object *conf, uint32_t *ret, struct cni_err *err)
{
	const char *s;
	int r = cni_json_get_string(conf, "mode", "mode", &s, err);

	if (r == -ENOENT || (r == 0 && !*s)) {
		*ret = MACVLAN_MODE_BRIDGE;
		return 0;
	}
	if (r < 0)
		return r;
	for (size_t i = 0; i < N_MODES; i++)
		if (!strcmp(s, macvlan_modes[i].name)) {
			*ret = macvlan_modes[i].mode;
			return 0;
		}
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			PLUGIN ": \"mode\": unknown mode \"%.32s\" (want "
			       "bridge, private, vepa or passthru)",
			s);
}

int macvlan_conf_parse(json_object *conf, struct macvlan_conf *ret,
		       struct cni_err *err)
{
	struct macvlan_conf m = { 0 };
	int r = dl_conf_refuse(
		conf, PLUGIN, macvlan_refused,
		sizeof(macvlan_refused) / sizeof(macvlan_refused[0]), err);

	if (r == 0)
		r = dl_conf_common(conf, PLUGIN, true, &m.c, err);
	if (r == 0) {
		r = dl_conf_ifname(conf, "master", PLUGIN, &m.master, err);
		r = r == -ENOENT ? 0 : r;
	}
	if (r == 0)
		r = mode_parse(conf, &m.mode, err);
	if (r == 0) {
		r = cni_json_get_bool(conf, "linkInContainer",
				      "linkInContainer", &m.link_in_container,
				      err);
		r = r == -ENOENT ? 0 : r;
	}
	if (r < 0)
		return r;
	*ret = m;
	return 0;
}

static int macvlan_create(struct nl_ctx *ctx, const char *name, int master,
			  struct nl_ctx *target, const void *arg,
			  struct cni_err *err)
{
	const struct macvlan_conf *m = arg;

	return nl_macvlan_create(ctx, name, master, m->mode, m->c.mtu,
				 m->c.has_mac ? m->c.mac : NULL, target, err);
}

static int macvlan_verify(const struct nl_link_info *l, const void *arg,
			  struct cni_err *err)
{
	const struct macvlan_conf *m = arg;

	if (l->macvlan_mode != m->mode)
		return cni_errf(err, CNI_ERR_NETLINK,
				"CHECK: %s has macvlan mode %s, the config "
				"says %s",
				l->name, mode_name(l->macvlan_mode),
				mode_name(m->mode));
	return 0;
}

static void lower_init(struct dl_lower *l, const struct macvlan_conf *m)
{
	*l = (struct dl_lower){
		.plugin = PLUGIN,
		.kind = "macvlan",
		.c = &m->c,
		.master = m->master,
		.link_in_container = m->link_in_container,
		.create = macvlan_create,
		.verify = macvlan_verify,
		.arg = m,
	};
}

static int macvlan_add(const struct delegate_req *req, struct cni_result **ret,
		       struct cni_err *err)
{
	struct macvlan_conf m;
	struct dl_lower l;
	int r = macvlan_conf_parse(req->conf, &m, err);

	if (r < 0)
		return r;
	lower_init(&l, &m);
	return dl_lower_add(req, &l, ret, err);
}

static int macvlan_check(const struct delegate_req *req, struct cni_err *err)
{
	struct macvlan_conf m;
	struct dl_lower l;
	int r = macvlan_conf_parse(req->conf, &m, err);

	if (r < 0)
		return r;
	lower_init(&l, &m);
	return dl_lower_check(req, &l, err);
}

static int macvlan_del(const struct delegate_req *req, struct cni_err *err)
{
	struct macvlan_conf m;
	int r = macvlan_conf_parse(req->conf, &m, err);

	return r < 0 ? r : dl_del_pod_link(req, err);
}

static int macvlan_conf_check(json_object *conf, struct cni_err *err)
{
	struct macvlan_conf c;

	return macvlan_conf_parse(conf, &c, err);
}

const struct delegate_ops macvlan_delegate = {
	.name = PLUGIN,
	.add = macvlan_add,
	.check = macvlan_check,
	.del = macvlan_del,
	.conf_check = macvlan_conf_check,
};
