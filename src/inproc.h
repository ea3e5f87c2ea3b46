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

#endif
