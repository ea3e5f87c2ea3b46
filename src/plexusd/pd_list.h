/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_LIST_H
#define PLEXUS_PD_LIST_H

#include <stddef.h>
#include <json-c/json.h>

struct cni_err;

/* A Kubernetes list answer ({"metadata": {...}, "items": [...], ...})
 * read an item at a time, so a page is never held as one json-c tree:
 * on_item gets the text of each element of "items" in turn (not
 * NUL-ended; it parses and checks it; non-zero stops the walk and is
 * returned), and *ret_metadata the list's metadata parsed (NULL when it
 * has none; the caller puts it), set only on success. Only the
 * structure around the items is checked here (brackets, strings,
 * commas), and the keys are matched as written ("items", "metadata",
 * unescaped, as the API server writes them); the other top-level values
 * are skipped. -EINVAL, code CNI_ERR_KUBERNETES, when the text is not
 * such an object or has no "items" array. */
int pd_list_scan(const char *text, size_t len,
		 int (*on_item)(void *ctx, const char *item, size_t n,
				struct cni_err *err),
		 void *ctx, json_object **ret_metadata, struct cni_err *err);

#endif
