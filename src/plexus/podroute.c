// SPDX-License-Identifier: Apache-2.0
/* The annotation's "default-route": which interface the pod's default
 * route leaves by. */
#include <errno.h>
#include <stdlib.h>

#include "cache.h"
#include "cni_error.h"
#include "plan.h"
#include "podlinks.h"
#include "podroute.h"

/* The gateways of a (a JSON list of strings), as a NULL-terminated
 * array borrowed from it. */
static const char **gateways(const struct plexus_attachment *a, size_t *ret_n)
{
	size_t n = json_object_array_length(a->default_route);
	const char **gws = calloc(n + 1, sizeof(char *));

	for (size_t i = 0; gws && i < n; i++)
		gws[i] = json_object_get_string(
			json_object_array_get_idx(a->default_route, i));
	*ret_n = n;
	return gws;
}

int podroute_apply(const struct plexus_record *rec, const char *netns,
		   struct cni_err *err)
{
	const struct plexus_plan *p = rec->plan;

	for (size_t i = 0; i < p->n; i++) {
		const struct plexus_attachment *a = &p->att[i];
		const char **gws;
		size_t n;
		int r;

		if (!a->default_route ||
		    !json_object_is_type(a->default_route, json_type_array))
			continue;
		gws = gateways(a, &n);
		if (!gws)
			return -ENOMEM;
		r = podlinks_default_route(netns, a->ifname, gws, n, err);
		free(gws);
		if (r < 0) {
			cni_err_prefix(err, "network \"%s\" (%s)", a->network,
				       a->ifname);
			return r;
		}
	}
	return 0;
}
