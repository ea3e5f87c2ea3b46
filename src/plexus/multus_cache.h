/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_MULTUS_CACHE_H
#define PLEXUS_MULTUS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

struct cni_env;
struct cni_err;
struct plexus_record;

#define MULTUS_CACHE_DIR_DEFAULT "/var/lib/cni/multus"

/* Multus' cache of a container it added: <dir>/<containerID> (the JSON
 * list of its delegates, each config base64 in "Bytes") and libcni's
 * <dir>/results/<network>-<containerID>-<ifname> (each network's
 * result). As a record plexus can DEL and CHECK: the first delegate is
 * the default network (env's CNI_IFNAME), the others their
 * "ifnameRequest" or net<index>; runtime_config (the runtime's, may be
 * NULL) is each network's, with a delegate's saved requests (mac, ips,
 * infinibandGUID, deviceID) over it for the others. Without env's
 * ifname (GC), the default network's is the one in its result file's
 * name, else "eth0". -ENOENT when Multus has no file for the container;
 * code 6 for one plexus cannot read. */
int multus_cache_read(const char *dir, const struct cni_env *env,
		      json_object *runtime_config, struct plexus_record **ret,
		      struct cni_err *err);

/* The delegates file's contents buf[0..len) alone (no results). */
int multus_cache_parse(const char *buf, size_t len, const char *ifname,
		       json_object *runtime_config, struct plexus_record **ret,
		       struct cni_err *err);

/* Remove Multus' files of the container rec was read for. */
void multus_cache_remove(const char *dir, const char *container_id,
			 const struct plexus_record *rec);

/* Remove libcni's result files in <dir>/results of containers that are
 * not live(cid, arg) and whose <dir>/<cid> file is gone (GC). */
void multus_cache_sweep_results(const char *dir,
				bool (*live)(const char *cid, void *arg),
				void *arg);

#endif
