/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the frames an ARP probe reads back (dl_arp). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dl_arp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t own[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint8_t mac[6];
	uint32_t ip = 0;

	/* the address probed: the frame's target IP when it has one */
	if (size >= 42)
		memcpy(&ip, data + 38, 4);
	dl_arp_frame_conflict(data, size, own, ip, mac);
	dl_arp_frame_conflict(data, size, own, 0x0302010a, mac);
	return 0;
}
