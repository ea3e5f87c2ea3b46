/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CONFLICT_H
#define PLEXUS_CONFLICT_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

struct cni_err;
struct plexus_attachment;

/* IPv4 address conflict detection for pools with conflictDetection
 * (docs/ipam.md): after an attachment's ADD, plexus ARP-probes its IPv4
 * addresses from the pod's interface; one another host answers for is
 * given back (reserved as a conflict) and the attachment made again. */

/* How many times an attachment is made again after a conflict before
 * the ADD fails with code 122. */
#define CONFLICT_RETRIES 3

/* Does one of a's plugins take addresses from plexus-ipam with
 * "conflictDetection": true in its ipam object? */
bool conflict_enabled(const struct plexus_attachment *a);

/* Did a ask for its addresses: the selection element's "ips" or an
 * IPAMClaim, IP= in args (the call's CNI_ARGS), runtimeConfig.ips, or
 * args.cni.ips in a plugin's config? */
bool conflict_requested(const struct plexus_attachment *a, const char *args);

/* Probe every IPv4 address of the ADD result `result` from a->ifname in
 * netns. 0: nobody else answered; 1: *ret_addrs (the caller frees it)
 * holds the addresses another host answered for, separated by commas,
 * and who[] "ADDR (MAC m)" for each, separated by ", "; negative errno
 * when a probe could not be made (err set). Each probe's cost is logged
 * (verbose). */
int conflict_probe(const char *netns, const struct plexus_attachment *a,
		   json_object *result, char **ret_addrs, char *who,
		   size_t who_size, struct cni_err *err);

#endif
