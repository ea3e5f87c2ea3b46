/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PLEXUSCTL_IPAM_H
#define PLEXUS_PLEXUSCTL_IPAM_H

/* `plexusctl ipam`: argv[0] is "ipam" (the command's own name, as the
 * plexusctl command table passes it), argv[1] the verb:
 *
 *   ipam ls --config FILE [-o table|json]
 *       every pool of the plexus-ipam config FILE (a network config with
 *       an "ipam" object, as the plugin reads it): its claimed blocks
 *       (owner node, used and free addresses) and each allocation (pod
 *       namespace/name, pod UID, container ID, interface, node).
 *   ipam gc --config FILE [--kubeconfig KC] [--dry-run] [-o table|json]
 *       releases the allocations whose pod UID no longer exists in the
 *       Kubernetes API (KC, else the in-cluster service account), by UID:
 *       a pod of the same namespace/name with a new UID (a StatefulSet
 *       replica) does not keep the old allocation. Allocations without a
 *       recorded UID are kept. Prints one line per release.
 *   Every verb takes -o table (the default) or -o json: one JSON
 *   document on stdout (docs/ipam.md, "plexusctl ipam").
 *   ipam show | release | reserve | unreserve ...
 *       one address (show, release) or a span of them (reserve,
 *       unreserve: kept out of allocation at run time); docs/ipam.md.
 *
 * Output goes to stdout, errors to stderr. Returns the exit code: 0 ok,
 * 1 the store or the API failed, 2 usage error or unreadable config.
 * In plexusctl_ipam.c (plexusctl_ipam_preview.c is plan's preview).
 * Links with libplexus-ipam.a, the Kubernetes client and libcni.a. */
int plexusctl_ipam(int argc, char **argv);

#endif
