/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PROUTES_H
#define PLEXUS_PROUTES_H

#include <stddef.h>
#include <json-c/json.h>

struct cni_err;

/* plexus's own NAD annotation: routes for the network's own policy
 * routing table (docs/routing.md) */
#define ANNOT_POLICY_ROUTES "plexus.dev/policy-routes"
/* Most routes one annotation may carry, and its largest value. */
#define PROUTES_MAX	  64
#define PROUTES_MAX_BYTES 16384

/* Parse the value of plexus.dev/policy-routes: a JSON list of at most
 * PROUTES_MAX objects {"dst": CIDR, "gw": address}, nothing else in them;
 * dst without host bits and not a default route, gw of dst's family, no
 * dst twice. *ret: a new array of {"dst", "gw"} in canonical text. Every
 * refusal has code 7, its message starting with `what` and naming the
 * route and the bad value. */
int proutes_parse(const char *buf, size_t len, const char *what,
		  json_object **ret, struct cni_err *err);

#endif
