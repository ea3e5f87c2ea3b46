/* SPDX-License-Identifier: Apache-2.0 */
/* plexus-sriov: moves a VF's netdev into the pod under CNI_IFNAME after
 * applying the VF settings on its PF; DEL moves it back under its own
 * name and MAC and restores the VF settings, from a state file written at
 * ADD before anything changes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni_error.h"
#include "cni_env.h"
#include "cni_fs.h"
#include "cni_ids.h"
#include "cni_json.h"
#include "kinds.h"

#define PLUGIN		  "plexus-sriov"
#define STATE_DIR_DEFAULT "/var/lib/cni/plexus-sriov"

/* What ADD changed, and how it was before. */
struct sriov_state {
	char device_id[64];
	char pf[NL_IFNAMSIZ];
	char netdev[NL_IFNAMSIZ]; /* the VF netdev's own name */
	uint8_t mac[6];		  /* its own MAC */
	unsigned int vf_fields;	  /* enum nl_vf_field changed at ADD */
	struct nl_vf_info vf_orig;
};

/* <state dir>/<container ID>-<ifname>.json; both names are checked here
 * too (the env loader checks them for the binary, but the path must not
 * depend on every caller having done so). Code 4 otherwise. */
static int state_path(const struct delegate_req *req, char *buf, size_t n,
		      struct cni_err *err)
{
	int r = cni_container_id_check(req->env->container_id,
				       "CNI_CONTAINERID", CNI_ERR_INVALID_ENV,
				       err);

	if (r == 0)
		r = cni_ifname_check(req->env->ifname, "CNI_IFNAME",
				     CNI_ERR_INVALID_ENV, err);
	if (r == 0 &&
	    snprintf(buf, n, "%s/%s-%s.json",
		     req->state_dir ? req->state_dir : STATE_DIR_DEFAULT,
		     req->env->container_id, req->env->ifname) >= (int)n)
		r = cni_errf(err, CNI_ERR_INVALID_ENV,
			     "PLEXUS_STATE_DIR: path too long");
	return r;
}

static json_object *state_json(const struct sriov_state *s)
{
	const struct nl_vf_info *v = &s->vf_orig;
	json_object *o = json_object_new_object(),
		    *vf = json_object_new_object();
	char mac[18], vmac[18];

	dl_mac_format(s->mac, mac);
	dl_mac_format(v->mac, vmac);
	json_object_object_add(o, "deviceID",
			       json_object_new_string(s->device_id));
	json_object_object_add(o, "pf", json_object_new_string(s->pf));
	json_object_object_add(o, "netdev", json_object_new_string(s->netdev));
	json_object_object_add(o, "mac", json_object_new_string(mac));
	json_object_object_add(o, "vfFields",
			       json_object_new_int((int)s->vf_fields));
	json_object_object_add(vf, "vf", json_object_new_int(v->vf));
	json_object_object_add(vf, "mac", json_object_new_string(vmac));
	json_object_object_add(vf, "vlan", json_object_new_int(v->vlan));
	json_object_object_add(vf, "qos", json_object_new_int(v->qos));
	json_object_object_add(vf, "vlanProto",
			       json_object_new_int(v->vlan_proto));
	json_object_object_add(vf, "spoofchk",
			       json_object_new_int(v->spoofchk));
	json_object_object_add(vf, "trust", json_object_new_int(v->trust));
	json_object_object_add(vf, "linkState",
			       json_object_new_int(v->link_state));
	json_object_object_add(vf, "minTxRate",
			       json_object_new_int64(v->min_tx_rate));
	json_object_object_add(vf, "maxTxRate",
			       json_object_new_int64(v->max_tx_rate));
	json_object_object_add(o, "vf", vf);
	return o;
}

static int state_write(const struct delegate_req *req,
		       const struct sriov_state *s, struct cni_err *err)
{
	char path[4096];
	json_object *o = state_json(s);
	const char *txt = json_object_to_json_string(o);
	int r;

	r = state_path(req, path, sizeof(path), err);
	if (r == 0)
		r = cni_fs_write_atomic(path, txt, strlen(txt), 0600, err);
	json_object_put(o);
	return r;
}

static int get_i(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int(v) : 0;
}

static void get_s(json_object *o, const char *k, char *buf, size_t n)
{
	json_object *v;

	snprintf(buf, n, "%s",
		 json_object_object_get_ex(o, k, &v) ? json_object_get_string(v)
						     : "");
}

/* -ENOENT (no err) when there is no state file. */
static int state_read(const struct delegate_req *req, struct sriov_state *ret,
		      struct cni_err *err)
{
	struct sriov_state s = { 0 };
	char path[4096], mac[32], vmac[32], *buf = NULL;
	json_object *o = NULL, *vf = NULL;
	size_t len;
	int r;

	r = state_path(req, path, sizeof(path), err);
	if (r < 0)
		return r;
	if (access(path, F_OK) < 0)
		return -ENOENT;
	r = cni_read_file(path, &buf, &len, err);
	if (r == 0)
		r = cni_json_parse(buf, len, path, &o, err);
	free(buf);
	if (r < 0)
		return r;
	get_s(o, "deviceID", s.device_id, sizeof(s.device_id));
	get_s(o, "pf", s.pf, sizeof(s.pf));
	get_s(o, "netdev", s.netdev, sizeof(s.netdev));
	get_s(o, "mac", mac, sizeof(mac));
	s.vf_fields = (unsigned int)get_i(o, "vfFields");
	json_object_object_get_ex(o, "vf", &vf);
	s.vf_orig = (struct nl_vf_info){
		.vf = get_i(vf, "vf"),
		.vlan = get_i(vf, "vlan"),
		.qos = get_i(vf, "qos"),
		.vlan_proto = (uint16_t)get_i(vf, "vlanProto"),
		.spoofchk = get_i(vf, "spoofchk"),
		.trust = get_i(vf, "trust"),
		.link_state = get_i(vf, "linkState"),
		.min_tx_rate = (uint32_t)get_i(vf, "minTxRate"),
		.max_tx_rate = (uint32_t)get_i(vf, "maxTxRate"),
	};
	get_s(vf, "mac", vmac, sizeof(vmac));
	json_object_put(o);
	if (!s.netdev[0] || dl_mac_parse(mac, s.mac) < 0 ||
	    dl_mac_parse(vmac, s.vf_orig.mac) < 0)
		return cni_errf(err, CNI_ERR_DECODE,
				"%s: not a state file of " PLUGIN, path);
	*ret = s;
	return 0;
}

static void state_remove(const struct delegate_req *req)
{
	char path[4096];

	if (state_path(req, path, sizeof(path), NULL) == 0)
		unlink(path);
}

/* The VF settings the config asks for, and which fields they are. */
static unsigned int vf_wanted(const struct sriov_conf *c, int vf,
			      struct nl_vf_info *w)
{
	unsigned int f = 0;

	*w = (struct nl_vf_info){ .vf = vf,
				  .vlan = c->vlan,
				  .qos = c->qos,
				  .vlan_proto = c->vlan_proto,
				  .spoofchk = c->spoofchk,
				  .trust = c->trust,
				  .link_state = c->link_state };
	if (c->c.has_mac) {
		memcpy(w->mac, c->c.mac, 6);
		f |= NL_VF_MAC;
	}
	f |= c->vlan >= 0 ? NL_VF_VLAN : 0;
	f |= c->spoofchk >= 0 ? NL_VF_SPOOFCHK : 0;
	f |= c->trust >= 0 ? NL_VF_TRUST : 0;
	f |= c->link_state >= 0 ? NL_VF_LINK_STATE : 0;
	if (c->min_tx_rate >= 0 || c->max_tx_rate >= 0) {
		f |= NL_VF_RATE;
		w->min_tx_rate =
			c->min_tx_rate > 0 ? (uint32_t)c->min_tx_rate : 0;
		w->max_tx_rate =
			c->max_tx_rate > 0 ? (uint32_t)c->max_tx_rate : 0;
	}
	return f;
}

/* ---- ADD ---- */

struct sriov_add {
	const struct delegate_req *req;
	struct sriov_conf c;
	struct sriov_vf_loc loc;
	struct sriov_state st;
	struct nl_ctx *host, *pod;
	struct nl_link_info vf, pf, podl;
	struct nl_vf_info want;
	struct cni_result *res;
	struct dl_undos undo;
};

static void undo_ipam(void *arg)
{
	struct sriov_add *a = arg;

	dl_ipam_exec(a->req, a->c.c.ipam_type, CNI_CMD_DEL, NULL, NULL);
}

static void undo_state(void *arg)
{
	state_remove(((struct sriov_add *)arg)->req);
}

static void undo_vf(void *arg)
{
	struct sriov_add *a = arg;

	if (nl_vf_set(a->host, a->pf.ifindex, &a->st.vf_orig, a->st.vf_fields,
		      NULL) < 0)
		return; /* nothing more to try */
}

static void undo_mac(void *arg)
{
	struct sriov_add *a = arg;
	struct nl_link_info l;

	if (nl_link_get(a->host, a->st.netdev, &l, false, NULL) == 0 &&
	    nl_link_set_mac(a->host, l.ifindex, a->st.mac, NULL) < 0)
		return; /* nothing more to try */
}

static void undo_move(void *arg)
{
	struct sriov_add *a = arg;
	struct nl_link_info l;

	if (nl_link_get(a->pod, a->req->env->ifname, &l, false, NULL) < 0 ||
	    nl_link_set_up(a->pod, l.ifindex, false, NULL) < 0 ||
	    nl_link_move(a->pod, l.ifindex, a->host, a->st.netdev, NULL) < 0)
		return; /* nothing more to try */
}

static int sriov_prepare(struct sriov_add *a, struct cni_err *err)
{
	const char *root = a->req->sysfs_root ? a->req->sysfs_root : "/sys";
	struct nl_link_info l;
	int r = sriov_vf_locate(root, a->c.device_id, true, &a->loc, err);

	if (r == 0)
		r = nl_ctx_open(&a->host, err);
	if (r == 0)
		r = dl_pod_open(a->req, &a->pod, err);
	if (r == 0 &&
	    nl_link_get(a->pod, a->req->env->ifname, &l, false, NULL) == 0)
		r = cni_errf(err, CNI_ERR_INVALID_ENV,
			     "CNI_IFNAME: \"%s\" already exists in the pod",
			     a->req->env->ifname);
	if (r == 0 &&
	    nl_link_get(a->host, a->loc.netdev, &a->vf, false, NULL) < 0)
		r = cni_errf(err, CNI_ERR_INVALID_CONFIG,
			     PLUGIN ": \"deviceID\": VF %s: its netdev %s is "
				    "not in the host netns (in use?)",
			     a->c.device_id, a->loc.netdev);
	if (r < 0)
		return r;
	snprintf(a->st.device_id, sizeof(a->st.device_id), "%s",
		 a->c.device_id);
	snprintf(a->st.pf, sizeof(a->st.pf), "%s", a->loc.pf_netdev);
	snprintf(a->st.netdev, sizeof(a->st.netdev), "%s", a->vf.name);
	memcpy(a->st.mac, a->vf.mac, 6);
	a->st.vf_fields = vf_wanted(&a->c, a->loc.vf, &a->want);
	if (!a->st.vf_fields)
		return 0;
	r = nl_link_get(a->host, a->loc.pf_netdev, &a->pf, true, err);
	if (r == 0)
		r = nl_vf_get(a->host, a->pf.ifindex, a->loc.vf, &a->st.vf_orig,
			      err);
	return r;
}

static int sriov_apply(struct sriov_add *a, struct cni_err *err)
{
	int r = state_write(a->req, &a->st, err);

	if (r < 0)
		return r;
	dl_undo_push(&a->undo, undo_state, a);
	if (a->st.vf_fields) {
		r = nl_vf_set(a->host, a->pf.ifindex, &a->want, a->st.vf_fields,
			      err);
		if (r < 0)
			return r;
		dl_undo_push(&a->undo, undo_vf, a);
	}
	r = nl_link_set_up(a->host, a->vf.ifindex, false, err);
	if (r == 0 && a->c.c.has_mac) {
		r = nl_link_set_mac(a->host, a->vf.ifindex, a->c.c.mac, err);
		if (r == 0)
			dl_undo_push(&a->undo, undo_mac, a);
	}
	if (r == 0)
		r = nl_link_move(a->host, a->vf.ifindex, a->pod,
				 a->req->env->ifname, err);
	if (r < 0)
		return r;
	dl_undo_push(&a->undo, undo_move, a);
	r = nl_link_get(a->pod, a->req->env->ifname, &a->podl, true, err);
	if (r == 0)
		r = dl_iface_configure(a->pod, a->podl.ifindex, a->res, err);
	if (r == 0)
		r = nl_link_get_index(a->pod, a->podl.ifindex, &a->podl, err);
	return r;
}

static int sriov_add_steps(struct sriov_add *a, struct cni_err *err)
{
	size_t idx;
	int r = sriov_prepare(a, err);

	if (r < 0)
		return r;
	if (a->c.c.ipam_type) {
		r = dl_ipam_exec(a->req, a->c.c.ipam_type, CNI_CMD_ADD, &a->res,
				 err);
		if (r < 0)
			return r;
		dl_undo_push(&a->undo, undo_ipam, a);
	} else if (!(a->res = cni_result_new())) {
		return -ENOMEM;
	}
	r = sriov_apply(a, err);
	if (r < 0)
		return r;
	cni_result_ifaces_clear(a->res);
	if (dl_result_add_iface(a->res, a->podl.name, &a->podl,
				a->req->env->netns, &idx) < 0 ||
	    !(a->res->ifaces[idx].pci_id = strdup(a->c.device_id)))
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	dl_result_ips_to(a->res, idx);
	return 0;
}

static int sriov_add(const struct delegate_req *req, struct cni_result **ret,
		     struct cni_err *err)
{
	struct sriov_add a = { .req = req };
	int r = sriov_conf_parse(req->conf, &a.c, err);

	if (r == 0)
		r = sriov_add_steps(&a, err);
	if (r < 0) {
		dl_undo_run(&a.undo);
		cni_result_free(a.res);
	} else {
		*ret = a.res;
	}
	nl_ctx_close(a.pod);
	nl_ctx_close(a.host);
	return r;
}

/* ---- DEL ---- */

/* Bring the VF netdev back from the pod under its own name; nothing to
 * do (0) when it is not in the pod or the pod is gone. */
static int netdev_back(const struct delegate_req *req, struct nl_ctx *host,
		       const struct sriov_state *st, struct cni_err *err)
{
	struct nl_ctx *pod = NULL;
	struct nl_link_info l;
	int r;

	if (!req->env->netns || !*req->env->netns)
		return 0;
	r = dl_pod_open(req, &pod, err);
	if (r == -ENOENT) {
		if (err)
			memset(err, 0, sizeof(*err));
		return 0;
	}
	if (r == 0 &&
	    nl_link_get(pod, req->env->ifname, &l, false, NULL) == 0) {
		r = nl_link_set_up(pod, l.ifindex, false, err);
		if (r == 0)
			r = nl_link_move(pod, l.ifindex, host, st->netdev, err);
	}
	nl_ctx_close(pod);
	return r;
}

/* The VF netdev in the host: by its own name, else through sysfs (a pod
 * netns that went away hands a physical netdev back to the host). */
static int netdev_find(const struct delegate_req *req, struct nl_ctx *host,
		       const struct sriov_state *st, struct nl_link_info *ret)
{
	const char *root = req->sysfs_root ? req->sysfs_root : "/sys";
	struct sriov_vf_loc loc;

	if (nl_link_get(host, st->netdev, ret, false, NULL) == 0)
		return 0;
	if (sriov_vf_locate(root, st->device_id, true, &loc, NULL) < 0)
		return -ENODEV;
	return nl_link_get(host, loc.netdev, ret, false, NULL);
}

static int sriov_restore(const struct delegate_req *req,
			 const struct sriov_state *st, struct cni_err *err)
{
	struct nl_ctx *host = NULL;
	struct nl_link_info l, pf;
	int r = nl_ctx_open(&host, err);

	if (r == 0)
		r = netdev_back(req, host, st, err);
	if (r == 0 && netdev_find(req, host, st, &l) == 0) {
		if (strcmp(l.name, st->netdev))
			r = nl_link_set_up(host, l.ifindex, false, err)
				    ?: nl_link_set_name(host, l.ifindex,
							st->netdev, err);
		if (r == 0 && memcmp(l.mac, st->mac, 6))
			r = nl_link_set_mac(host, l.ifindex, st->mac, err);
	}
	if (r == 0 && st->vf_fields) {
		r = nl_link_get(host, st->pf, &pf, true, err);
		if (r == 0)
			r = nl_vf_set(host, pf.ifindex, &st->vf_orig,
				      st->vf_fields, err);
	}
	nl_ctx_close(host);
	return r;
}

static int sriov_del(const struct delegate_req *req, struct cni_err *err)
{
	struct sriov_conf c;
	struct sriov_state st;
	struct cni_err e2 = { 0 };
	int r = sriov_conf_parse(req->conf, &c, err), rs, r2 = 0;

	if (r < 0)
		return r;
	rs = state_read(req, &st, err);
	if (rs < 0 && rs != -ENOENT)
		return rs;
	if (c.c.ipam_type)
		r = dl_ipam_exec(req, c.c.ipam_type, CNI_CMD_DEL, NULL, err);
	if (rs == 0) {
		r2 = sriov_restore(req, &st, r < 0 ? &e2 : err);
		if (r2 == 0)
			state_remove(req);
	}
	if (r < 0 && r2 < 0)
		cni_err_add_details(err, "also: %s", e2.msg);
	return r < 0 ? r : r2;
}

/* ---- CHECK ---- */

static int vf_mismatch(const char *key, struct cni_err *err)
{
	return cni_errf(err, CNI_ERR_NETLINK,
			"CHECK: the VF's \"%s\" differs from the config", key);
}

static int vf_compare(unsigned int f, const struct nl_vf_info *want,
		      const struct nl_vf_info *have, struct cni_err *err)
{
	if ((f & NL_VF_MAC) && memcmp(have->mac, want->mac, 6))
		return vf_mismatch("mac", err);
	if ((f & NL_VF_VLAN) &&
	    (have->vlan != want->vlan || have->qos != want->qos))
		return vf_mismatch("vlan", err);
	if ((f & NL_VF_SPOOFCHK) && have->spoofchk >= 0 &&
	    have->spoofchk != want->spoofchk)
		return vf_mismatch("spoofchk", err);
	if ((f & NL_VF_TRUST) && have->trust >= 0 && have->trust != want->trust)
		return vf_mismatch("trust", err);
	if ((f & NL_VF_LINK_STATE) && have->link_state >= 0 &&
	    have->link_state != want->link_state)
		return vf_mismatch("link_state", err);
	if ((f & NL_VF_RATE) && (have->min_tx_rate != want->min_tx_rate ||
				 have->max_tx_rate != want->max_tx_rate))
		return vf_mismatch("max_tx_rate", err);
	return 0;
}

static int vf_check(const struct delegate_req *req, const struct sriov_conf *c,
		    struct cni_err *err)
{
	const char *root = req->sysfs_root ? req->sysfs_root : "/sys";
	struct nl_vf_info want, have;
	struct sriov_vf_loc loc;
	struct nl_link_info pf;
	struct nl_ctx *host = NULL;
	unsigned int f;
	int r = sriov_vf_locate(root, c->device_id, false, &loc, err);

	if (r < 0)
		return r;
	f = vf_wanted(c, loc.vf, &want);
	if (!f)
		return 0;
	r = nl_ctx_open(&host, err);
	if (r == 0)
		r = nl_link_get(host, loc.pf_netdev, &pf, true, err);
	if (r == 0)
		r = nl_vf_get(host, pf.ifindex, loc.vf, &have, err);
	nl_ctx_close(host);
	return r < 0 ? r : vf_compare(f, &want, &have, err);
}

static int sriov_check(const struct delegate_req *req, struct cni_err *err)
{
	struct sriov_conf c;
	struct cni_result *prev = NULL;
	struct nl_ctx *pod = NULL;
	int r = sriov_conf_parse(req->conf, &c, err);

	if (r == 0)
		r = dl_prev_result(req, &prev, err);
	if (r == 0 && c.c.ipam_type)
		r = dl_ipam_exec(req, c.c.ipam_type, CNI_CMD_CHECK, NULL, err);
	if (r == 0)
		r = dl_pod_open(req, &pod, err);
	if (r == 0)
		r = dl_check_pod_iface(pod, req->env->ifname, NULL, prev, NULL,
				       err);
	if (r == 0)
		r = vf_check(req, &c, err);
	nl_ctx_close(pod);
	cni_result_free(prev);
	return r;
}

static int sriov_conf_check(json_object *conf, struct cni_err *err)
{
	struct sriov_conf c;

	return sriov_conf_parse(conf, &c, err);
}

const struct delegate_ops sriov_delegate = {
	.name = PLUGIN,
	.add = sriov_add,
	.check = sriov_check,
	.del = sriov_del,
	.conf_check = sriov_conf_check,
};
