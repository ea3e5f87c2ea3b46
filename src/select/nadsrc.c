/* SPDX-License-Identifier: Apache-2.0 */
/* Freeing a NAD source (nadsrc_open.c picks one). */
#include <stdlib.h>

#include "nadsrc.h"

void nad_source_free(struct nad_source *src)
{
	if (!src)
		return;
	if (src->ops->free)
		src->ops->free(src->ctx);
	free(src);
}

unsigned nad_source_requests(const struct nad_source *src)
{
	return src && src->ops->requests ? src->ops->requests(src->ctx) : 0;
}
