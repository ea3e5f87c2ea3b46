// SPDX-License-Identifier: Apache-2.0
/* dl_arp: the RFC 5227 probe frame and the frames that mean a conflict. */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cni_error.h"
#include "dl_arp.h"

static const uint8_t own[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x99 };

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void test_dl_arp_probe_build__rfc5227_probe(void **state)
{
	static const uint8_t want[DL_ARP_FRAME_LEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* to: broadcast */
		0x02, 0,    0,	  0,	0,    0x01, 0x08, 0x06, /* from, ARP */
		0,    1,    0x08, 0,	6,    4,    0,	  1, /* Ethernet/IPv4, request */
		0x02, 0,    0,	  0,	0,    0x01, 0,	  0,	0,
		0, /* sender: own, 0.0.0.0 */
		0,    0,    0,	  0,	0,    0,    10,	  1,	2,
		3, /* target: 0, the address */
	};
	uint8_t buf[64];

	(void)state;
	assert_int_equal(dl_arp_probe_build(buf, 10, own, ip4("10.1.2.3")), 0);
	assert_int_equal(
		dl_arp_probe_build(buf, sizeof(buf), own, ip4("10.1.2.3")),
		DL_ARP_FRAME_LEN);
	assert_memory_equal(buf, want, DL_ARP_FRAME_LEN);
}

/* An ARP frame: op, sender MAC, sender IP, target IP. */
static size_t frame(uint8_t *buf, uint16_t op, const uint8_t *smac,
		    const char *sip, const char *tip)
{
	uint32_t s = ip4(sip), t = ip4(tip);

	dl_arp_probe_build(buf, DL_ARP_FRAME_LEN, smac, t);
	buf[21] = (uint8_t)op;
	memcpy(buf + 28, &s, 4);
	return DL_ARP_FRAME_LEN;
}

static void test_dl_arp_frame_conflict__table(void **state)
{
	static const struct {
		const char *what;
		uint16_t op;
		const uint8_t *mac;
		const char *sip, *tip;
		int want;
	} t[] = {
		{ "reply from the address", 2, other, "10.1.2.3", "0.0.0.0",
		  1 },
		{ "announcement by another", 1, other, "10.1.2.3", "10.1.2.3",
		  1 },
		{ "another host's probe for it", 1, other, "0.0.0.0",
		  "10.1.2.3", 1 },
		{ "our own probe", 1, own, "0.0.0.0", "10.1.2.3", 0 },
		{ "our own reply", 2, own, "10.1.2.3", "10.1.2.4", 0 },
		{ "another asks for it", 1, other, "10.1.2.9", "10.1.2.3", 0 },
		{ "another's probe, other address", 1, other, "0.0.0.0",
		  "10.1.2.4", 0 },
		{ "reply from another address", 2, other, "10.1.2.4",
		  "10.1.2.3", 0 },
		{ "a reply op 3 (RARP)", 3, other, "10.1.2.3", "0.0.0.0", 0 },
	};
	uint8_t buf[DL_ARP_FRAME_LEN], mac[6];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = frame(buf, t[i].op, t[i].mac, t[i].sip, t[i].tip);

		memset(mac, 0, sizeof(mac));
		if (dl_arp_frame_conflict(buf, n, own, ip4("10.1.2.3"), mac) !=
		    t[i].want)
			fail_msg("%s: not %d", t[i].what, t[i].want);
		if (t[i].want)
			assert_memory_equal(mac, other, 6);
	}
}

static void test_dl_arp_frame_conflict__malformed(void **state)
{
	uint8_t buf[DL_ARP_FRAME_LEN], mac[6];
	uint32_t ip = ip4("10.1.2.3");

	(void)state;
	frame(buf, 2, other, "10.1.2.3", "0.0.0.0");
	assert_int_equal(dl_arp_frame_conflict(buf, sizeof(buf), own, ip, mac),
			 1);
	assert_int_equal(dl_arp_frame_conflict(buf, 41, own, ip, mac), 0);
	assert_int_equal(dl_arp_frame_conflict(NULL, 42, own, ip, mac), 0);
	buf[12] = 0x86; /* ethertype 0x8606 */
	assert_int_equal(dl_arp_frame_conflict(buf, sizeof(buf), own, ip, mac),
			 0);
	frame(buf, 2, other, "10.1.2.3", "0.0.0.0");
	buf[18] = 8; /* hardware address length */
	assert_int_equal(dl_arp_frame_conflict(buf, sizeof(buf), own, ip, mac),
			 0);
	frame(buf, 2, other, "10.1.2.3", "0.0.0.0");
	buf[17] = 0xdd; /* protocol 0x08dd */
	assert_int_equal(dl_arp_frame_conflict(buf, sizeof(buf), own, ip, mac),
			 0);
}

static void test_dl_arp_probe__no_netns(void **state)
{
	struct cni_err err = { 0 };
	uint8_t mac[6];

	(void)state;
	assert_int_equal(dl_arp_probe("/nonexistent/cf-netns", "eth0",
				      ip4("10.1.2.3"), mac, &err),
			 -EINVAL);
	assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
	assert_non_null(strstr(err.msg, "/nonexistent/cf-netns"));
}

/* In a child in a netns of its own (root only): a veth pair cfa0-cfa1
 * with ARP off on cfa0 (NOARP: not probed), then on (nobody answers,
 * within the wait), then with the address on cfa1 (its kernel answers:
 * a conflict, with cfa1's MAC). The child's exit status is the number
 * of the failed check. */
static int probe_in_child(void)
{
	const char *self = "/proc/self/ns/net";
	struct cni_err err = { 0 };
	uint8_t mac[6];
	int64_t t0;

	if (unshare(CLONE_NEWNET) < 0 || system("ip link add cfa0 type veth "
						"peer name cfa1 && "
						"ip link set cfa0 up arp off "
						"&& ip link set cfa1 up") != 0)
		return 1;
	if (dl_arp_probe(self, "cfa0", ip4("10.1.2.3"), mac, &err) !=
		    -EOPNOTSUPP ||
	    err.code != 0)
		return 2;
	if (system("ip link set cfa0 arp on") != 0)
		return 3;
	t0 = mono_ms();
	if (dl_arp_probe(self, "cfa0", ip4("10.1.2.3"), mac, &err) != 0)
		return 4;
	if (mono_ms() - t0 < DL_ARP_WAIT_MS - 5 ||
	    mono_ms() - t0 > DL_ARP_WAIT_MS + 300)
		return 5;
	if (system("ip addr add 10.1.2.3/24 dev cfa1") != 0)
		return 6;
	if (dl_arp_probe(self, "cfa0", ip4("10.1.2.3"), mac, &err) != 1)
		return 7;
	if (dl_arp_probe(self, "cf-none", ip4("10.1.2.3"), mac, &err) >= 0 ||
	    err.code != CNI_ERR_INVALID_ENV)
		return 8;
	return 0;
}

static void test_dl_arp_probe__noarp_and_silence(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(probe_in_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dl_arp_probe_build__rfc5227_probe),
		cmocka_unit_test(test_dl_arp_frame_conflict__table),
		cmocka_unit_test(test_dl_arp_frame_conflict__malformed),
		cmocka_unit_test(test_dl_arp_probe__no_netns),
		cmocka_unit_test(test_dl_arp_probe__noarp_and_silence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
