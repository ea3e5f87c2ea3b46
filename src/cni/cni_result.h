/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_RESULT_H
#define PLEXUS_CNI_RESULT_H

#include <stddef.h>
#include <json-c/json.h>

#include "cni_version.h"

struct cni_err;

struct cni_iface {
	char *name;
	char *mac;
	char *sandbox;
	char *socket_path;
	char *pci_id;
	int mtu; /* 0: unset */
};

struct cni_ipc {
	char *address; /* CIDR, e.g. "10.1.0.5/24" */
	char *gateway; /* or NULL */
	int interface; /* index into interfaces, -1: unset */
};

struct cni_route {
	char *dst;
	char *gw;
	int mtu, advmss, priority, table, scope; /* -1: unset */
};

struct cni_dns {
	char **nameservers;
	size_t n_nameservers;
	char *domain;
	char **search;
	size_t n_search;
	char **options;
	size_t n_options;
};

/* A CNI result in the version-independent form of spec 1.1.0. */
struct cni_result {
	enum cni_ver ver; /* the version it was parsed from */
	struct cni_iface *ifaces;
	size_t n_ifaces;
	struct cni_ipc *ips;
	size_t n_ips;
	struct cni_route *routes;
	size_t n_routes;
	struct cni_dns dns;
};

/* Parse a result of any supported version (0.3.0 .. 1.1.0). Code 6 for
 * bad JSON or types, code 1 for an unsupported cniVersion. */
int cni_result_parse(json_object *obj, struct cni_result **ret,
		     struct cni_err *err);
int cni_result_parse_str(const char *buf, size_t len, struct cni_result **ret,
			 struct cni_err *err);

/* Render as JSON for version v: 0.3.x/0.4.0 get ips[].version and lose
 * the 1.1.0-only keys (interface mtu/socketPath/pciID, route
 * mtu/advmss/priority/table/scope). The caller owns the object. */
json_object *cni_result_to_json(const struct cni_result *res, enum cni_ver v);

/* Append all of src to dst, remapping ips[].interface. 0 or -ENOMEM. */
int cni_result_append(struct cni_result *dst, const struct cni_result *src);

/* Give every address of res without an interface index the index of its
 * interface called ifname with a sandbox, adding {ifname, sandbox} to
 * res' interfaces when it has none: a delegate called with CNI_IFNAME
 * ifname configured them there. 0 or -ENOMEM. */
int cni_result_ips_claim(struct cni_result *res, const char *ifname,
			 const char *sandbox);

struct cni_result *cni_result_new(void);
void cni_result_free(struct cni_result *res);
/* Free res's interfaces and leave it with none (a delegate drops an IPAM
 * result's interfaces to put its own). */
void cni_result_ifaces_clear(struct cni_result *res);

#endif
