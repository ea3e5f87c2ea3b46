/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_COMPAT_H
#define PLEXUS_IPAM_COMPAT_H

#include <stdbool.h>
#include <json-c/json.h>

struct cni_err;
struct ipam_conf;

/* Other IPAMs' configuration forms, so a NAD switches by its "type". */

/* Does the ipam object use host-local's form ("ranges" or "subnet")? */
bool ipam_hostlocal_form(json_object *ipam);

/* host-local's ranges into conf: each entry of "ranges" is a range set
 * (one address per set, its ranges tried in order); a top-level "subnet"
 * (with "rangeStart", "rangeEnd", "gateway") is one more set, first.
 * Code 7 naming the key for a malformed subnet, a rangeStart/rangeEnd/
 * gateway outside the subnet, rangeStart after rangeEnd, overlapping
 * ranges, a set mixing families, an empty "ranges" or set, and for
 * Whereabouts' keys ("range", "ipRanges") beside host-local's. */
int ipam_hostlocal_ranges(struct ipam_conf *c, json_object *ipam,
			  struct cni_err *err);

/* Whereabouts' backend keys ("kubernetes", "etcd_host", "datastore", ...)
 * without a plexus-ipam "store": code 7 naming the key and saying what to
 * write instead (they would otherwise be ignored and the pool kept in the
 * node-local file store). */
int ipam_compat_check(json_object *ipam, struct cni_err *err);

#endif
