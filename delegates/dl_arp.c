// SPDX-License-Identifier: Apache-2.0
/* RFC 5227 ARP probes: the frame we send, the frames that mean another
 * host holds the address, and the probe run from a pod's interface. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "dl_arp.h"

#define ETH_HDR	  14
#define ARP_REQ	  1
#define ARP_REPLY 2

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

size_t dl_arp_probe_build(uint8_t *buf, size_t size, const uint8_t mac[6],
			  uint32_t ip)
{
	uint8_t *arp = buf + ETH_HDR;

	if (size < DL_ARP_FRAME_LEN)
		return 0;
	memset(buf, 0, DL_ARP_FRAME_LEN);
	memset(buf, 0xff, 6); /* broadcast */
	memcpy(buf + 6, mac, 6);
	put16(buf + 12, ETHERTYPE_ARP);
	put16(arp, 1);		      /* hardware: Ethernet */
	put16(arp + 2, ETHERTYPE_IP); /* protocol: IPv4 */
	arp[4] = 6;
	arp[5] = 4;
	put16(arp + 6, ARP_REQ);
	memcpy(arp + 8, mac, 6);
	/* sender IP 0.0.0.0 (arp + 14), target MAC zero (arp + 18) */
	memcpy(arp + 24, &ip, 4);
	return DL_ARP_FRAME_LEN;
}

int dl_arp_frame_conflict(const uint8_t *frame, size_t len,
			  const uint8_t own_mac[6], uint32_t ip,
			  uint8_t ret_mac[6])
{
	const uint8_t *arp = frame + ETH_HDR;
	uint32_t sip, tip;
	uint16_t op;

	if (!frame || len < DL_ARP_FRAME_LEN ||
	    get16(frame + 12) != ETHERTYPE_ARP || get16(arp) != 1 ||
	    get16(arp + 2) != ETHERTYPE_IP || arp[4] != 6 || arp[5] != 4)
		return 0;
	op = get16(arp + 6);
	if (op != ARP_REQ && op != ARP_REPLY)
		return 0;
	if (memcmp(arp + 8, own_mac, 6) == 0)
		return 0; /* our own probe */
	memcpy(&sip, arp + 14, 4);
	memcpy(&tip, arp + 24, 4);
	/* RFC 5227 2.1.1: any ARP from the address, or another's probe */
	if (sip != ip && !(op == ARP_REQ && sip == 0 && tip == ip))
		return 0;
	memcpy(ret_mac, arp + 8, 6);
	return 1;
}

/* A packet socket for ARP created inside the netns at path; the calling
 * thread is back in its own netns when this returns. */
static int socket_in(const char *path, int *ret_fd, struct cni_err *err)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int ns = open(path, O_RDONLY | O_CLOEXEC), fd = -1, e = 0;

	if (self < 0 || ns < 0) {
		e = errno;
		if (self >= 0)
			close(self);
		if (ns >= 0)
			close(ns);
		return cni_errf(err,
				self < 0 ? CNI_ERR_IO : CNI_ERR_INVALID_ENV,
				"ARP probe: netns %s: %s", path, strerror(e));
	}
	if (setns(ns, CLONE_NEWNET) < 0) {
		e = errno;
	} else {
		fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC,
			    htons(ETH_P_ARP));
		e = fd < 0 ? errno : 0;
		if (setns(self, CLONE_NEWNET) < 0)
			e = errno; /* cannot happen: we came from there */
	}
	close(ns);
	close(self);
	if (e) {
		if (fd >= 0)
			close(fd);
		return cni_errf(err, CNI_ERR_IO,
				"ARP probe: packet socket in netns %s: %s",
				path, strerror(e));
	}
	*ret_fd = fd;
	return 0;
}

/* Bind fd to ifname (resolved in the socket's netns); its MAC. */
static int bind_link(int fd, const char *ifname, struct sockaddr_ll *ret_to,
		     uint8_t mac[6], struct cni_err *err)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ARP) };

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return cni_errf(err, CNI_ERR_INVALID_ENV,
				"ARP probe: interface name \"%s\"", ifname);
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return cni_errf(err, CNI_ERR_INVALID_ENV,
				"ARP probe: link %s: %s", ifname,
				strerror(errno));
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return cni_errf(err, CNI_ERR_IO, "ARP probe: link %s: %s",
				ifname, strerror(errno));
	if (ifr.ifr_flags & IFF_NOARP)
		return -EOPNOTSUPP;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return cni_errf(err, CNI_ERR_IO, "ARP probe: link %s: %s",
				ifname, strerror(errno));
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	*ret_to = sll;
	return 0;
}

/* Read what arrived until `until` (monotonic ms): 1 on a conflict. */
static int listen_until(int fd, const uint8_t mac[6], uint32_t ip,
			int64_t until, uint8_t ret_mac[6])
{
	uint8_t buf[128];
	int64_t left;

	while ((left = until - cni_now_ms()) > 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fl);
		if (n > 0 && from.sll_pkttype != PACKET_OUTGOING &&
		    dl_arp_frame_conflict(buf, (size_t)n, mac, ip, ret_mac))
			return 1;
	}
	return 0;
}

static int probe_run(int fd, const struct sockaddr_ll *to, const uint8_t mac[6],
		     uint32_t ip, uint8_t ret_mac[6], struct cni_err *err)
{
	uint8_t frame[DL_ARP_FRAME_LEN];
	int64_t t0 = cni_now_ms();

	dl_arp_probe_build(frame, sizeof(frame), mac, ip);
	for (int i = 0; i < DL_ARP_PROBES; i++) {
		int64_t next = i + 1 < DL_ARP_PROBES
				       ? t0 + (i + 1) * DL_ARP_INTERVAL_MS
				       : t0 + DL_ARP_WAIT_MS;

		if (sendto(fd, frame, sizeof(frame), 0,
			   (const struct sockaddr *)to, sizeof(*to)) < 0)
			return cni_errf(err, CNI_ERR_IO, "ARP probe: send: %s",
					strerror(errno));
		if (listen_until(fd, mac, ip, next, ret_mac))
			return 1;
	}
	return 0;
}

int dl_arp_probe(const char *netns_path, const char *ifname, uint32_t ip,
		 uint8_t ret_mac[6], struct cni_err *err)
{
	struct sockaddr_ll to;
	uint8_t mac[6], found[6];
	int fd = -1, r;

	r = socket_in(netns_path, &fd, err);
	if (r < 0)
		return r;
	r = bind_link(fd, ifname, &to, mac, err);
	if (r == 0)
		r = probe_run(fd, &to, mac, ip, found, err);
	close(fd);
	if (r == 1)
		memcpy(ret_mac, found, 6);
	return r;
}
