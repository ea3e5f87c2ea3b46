// SPDX-License-Identifier: Apache-2.0
/* A pod address equal to its network's gateway: the pod cannot reach its
 * gateway and others reach it by luck of ARP. Refused whichever IPAM
 * produced it. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "cni_error.h"
#include "cni_result.h"
#include "gwcheck.h"

/* The address part of "addr[/len]" as bytes; false when it is none. */
static bool addr_bytes(const char *s, int *ret_family, unsigned char *ret)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;

	if (!s || strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(ret, 0, 16);
	if (inet_pton(AF_INET, buf, ret) == 1) {
		*ret_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, ret) == 1) {
		*ret_family = AF_INET6;
		return true;
	}
	return false;
}

static bool is_gateway(const struct cni_result *res, int family,
		       const unsigned char *a)
{
	unsigned char g[16];
	int f;

	for (size_t j = 0; j < res->n_ips; j++)
		if (addr_bytes(res->ips[j].gateway, &f, g) && f == family &&
		    !memcmp(a, g, 16))
			return true;
	return false;
}

int gwcheck_result(json_object *res, const char *network, const char *ifname,
		   struct cni_err *err)
{
	struct cni_result *r;
	unsigned char a[16];
	int family, rc = 0;

	if (cni_result_parse(res, &r, NULL) < 0)
		return 0;
	for (size_t i = 0; i < r->n_ips && rc == 0; i++)
		if (addr_bytes(r->ips[i].address, &family, a) &&
		    is_gateway(r, family, a))
			rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
				      "network \"%s\" (%s): the pod's address "
				      "%s is the network's gateway; the IPAM "
				      "must not hand out its gateway",
				      network, ifname, r->ips[i].address);
	cni_result_free(r);
	return rc;
}
