/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_DEVCHECKPOINT_H
#define PLEXUS_DEVCHECKPOINT_H

#include <stddef.h>

struct cni_err;

/* The device IDs kubelet's device manager gave one pod, per resource
 * name, sorted, handed out in order (one per attachment asking). */
struct dev_pool;

/* Parse the kubelet checkpoint (kubelet_internal_checkpoint: Data.
 * PodDeviceEntries[{PodUID, ResourceName, DeviceIDs}], DeviceIDs either a
 * list or a map NUMA node -> list) keeping the entries of pod_uid. Code
 * CNI_ERR_DECODE on bad JSON or types. */
int dev_checkpoint_parse(const char *buf, size_t len, const char *pod_uid,
			 struct dev_pool **ret, struct cni_err *err);
/* Same from a file; a missing file gives an empty pool. */
int dev_checkpoint_load(const char *path, const char *pod_uid,
			struct dev_pool **ret, struct cni_err *err);
/* The next unused device ID of resource; NULL when none is left. The
 * string belongs to the pool. */
const char *dev_pool_take(struct dev_pool *pool, const char *resource);
void dev_pool_free(struct dev_pool *pool);

#endif
