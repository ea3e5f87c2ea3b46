/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_GWCHECK_H
#define PLEXUS_GWCHECK_H

#include <json-c/json.h>

struct cni_err;

/* Does a delegate's result give the pod an address that is also a
 * gateway of that result (an IPAM handing out its own gateway)? 0, or
 * code 7 naming the network and the address. A result that does not
 * parse is left to the caller (0). */
int gwcheck_result(json_object *res, const char *network, const char *ifname,
		   struct cni_err *err);

#endif
