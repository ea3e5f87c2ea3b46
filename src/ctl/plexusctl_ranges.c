// SPDX-License-Identifier: Apache-2.0
/* IPAM ranges for validate: CIDRs and whereabouts' START-END/PREFIX,
 * IPv4 and IPv6, as closed intervals of addresses. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "plexusctl.h"

int ctl_addr_parse(const char *s, int *ret_family, unsigned char ret[16])
{
	unsigned char buf[16] = { 0 };

	if (inet_pton(AF_INET, s, buf) == 1) {
		memcpy(ret, buf, 16);
		*ret_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		memcpy(ret, buf, 16);
		*ret_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* lo = addr with the host bits cleared, hi = with them set */
static void mask_bounds(const unsigned char *addr, int family, int prefix,
			struct ctl_range *r)
{
	size_t n = addr_len(family);

	memset(r, 0, sizeof(*r));
	r->family = family;
	for (size_t i = 0; i < n; i++) {
		int bits = prefix - (int)i * 8;
		unsigned char m = bits >= 8 ? 0xff
				  : bits <= 0
					  ? 0
					  : (unsigned char)(0xff << (8 - bits));

		r->lo[i] = addr[i] & m;
		r->hi[i] = (unsigned char)(addr[i] | (unsigned char)~m);
	}
}

static int addr_cmp(const unsigned char *a, const unsigned char *b, int family)
{
	return memcmp(a, b, addr_len(family));
}

static int parse_prefix(const char *s, int family, int *ret)
{
	char *end;
	long v;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 3)
		return -EINVAL;
	v = strtol(s, &end, 10);
	if (v < 0 || v > (family == AF_INET ? 32 : 128))
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/* START-END inside the CIDR net/prefix (END may be empty: to the end) */
static int parse_span(char *span, const char *pfx, struct ctl_range *ret,
		      const char **why)
{
	char *dash = strchr(span, '-');
	unsigned char a[16], b[16];
	int fa, fb, prefix;

	*dash = '\0';
	if (ctl_addr_parse(span, &fa, a))
		return *why = "the start is not an IP address", -EINVAL;
	if (parse_prefix(pfx, fa, &prefix))
		return *why = "bad prefix length", -EINVAL;
	mask_bounds(a, fa, prefix, ret);
	memcpy(ret->lo, a, 16);
	if (dash[1]) {
		if (ctl_addr_parse(dash + 1, &fb, b) || fb != fa)
			return *why = "the end is not an IP address of the "
				      "start's family",
			       -EINVAL;
		if (addr_cmp(b, ret->hi, fa) > 0)
			return *why = "the end is outside the prefix", -EINVAL;
		memcpy(ret->hi, b, 16);
	}
	if (addr_cmp(ret->lo, ret->hi, fa) > 0)
		return *why = "the start is after the end", -EINVAL;
	return 0;
}

int ctl_range_parse(const char *s, struct ctl_range *ret, const char **why)
{
	char buf[128], *slash;
	unsigned char a[16];
	int fam, prefix, r;

	*why = NULL;
	if (strlen(s) >= sizeof(buf))
		return *why = "too long", -EINVAL;
	strcpy(buf, s);
	slash = strrchr(buf, '/');
	if (!slash)
		return *why = "no /prefix", -EINVAL;
	*slash = '\0';
	if (strchr(buf, '-')) {
		r = parse_span(buf, slash + 1, ret, why);
		return r;
	}
	if (ctl_addr_parse(buf, &fam, a))
		return *why = "not an IP address", -EINVAL;
	if (parse_prefix(slash + 1, fam, &prefix))
		return *why = "bad prefix length", -EINVAL;
	mask_bounds(a, fam, prefix, ret);
	return 0;
}

bool ctl_range_overlap(const struct ctl_range *a, const struct ctl_range *b)
{
	return a->family == b->family &&
	       addr_cmp(a->lo, b->hi, a->family) <= 0 &&
	       addr_cmp(b->lo, a->hi, a->family) <= 0;
}

bool ctl_range_contains(const struct ctl_range *r, int family,
			const unsigned char addr[16])
{
	return r->family == family && addr_cmp(r->lo, addr, family) <= 0 &&
	       addr_cmp(addr, r->hi, family) <= 0;
}
