// SPDX-License-Identifier: Apache-2.0
/* Appending one result to another: the meta plugin's merge. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni_result.h"

static char *dup_opt(const char *s, int *fail)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*fail = 1;
	return d;
}

static int grow(void **arr, size_t n, size_t add, size_t size)
{
	void *p;

	if (add == 0)
		return 0;
	p = realloc(*arr, (n + add) * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + n * size, 0, add * size);
	*arr = p;
	return 0;
}

static int append_ifaces(struct cni_result *dst, const struct cni_result *src)
{
	int fail = 0;

	if (grow((void **)&dst->ifaces, dst->n_ifaces, src->n_ifaces,
		 sizeof(*dst->ifaces)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < src->n_ifaces; i++) {
		const struct cni_iface *s = &src->ifaces[i];
		struct cni_iface *d = &dst->ifaces[dst->n_ifaces++];

		d->name = dup_opt(s->name, &fail);
		d->mac = dup_opt(s->mac, &fail);
		d->sandbox = dup_opt(s->sandbox, &fail);
		d->socket_path = dup_opt(s->socket_path, &fail);
		d->pci_id = dup_opt(s->pci_id, &fail);
		d->mtu = s->mtu;
	}
	return fail ? -ENOMEM : 0;
}

static int append_ips(struct cni_result *dst, const struct cni_result *src,
		      size_t if_offset)
{
	int fail = 0;

	if (grow((void **)&dst->ips, dst->n_ips, src->n_ips,
		 sizeof(*dst->ips)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < src->n_ips; i++) {
		const struct cni_ipc *s = &src->ips[i];
		struct cni_ipc *d = &dst->ips[dst->n_ips++];

		d->address = dup_opt(s->address, &fail);
		d->gateway = dup_opt(s->gateway, &fail);
		d->interface =
			s->interface < 0 ? -1 : s->interface + (int)if_offset;
	}
	return fail ? -ENOMEM : 0;
}

static int append_routes(struct cni_result *dst, const struct cni_result *src)
{
	int fail = 0;

	if (grow((void **)&dst->routes, dst->n_routes, src->n_routes,
		 sizeof(*dst->routes)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < src->n_routes; i++) {
		struct cni_route *d = &dst->routes[dst->n_routes++];

		*d = src->routes[i];
		d->dst = dup_opt(src->routes[i].dst, &fail);
		d->gw = dup_opt(src->routes[i].gw, &fail);
	}
	return fail ? -ENOMEM : 0;
}

/* Add the strings of src missing from dst (set union, order kept). */
static int strv_union(char ***dst, size_t *n_dst, char **src, size_t n_src)
{
	for (size_t i = 0; i < n_src; i++) {
		size_t j;

		for (j = 0; j < *n_dst; j++)
			if (strcmp((*dst)[j], src[i]) == 0)
				break;
		if (j < *n_dst)
			continue;
		if (grow((void **)dst, *n_dst, 1, sizeof(char *)) < 0)
			return -ENOMEM;
		(*dst)[*n_dst] = strdup(src[i]);
		if (!(*dst)[(*n_dst)++])
			return -ENOMEM;
	}
	return 0;
}

static int append_dns(struct cni_dns *d, const struct cni_dns *s)
{
	int fail = 0;

	if (!d->domain)
		d->domain = dup_opt(s->domain, &fail);
	if (fail ||
	    strv_union(&d->nameservers, &d->n_nameservers, s->nameservers,
		       s->n_nameservers) < 0 ||
	    strv_union(&d->search, &d->n_search, s->search, s->n_search) < 0 ||
	    strv_union(&d->options, &d->n_options, s->options, s->n_options) <
		    0)
		return -ENOMEM;
	return 0;
}

int cni_result_append(struct cni_result *dst, const struct cni_result *src)
{
	size_t offset = dst->n_ifaces;
	int r;

	r = append_ifaces(dst, src);
	if (r == 0)
		r = append_ips(dst, src, offset);
	if (r == 0)
		r = append_routes(dst, src);
	if (r == 0)
		r = append_dns(&dst->dns, &src->dns);
	return r;
}

/* The index of res' interface called name with a sandbox, or -1. */
static int iface_in_sandbox(const struct cni_result *res, const char *name)
{
	for (size_t i = 0; i < res->n_ifaces; i++)
		if (res->ifaces[i].sandbox && res->ifaces[i].name &&
		    strcmp(res->ifaces[i].name, name) == 0)
			return (int)i;
	return -1;
}

int cni_result_ips_claim(struct cni_result *res, const char *ifname,
			 const char *sandbox)
{
	struct cni_iface *d;
	size_t unset = 0;
	int idx;

	for (size_t i = 0; i < res->n_ips; i++)
		unset += res->ips[i].interface < 0;
	if (unset == 0)
		return 0;
	idx = iface_in_sandbox(res, ifname);
	if (idx < 0) {
		if (grow((void **)&res->ifaces, res->n_ifaces, 1,
			 sizeof(*res->ifaces)) < 0)
			return -ENOMEM;
		d = &res->ifaces[res->n_ifaces];
		d->name = strdup(ifname);
		d->sandbox = strdup(sandbox);
		if (!d->name || !d->sandbox) {
			free(d->name);
			free(d->sandbox);
			d->name = d->sandbox = NULL;
			return -ENOMEM;
		}
		idx = (int)res->n_ifaces++;
	}
	for (size_t i = 0; i < res->n_ips; i++)
		if (res->ips[i].interface < 0)
			res->ips[i].interface = idx;
	return 0;
}
