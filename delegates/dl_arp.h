/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_DL_ARP_H
#define PLEXUS_DL_ARP_H

#include <stddef.h>
#include <stdint.h>

struct cni_err;

/* IPv4 address conflict detection (RFC 5227): ARP probes from a pod's
 * interface, and the frames that tell another host uses the address. */

#define DL_ARP_FRAME_LEN 42 /* Ethernet header + ARP for IPv4 */

/* The probe schedule: DL_ARP_PROBES probes DL_ARP_INTERVAL_MS apart,
 * answers awaited until DL_ARP_WAIT_MS after the first. */
#define DL_ARP_PROBES	   3
#define DL_ARP_INTERVAL_MS 50
#define DL_ARP_WAIT_MS	   200

/* Write an ARP probe for ip (network byte order) from mac into buf:
 * broadcast, request, sender IP 0.0.0.0, target MAC zero, target ip.
 * Returns DL_ARP_FRAME_LEN, or 0 when size is too small. */
size_t dl_arp_probe_build(uint8_t *buf, size_t size, const uint8_t mac[6],
			  uint32_t ip);

/* Does the Ethernet frame show another host using ip: an ARP request or
 * reply whose sender IP is ip, or another host's probe for ip (sender IP
 * 0.0.0.0, target ip), from a sender MAC other than own_mac? 1 (the
 * sender MAC in ret_mac), 0 (any other frame, also a malformed one). */
int dl_arp_frame_conflict(const uint8_t *frame, size_t len,
			  const uint8_t own_mac[6], uint32_t ip,
			  uint8_t ret_mac[6]);

/* Probe ip from the link ifname in the netns at netns_path (the calling
 * thread enters it to open a packet socket and comes back). 1: another
 * host answered (its MAC in ret_mac), 0: nobody within DL_ARP_WAIT_MS;
 * -EOPNOTSUPP without err: the link does not use ARP (IFF_NOARP, e.g.
 * ipvlan l3); other negative errno with code 5 (or 4: no such netns or
 * link) naming it. */
int dl_arp_probe(const char *netns_path, const char *ifname, uint32_t ip,
		 uint8_t ret_mac[6], struct cni_err *err);

#endif
