/* SPDX-License-Identifier: Apache-2.0 */
/* The table of native delegates, found by plugin name. */
#include <string.h>

#include "delegate.h"

static const struct delegate_ops *const delegates[] = {
	&bridge_delegate,
	&macvlan_delegate,
	&ipvlan_delegate,
	&sriov_delegate,
};

const struct delegate_ops *delegate_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(delegates) / sizeof(delegates[0]);
	     i++)
		if (!strcmp(delegates[i]->name, name))
			return delegates[i];
	return NULL;
}
