// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: plexusd's answer line to "CLAIM ns c1", as plexus-ipam reads
 * it (ipam_claim_reply_parse): a claim is taken only as one of that
 * namespace and name that ipam_claim_parse takes; anything else is
 * "ask the API" (1) or refused (-EPROTO), never a claim; the same bytes
 * give the same answer. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipam_claim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipam_claim *c = NULL, *d = NULL;
	int r = ipam_claim_reply_parse((const char *)data, size, "ns", "c1",
				       &c);
	int r2;

	if (r != 0 && r != 1 && r != -EPROTO)
		abort();
	if ((r == 0) != (c != NULL))
		abort();
	if (r == 0 && (strcmp(c->ns, "ns") || strcmp(c->name, "c1") ||
		       c->n_ips > IPAM_CLAIM_IPS_MAX || size < 4 ||
		       memcmp(data, "OK ", 3)))
		abort();
	r2 = ipam_claim_reply_parse((const char *)data, size, "ns", "c1", &d);
	if (r2 != r)
		abort();
	ipam_claim_free(c);
	ipam_claim_free(d);
	return 0;
}
