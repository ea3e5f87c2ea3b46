/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_YAMLJSON_H
#define PLEXUS_YAMLJSON_H

#include <stddef.h>
#include <json-c/json.h>

struct cni_err;

/* Most documents one stream may hold, and deepest nesting. */
#define YAMLJSON_DOCS_MAX 4096
#define YAMLJSON_DEPTH	  64

/* Parse a YAML stream (which may be JSON) into one json-c value per
 * document, with the YAML 1.2 core schema for plain scalars (null, bool,
 * int, float, else string). Aliases, complex keys and more than
 * YAMLJSON_DEPTH levels are refused. Empty documents are skipped. `what`
 * names the source in messages; code CNI_ERR_DECODE. The caller frees
 * each document and the array. */
int yamljson_parse(const char *buf, size_t len, const char *what,
		   json_object ***ret_docs, size_t *ret_n, struct cni_err *err);
void yamljson_docs_free(json_object **docs, size_t n);

#endif
