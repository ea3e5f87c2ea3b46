/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_KINDS_H
#define PLEXUS_KINDS_H

/* The parsed configs of each native delegate, for the ops and their unit
 * tests. Strings borrow the JSON they were parsed from. */

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "dl.h"

struct cni_err;

struct bridge_conf {
	struct dl_common c;
	const char *bridge; /* default "cni0" */
	bool is_gw;	    /* isGateway (implied by isDefaultGateway) */
	bool is_default_gw;
	bool force_address;
	bool hairpin;
	bool promisc;
	bool ip_masq; /* ipMasq, with nftables */
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

#endif
