/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_KINDS_H
#define PLEXUS_KINDS_H

/* The parsed configs of each native delegate, for the ops and their unit
 * tests. Strings borrow the JSON they were parsed from. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "dl.h"

struct cni_err;

/* vlan, vlanTrunk, preserveDefaultVlan of plexus-bridge. */
#define BRIDGE_VLAN_MAX 4094
struct bridge_vlans {
	int vlan;	       /* access VLAN (PVID, untagged); 0: none */
	bool trunk_set;	       /* vlanTrunk given, even empty */
	bool preserve_default; /* preserveDefaultVlan, default true */
	size_t n_trunk;	       /* ids in trunk */
	uint8_t trunk[(BRIDGE_VLAN_MAX + 8) / 8]; /* bit per tagged id */
};
int bridge_vlans_parse(json_object *conf, struct bridge_vlans *ret,
		       struct cni_err *err);
/* Does the config turn VLAN filtering on for a bridge it creates? */
bool bridge_vlans_filtering(const struct bridge_vlans *v);
bool bridge_vlans_trunk_has(const struct bridge_vlans *v, int vid);
/* -EOPNOTSUPP from a VLAN request: code 2 naming the key; else r. */
int bridge_vlans_unsupported(const struct bridge_vlans *v, int r,
			     struct cni_err *err);
/* Put the config's VLANs on a bridge port (the bridge's default VLAN
 * removed first unless preserved); CHECK them. */
int bridge_vlans_port_apply(struct nl_ctx *host, int port,
			    const struct bridge_vlans *v, struct cni_err *err);
int bridge_vlans_port_check(struct nl_ctx *host, int port, const char *name,
			    const struct bridge_vlans *v, struct cni_err *err);

struct bridge_conf {
	struct dl_common c;
	struct bridge_vlans v;
	const char *bridge; /* default "cni0" */
	bool is_gw;	    /* isGateway (implied by isDefaultGateway) */
	bool is_default_gw;
	bool force_address;
	bool hairpin;
	bool promisc;
	bool ip_masq;  /* ipMasq, with nftables */
	bool spoofchk; /* macspoofchk, with nftables */
	bool dad;      /* enabledad: IPv6 DAD stays on in the pod */
};
int bridge_conf_parse(json_object *conf, struct bridge_conf *ret,
		      struct cni_err *err);

struct macvlan_conf {
	struct dl_common c;
	const char *master; /* NULL: the default route's link */
	uint32_t mode;	    /* MACVLAN_MODE_*, default bridge */
	bool link_in_container;
};
int macvlan_conf_parse(json_object *conf, struct macvlan_conf *ret,
		       struct cni_err *err);

struct ipvlan_conf {
	struct dl_common c;
	const char *master; /* NULL: the default route's link */
	int mode;	    /* IPVLAN_MODE_*, default l2 */
	bool link_in_container;
};
int ipvlan_conf_parse(json_object *conf, struct ipvlan_conf *ret,
		      struct cni_err *err);

/* SR-IOV: the SR-IOV CNI plugin's keys. Unset ints are -1. */
struct sriov_conf {
	struct dl_common c;    /* mac: "mac", overridden by runtimeConfig.mac */
	const char *device_id; /* runtimeConfig.deviceID, else deviceID */
	int vlan, qos;
	uint16_t vlan_proto; /* 0: unset */
	int spoofchk, trust; /* 0/1 */
	int link_state;	     /* IFLA_VF_LINK_STATE_* */
	int min_tx_rate, max_tx_rate;
};
int sriov_conf_parse(json_object *conf, struct sriov_conf *ret,
		     struct cni_err *err);

/* Where a VF is, from sysfs below root (a parameter, so tests can lay out
 * a stand-in tree): bus/pci/devices/<deviceID>/{physfn,net/<netdev>}. */
struct sriov_vf_loc {
	char pf_pci[64];
	char pf_netdev[NL_IFNAMSIZ];
	int vf;
	char netdev[NL_IFNAMSIZ];
};
/* need_netdev: fail when the VF shows no netdev (it is in a pod, or on a
 * userspace driver); else netdev is left empty. */
int sriov_vf_locate(const char *root, const char *device_id, bool need_netdev,
		    struct sriov_vf_loc *ret, struct cni_err *err);

#endif
