/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CNI_IDS_H
#define PLEXUS_CNI_IDS_H

#include <stdbool.h>

struct cni_err;

/* Longest container ID taken: a record's file name (<id>_<ifname>.json
 * plus ".lock") stays under NAME_MAX. */
#define CNI_CONTAINER_ID_MAX 200

/* Is id a container ID as the CNI spec defines it: alphanumerics,
 * '_', '.', '-', starting with an alphanumeric (and at most
 * CNI_CONTAINER_ID_MAX bytes)? Safe as a file name then. */
bool cni_container_id_ok(const char *id);

/* The same with an error: `code` (4 for CNI_CONTAINERID) and a message
 * naming `field` and quoting the value (its printable part). */
int cni_container_id_check(const char *id, const char *field, int code,
			   struct cni_err *err);

#endif
