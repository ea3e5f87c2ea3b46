/* SPDX-License-Identifier: Apache-2.0 */
/* plexus-bridge VLAN filtering: the keys vlan, vlanTrunk and
 * preserveDefaultVlan of the reference bridge plugin, and the VLANs they
 * put on a bridge port. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "kinds.h"

#define PLUGIN "plexus-bridge"

static bool trunk_has(const struct bridge_vlans *v, int vid)
{
	return v->trunk[vid / 8] & (1u << (vid % 8));
}

/* An id of a vlanTrunk entry: 1..4094 when present. */
static int trunk_id(json_object *e, size_t i, const char *key, int64_t *ret,
		    struct cni_err *err)
{
	char field[64];
	int r;

	snprintf(field, sizeof(field), PLUGIN ": \"vlanTrunk[%zu].%s\"", i,
		 key);
	r = cni_json_get_int(e, key, field, ret, err);
	if (r == 0 && (*ret < 1 || *ret > BRIDGE_VLAN_MAX))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: %lld is out of range 1..%d", field,
				(long long)*ret, BRIDGE_VLAN_MAX);
	return r;
}

static void trunk_set(struct bridge_vlans *v, int64_t from, int64_t to)
{
	for (int64_t id = from; id <= to; id++) {
		if (!trunk_has(v, (int)id))
			v->n_trunk++;
		v->trunk[id / 8] |= (uint8_t)(1u << (id % 8));
	}
}

/* One entry: {"id": N} and/or {"minID": A, "maxID": B}; ids that overlap
 * other entries merge with them, and an entry with neither adds nothing,
 * as in the reference. */
static int trunk_entry(json_object *e, size_t i, struct bridge_vlans *v,
		       struct cni_err *err)
{
	int64_t id, lo, hi;
	int r, rl, rh;

	if (!json_object_is_type(e, json_type_object))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"vlanTrunk[%zu]\": %.64s is not an "
				       "object",
				i, json_object_to_json_string(e));
	rl = trunk_id(e, i, "minID", &lo, err);
	if (rl < 0 && rl != -ENOENT)
		return rl;
	rh = trunk_id(e, i, "maxID", &hi, err);
	if (rh < 0 && rh != -ENOENT)
		return rh;
	if ((rl == 0) != (rh == 0))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"vlanTrunk[%zu]\": \"%s\" missing: "
				       "minID and maxID go together",
				i, rl == 0 ? "maxID" : "minID");
	if (rl == 0 && lo > hi)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"vlanTrunk[%zu]\": minID %lld is "
				       "greater than maxID %lld",
				i, (long long)lo, (long long)hi);
	if (rl == 0)
		trunk_set(v, lo, hi);
	r = trunk_id(e, i, "id", &id, err);
	if (r == 0)
		trunk_set(v, id, id);
	return r == -ENOENT ? 0 : r;
}

static int trunk_parse(json_object *conf, struct bridge_vlans *v,
		       struct cni_err *err)
{
	json_object *arr;
	int r = cni_json_get_array(conf, "vlanTrunk", PLUGIN ": \"vlanTrunk\"",
				   &arr, err);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	v->trunk_set = true;
	for (size_t i = 0; r == 0 && i < json_object_array_length(arr); i++)
		r = trunk_entry(json_object_array_get_idx(arr, i), i, v, err);
	return r;
}

int bridge_vlans_parse(json_object *conf, struct bridge_vlans *ret,
		       struct cni_err *err)
{
	struct bridge_vlans v = { .preserve_default = true };
	int64_t vlan = 0;
	int r = cni_json_get_int(conf, "vlan", PLUGIN ": \"vlan\"", &vlan, err);

	if (r < 0 && r != -ENOENT)
		return r;
	if (vlan < 0 || vlan > BRIDGE_VLAN_MAX)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"vlan\": %lld is out of range "
				       "0..%d",
				(long long)vlan, BRIDGE_VLAN_MAX);
	v.vlan = (int)vlan;
	r = cni_json_get_bool(conf, "preserveDefaultVlan",
			      PLUGIN ": \"preserveDefaultVlan\"",
			      &v.preserve_default, err);
	if (r < 0 && r != -ENOENT)
		return r;
	r = trunk_parse(conf, &v, err);
	if (r < 0)
		return r;
	/* A port is either an access port (untagged) or a trunk (tagged). */
	if (v.vlan && v.n_trunk)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"vlan\" (%d) and \"vlanTrunk\" "
				       "cannot both be set",
				v.vlan);
	*ret = v;
	return 0;
}

bool bridge_vlans_filtering(const struct bridge_vlans *v)
{
	return v->vlan || v->trunk_set;
}

bool bridge_vlans_trunk_has(const struct bridge_vlans *v, int vid)
{
	return vid >= 1 && vid <= BRIDGE_VLAN_MAX && trunk_has(v, vid);
}

int bridge_vlans_unsupported(const struct bridge_vlans *v, int r,
			     struct cni_err *err)
{
	if (r != -EOPNOTSUPP)
		return r;
	if (v->vlan)
		return cni_errf(err, CNI_ERR_UNSUPPORTED_FIELD,
				PLUGIN ": \"vlan\": %d: this kernel has no "
				       "bridge VLAN filtering",
				v->vlan);
	return cni_errf(err, CNI_ERR_UNSUPPORTED_FIELD,
			PLUGIN ": \"vlanTrunk\": this kernel has no bridge "
			       "VLAN filtering");
}

/* Without preserveDefaultVlan, the port leaves every VLAN it got on
 * joining the bridge (the bridge's default PVID, VLAN 1 unless changed),
 * as the reference does. */
static int port_vlans_clear(struct nl_ctx *host, int port, struct cni_err *err)
{
	struct nl_bridge_vlan *have = NULL;
	size_t n = 0;
	int r = nl_bridge_vlan_list(host, port, &have, &n, err);

	for (size_t i = 0; r == 0 && i < n; i++)
		r = nl_bridge_vlan_del(host, port, have[i].vid, have[i].vid_end,
				       err);
	free(have);
	return r;
}

/* The trunk as tagged ranges, one request per run of ids. */
static int port_trunk_add(struct nl_ctx *host, int port,
			  const struct bridge_vlans *v, struct cni_err *err)
{
	int r = 0;

	for (int id = 1; r == 0 && id <= BRIDGE_VLAN_MAX; id++) {
		int end = id;

		if (!trunk_has(v, id))
			continue;
		while (end < BRIDGE_VLAN_MAX && trunk_has(v, end + 1))
			end++;
		r = nl_bridge_vlan_add(host, port, (uint16_t)id, (uint16_t)end,
				       false, false, err);
		id = end;
	}
	return r;
}

int bridge_vlans_port_apply(struct nl_ctx *host, int port,
			    const struct bridge_vlans *v, struct cni_err *err)
{
	int r = 0;

	if (!v->vlan && !v->n_trunk)
		return 0;
	if (!v->preserve_default)
		r = port_vlans_clear(host, port, err);
	if (r == 0 && v->vlan)
		r = nl_bridge_vlan_add(host, port, (uint16_t)v->vlan, 0, true,
				       true, err);
	if (r == 0)
		r = port_trunk_add(host, port, v, err);
	return bridge_vlans_unsupported(v, r, err);
}

static bool vlan_listed(const struct nl_bridge_vlan *have, size_t n, int vid,
			bool pvid, bool untagged)
{
	for (size_t i = 0; i < n; i++)
		if (vid >= have[i].vid && vid <= have[i].vid_end &&
		    have[i].pvid == pvid && have[i].untagged == untagged)
			return true;
	return false;
}

/* Every listed VLAN is ours (without preserveDefaultVlan). */
static int port_only_ours(const struct nl_bridge_vlan *have, size_t n,
			  const struct bridge_vlans *v, const char *port,
			  struct cni_err *err)
{
	for (size_t i = 0; i < n; i++)
		for (int id = have[i].vid; id <= have[i].vid_end; id++)
			if (id != v->vlan && !trunk_has(v, id))
				return cni_errf(err, CNI_ERR_NETLINK,
						"CHECK: bridge port %s has "
						"VLAN %d (preserveDefaultVlan "
						"is false)",
						port, id);
	return 0;
}

int bridge_vlans_port_check(struct nl_ctx *host, int port, const char *name,
			    const struct bridge_vlans *v, struct cni_err *err)
{
	struct nl_bridge_vlan *have = NULL;
	size_t n = 0;
	int r;

	if (!v->vlan && !v->n_trunk)
		return 0;
	r = nl_bridge_vlan_list(host, port, &have, &n, err);
	if (r == 0 && v->vlan && !vlan_listed(have, n, v->vlan, true, true))
		r = cni_errf(err, CNI_ERR_NETLINK,
			     "CHECK: bridge port %s does not have VLAN %d as "
			     "PVID, untagged",
			     name, v->vlan);
	for (int id = 1; r == 0 && id <= BRIDGE_VLAN_MAX; id++)
		if (trunk_has(v, id) && !vlan_listed(have, n, id, false, false))
			r = cni_errf(err, CNI_ERR_NETLINK,
				     "CHECK: bridge port %s does not have "
				     "VLAN %d tagged (vlanTrunk)",
				     name, id);
	if (r == 0 && !v->preserve_default)
		r = port_only_ours(have, n, v, name, err);
	free(have);
	return r;
}
