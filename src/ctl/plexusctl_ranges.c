// SPDX-License-Identifier: Apache-2.0
/* IPAM ranges for validate: CIDRs and whereabouts' START-END/PREFIX,
 * IPv4 and IPv6, as closed intervals of addresses. Addresses and
 * prefixes are read by plexus-ipam's own parser (ipam_addr.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ipam_addr.h"
#include "plexusctl.h"

/* "ADDR/LEN" of an address text and a prefix-length text. */
static int prefix_of(const char *addr, const char *len, struct ipam_prefix *ret)
{
	char buf[160];

	if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", addr, len) >=
	    sizeof(buf))
		return -EINVAL;
	return ipam_prefix_parse(buf, false, ret, NULL);
}

/* START-END inside the CIDR START/prefix (END may be empty: to the end
 * of the prefix). */
static int parse_span(char *span, const char *len, struct ctl_range *ret,
		      const char **why)
{
	char *dash = strchr(span, '-');
	struct ipam_prefix p;
	struct ipam_addr a, b;

	*dash = '\0';
	if (ipam_addr_parse(span, &a))
		return *why = "the start is not an IP address", -EINVAL;
	if (prefix_of(span, len, &p))
		return *why = "bad prefix length", -EINVAL;
	ret->family = a.family;
	ret->lo = a.v;
	ret->hi = ipam_prefix_last(&p);
	if (dash[1]) {
		if (ipam_addr_parse(dash + 1, &b) || b.family != a.family)
			return *why = "the end is not an IP address of the "
				      "start's family",
			       -EINVAL;
		if (b.v > ret->hi)
			return *why = "the end is outside the prefix", -EINVAL;
		ret->hi = b.v;
	}
	if (ret->lo > ret->hi)
		return *why = "the start is after the end", -EINVAL;
	return 0;
}

int ctl_range_parse(const char *s, struct ctl_range *ret, const char **why)
{
	char buf[128], *slash;
	struct ipam_prefix p;
	struct ipam_addr a;

	*why = NULL;
	if (strlen(s) >= sizeof(buf))
		return *why = "too long", -EINVAL;
	strcpy(buf, s);
	slash = strrchr(buf, '/');
	if (!slash)
		return *why = "no /prefix", -EINVAL;
	*slash = '\0';
	if (strchr(buf, '-'))
		return parse_span(buf, slash + 1, ret, why);
	if (ipam_addr_parse(buf, &a))
		return *why = "not an IP address", -EINVAL;
	if (prefix_of(buf, slash + 1, &p))
		return *why = "bad prefix length", -EINVAL;
	ret->family = p.addr.family;
	ret->lo = p.addr.v;
	ret->hi = ipam_prefix_last(&p);
	return 0;
}

bool ctl_range_overlap(const struct ctl_range *a, const struct ctl_range *b)
{
	return a->family == b->family && a->lo <= b->hi && b->lo <= a->hi;
}

bool ctl_range_contains(const struct ctl_range *r, const struct ipam_addr *a)
{
	return r->family == a->family && r->lo <= a->v && a->v <= r->hi;
}
