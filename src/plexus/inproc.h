/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_INPROC_H
#define PLEXUS_INPROC_H

#include "cni_exec.h"

/* Delegate execution that runs plexus' own plugins in this process
 * (plexus-ipam, and the native plexus-bridge/-macvlan/-ipvlan/-sriov)
 * through their library entry points, with the same stdin, environment
 * and results as exec'ing their binaries; every other plugin, and
 * VERSION, is exec'ed. PLEXUS_EXEC_ALWAYS=1 in the environment, or
 * "inProcess": false in the config, forces exec for all. */
extern const struct cni_exec_ops inproc_exec;

struct plexus_record;

/* Batched teardown of the pod's native attachments (plexus-bridge,
 * -macvlan, -ipvlan): after ADD their pod links are put in one link
 * group; before DEL that group is deleted in one request, and the
 * delegates' own DEL then finds the links gone and releases addresses.
 * Both only log a failure: DEL then deletes link by link. */
void inproc_pod_tag(const struct plexus_record *rec, const char *netns);
void inproc_pod_teardown(const struct plexus_record *rec, const char *netns);

#endif
