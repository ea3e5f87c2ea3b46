/* SPDX-License-Identifier: Apache-2.0 */
/* Addresses and prefixes as 128-bit integers. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipam_addr.h"

int ipam_addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

ipam_u128 ipam_host_mask(int family, int len)
{
	int host = ipam_addr_bits(family) - len;

	if (host <= 0)
		return 0;
	if (host >= 128)
		return ~(ipam_u128)0;
	return ((ipam_u128)1 << host) - 1;
}

int ipam_addr_parse(const char *s, struct ipam_addr *ret)
{
	unsigned char b[16];
	ipam_u128 v = 0;
	int i;

	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, b) == 1) {
		for (i = 0; i < 4; i++)
			v = (v << 8) | b[i];
		ret->family = AF_INET;
		ret->v = v;
		return 0;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		for (i = 0; i < 16; i++)
			v = (v << 8) | b[i];
		ret->family = AF_INET6;
		ret->v = v;
		return 0;
	}
	return -EINVAL;
}

int ipam_prefix_parse(const char *s, bool strict, struct ipam_prefix *ret,
		      struct ipam_addr *ret_host)
{
	char buf[IPAM_PREFIX_STRLEN + 1];
	struct ipam_addr a;
	const char *slash;
	char *end;
	long len;

	if (!s || !(slash = strchr(s, '/')) ||
	    (size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	if (ipam_addr_parse(buf, &a) < 0)
		return -EINVAL;
	/* digits only, no leading zero ("/024" is refused: a length written
	 * two ways would let two parsers disagree) */
	if (slash[1] < '0' || slash[1] > '9' ||
	    (slash[1] == '0' && slash[2] != '\0'))
		return -EINVAL;
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (errno || *end || len < 0 || len > ipam_addr_bits(a.family))
		return -EINVAL;
	if (strict && (a.v & ipam_host_mask(a.family, (int)len)))
		return -EINVAL;
	if (ret_host)
		*ret_host = a;
	ret->addr.family = a.family;
	ret->addr.v = a.v & ~ipam_host_mask(a.family, (int)len);
	ret->len = (int)len;
	return 0;
}

char *ipam_addr_fmt(const struct ipam_addr *a, char *buf)
{
	unsigned char b[16];
	int i, n = a->family == AF_INET ? 4 : 16;
	ipam_u128 v = a->v;

	for (i = n - 1; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)(v & 0xff);
	if (!inet_ntop(a->family, b, buf, IPAM_ADDR_STRLEN))
		snprintf(buf, IPAM_ADDR_STRLEN, "?");
	return buf;
}

char *ipam_prefix_fmt(const struct ipam_prefix *p, char *buf)
{
	char a[IPAM_ADDR_STRLEN];

	snprintf(buf, IPAM_PREFIX_STRLEN, "%s/%d", ipam_addr_fmt(&p->addr, a),
		 p->len);
	return buf;
}

bool ipam_prefix_contains(const struct ipam_prefix *p,
			  const struct ipam_addr *a)
{
	return p->addr.family == a->family &&
	       (a->v & ~ipam_host_mask(a->family, p->len)) == p->addr.v;
}

ipam_u128 ipam_prefix_last(const struct ipam_prefix *p)
{
	return p->addr.v | ipam_host_mask(p->addr.family, p->len);
}

bool ipam_prefix_overlaps(const struct ipam_prefix *a,
			  const struct ipam_prefix *b)
{
	return a->addr.family == b->addr.family &&
	       (ipam_prefix_contains(a, &b->addr) ||
		ipam_prefix_contains(b, &a->addr));
}

char *ipam_u128_hex(ipam_u128 v, int family, char *buf)
{
	int i, n = family == AF_INET ? 8 : 32;

	for (i = n - 1; i >= 0; i--, v >>= 4)
		buf[i] = "0123456789abcdef"[v & 0xf];
	buf[n] = '\0';
	return buf;
}

int ipam_u128_parse_hex(const char *s, ipam_u128 *ret)
{
	ipam_u128 v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 32)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -EINVAL;
		v = (v << 4) | (ipam_u128)d;
	}
	*ret = v;
	return 0;
}
