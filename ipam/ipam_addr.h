/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_ADDR_H
#define PLEXUS_IPAM_ADDR_H

#include <stdbool.h>
#include <stddef.h>

/* Addresses as 128-bit integers, so a whole IPv6 /64 (or larger) is plain
 * arithmetic; IPv4 uses the low 32 bits. */
typedef unsigned __int128 ipam_u128;

struct ipam_addr {
	int family; /* AF_INET or AF_INET6 */
	ipam_u128 v;
};

struct ipam_prefix {
	struct ipam_addr addr; /* network address (host bits zero) */
	int len;
};

#define IPAM_ADDR_STRLEN   46
#define IPAM_PREFIX_STRLEN 50

/* Parse an address; 0 or -EINVAL. */
int ipam_addr_parse(const char *s, struct ipam_addr *ret);
/* Parse "addr/len"; with `strict` host bits must be zero. The address
 * before masking goes to ret_host when not NULL. 0 or -EINVAL. */
int ipam_prefix_parse(const char *s, bool strict, struct ipam_prefix *ret,
		      struct ipam_addr *ret_host);
/* Format into buf (IPAM_ADDR_STRLEN / IPAM_PREFIX_STRLEN bytes). */
char *ipam_addr_fmt(const struct ipam_addr *a, char *buf);
char *ipam_prefix_fmt(const struct ipam_prefix *p, char *buf);

/* Bits of the family (32 or 128). */
int ipam_addr_bits(int family);
/* Mask of the host part of a prefix of length len. */
ipam_u128 ipam_host_mask(int family, int len);
/* Is a inside p (same family)? */
bool ipam_prefix_contains(const struct ipam_prefix *p,
			  const struct ipam_addr *a);
/* Last address of p. */
ipam_u128 ipam_prefix_last(const struct ipam_prefix *p);
/* Do the two prefixes share an address? */
bool ipam_prefix_overlaps(const struct ipam_prefix *a,
			  const struct ipam_prefix *b);

/* Fixed-width lower-case hex of v (32 digits, or 8 for IPv4). */
char *ipam_u128_hex(ipam_u128 v, int family, char *buf);
/* Parse hex digits (at most 32). 0 or -EINVAL. */
int ipam_u128_parse_hex(const char *s, ipam_u128 *ret);

#endif
