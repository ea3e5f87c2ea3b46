/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: a block header and an allocation record as a store returns
 * them (ipam_block.h, <pool>/b/<block> and <pool>/a/<block>/<off>),
 * whoever wrote them: the input is the header, a newline, the record. A
 * parsed header is formatted and parsed again and must come back the
 * same; the record is offered to every held offset. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "ipam_block.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(struct ipam_block *b)
{
	struct cni_err err = { 0 };
	struct ipam_block c;
	char *once = strdup(ipam_block_str(b));

	if (!once)
		return;
	if (ipam_block_load(0, "p/b/0", once, strlen(once), 1, &c, &err) < 0 ||
	    strcmp(ipam_block_str(&c), once) != 0)
		abort();
	ipam_block_clear(&c);
	free(once);
}

static void offer(struct ipam_block *b, const char *rec, size_t len)
{
	json_object_object_foreach (ipam_block_allocs(b), k, v) {
		struct cni_err err = { 0 };
		uint32_t off = (uint32_t)strtoul(k, NULL, 10);
		char *s;

		(void)v;
		if (ipam_block_rec_load(b, off, "p/a/0/0", rec, len, &err) <= 0)
			continue;
		s = ipam_block_rec_str(b, off);
		free(s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - (const char *)data) : size;
	struct cni_err err = { 0 };
	struct ipam_block b;

	if (ipam_block_load(0, "p/b/0", (const char *)data, hlen, 1, &b, &err) <
	    0)
		return 0;
	roundtrip(&b);
	if (nl)
		offer(&b, nl + 1, size - hlen - 1);
	ipam_block_clear(&b);
	return 0;
}
