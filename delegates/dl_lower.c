/* SPDX-License-Identifier: Apache-2.0 */
/* ADD and CHECK of a link stacked on a lower device (macvlan, ipvlan):
 * the pod interface is created directly inside the pod under CNI_IFNAME. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cni_error.h"
#include "dl.h"

struct lower_add {
	const struct delegate_req *req;
	const struct dl_lower *l;
	struct nl_ctx *host, *pod;
	struct nl_link_info master, link;
	struct cni_result *res;
	struct dl_ipam_call ipam;
	struct dl_undos undo;
};

static void undo_link(void *arg)
{
	struct lower_add *a = arg;

	if (nl_link_delete(a->pod, a->link.ifindex, NULL) < 0)
		return; /* gone already, or nothing more to try */
}

static int master_find(struct lower_add *a, struct cni_err *err)
{
	const struct dl_lower *l = a->l;
	struct nl_ctx *ctx = l->link_in_container ? a->pod : a->host;
	int r;

	if (!l->master)
		return dl_default_route_link(ctx, AF_INET, &a->master, err);
	r = nl_link_get(ctx, l->master, &a->master, false, err);
	if (r == -ENODEV)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"master\": no link \"%s\"%s", l->plugin,
				l->master,
				l->link_in_container ? " in the pod" : "");
	return r;
}

static int link_create(struct lower_add *a, struct cni_err *err)
{
	const struct dl_lower *l = a->l;
	struct nl_ctx *ctx = l->link_in_container ? a->pod : a->host;
	int r = l->create(ctx, a->req->env->ifname, a->master.ifindex, a->pod,
			  l->arg, err);

	if (r < 0)
		return r;
	r = nl_link_get(a->pod, a->req->env->ifname, &a->link, true, err);
	if (r < 0)
		return r;
	dl_undo_push(&a->undo, undo_link, a);
	return 0;
}

static int lower_add_steps(struct lower_add *a, struct cni_err *err)
{
	const struct dl_common *c = a->l->c;
	size_t idx;
	int r = nl_ctx_open(&a->host, err);

	if (r == 0)
		r = dl_pod_open(a->req, &a->pod, err);
	if (r == 0)
		r = dl_pod_ifname_free(a->pod, a->req->env->ifname, err);
	if (r == 0)
		r = master_find(a, err);
	if (r < 0)
		return r;
	if (c->ipam_type) { /* runs while the link is made */
		dl_ipam_start(&a->ipam, a->req, c->ipam_type, CNI_CMD_ADD);
		dl_undo_push(&a->undo, dl_ipam_undo, &a->ipam);
	}
	r = link_create(a, err);
	if (r == 0)
		r = dl_iface_sysctls(a->pod, a->req->env->ifname, false, err);
	if (r == 0 && c->ipam_type)
		r = dl_ipam_finish(&a->ipam, &a->res, err);
	else if (r == 0 && !(a->res = cni_result_new()))
		r = -ENOMEM;
	if (r == 0)
		r = dl_iface_configure(a->pod, a->link.ifindex, a->res, err);
	if (r == 0)
		r = nl_link_get_index(a->pod, a->link.ifindex, &a->link, err);
	if (r < 0)
		return r;
	cni_result_ifaces_clear(a->res);
	if (dl_result_add_iface(a->res, a->link.name, &a->link,
				a->req->env->netns, &idx) < 0)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	dl_result_ips_to(a->res, idx);
	return 0;
}

int dl_lower_add(const struct delegate_req *req, const struct dl_lower *l,
		 struct cni_result **ret, struct cni_err *err)
{
	struct lower_add a = { .req = req, .l = l };
	int r = lower_add_steps(&a, err);

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

int dl_lower_check(const struct delegate_req *req, const struct dl_lower *l,
		   struct cni_err *err)
{
	struct cni_result *prev = NULL;
	struct nl_ctx *pod = NULL;
	struct nl_link_info link;
	int r = dl_prev_result(req, &prev, err);

	if (r == 0 && l->c->ipam_type)
		r = dl_ipam_exec(req, l->c->ipam_type, CNI_CMD_CHECK, NULL,
				 err);
	if (r == 0)
		r = dl_pod_open(req, &pod, err);
	if (r == 0)
		r = dl_check_pod_iface(pod, req->env->ifname, l->kind, prev,
				       &link, err);
	if (r == 0 && l->verify)
		r = l->verify(&link, l->arg, err);
	nl_ctx_close(pod);
	cni_result_free(prev);
	return r;
}
