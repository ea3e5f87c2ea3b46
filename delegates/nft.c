/* SPDX-License-Identifier: Apache-2.0 */
/* The bridge's nftables rules, through the `nft` command run in the
 * calling thread's netns (the host's): ipMasq (one masquerade rule per pod
 * address in table "<ip|ip6> plexus-bridge", chain postrouting) and
 * macspoofchk (one drop rule per pod in table "bridge plexus-bridge",
 * chain prerouting). Every rule carries a comment naming the attachment,
 * so DEL removes exactly its own rules; the DEL that removes a table's
 * last rule removes the table too. Adding and removing hold one lock
 * (NFT_LOCK), so a DEL never deletes a table another ADD just filled. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "dl.h"

#define MASQ_TABLE   "plexus-bridge"
#define MASQ_OUT_MAX (256 * 1024)
#define NFT_LOCK     "/run/plexus-bridge.nft.lock"

/* The lock around our nft changes in *ret_fd, or -1 (then none: best
 * effort); code 11 when the deadline passes while another holds it. */
static int nft_lock(int64_t deadline, int *ret_fd, struct cni_err *err)
{
	int fd = open(NFT_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600), r;

	*ret_fd = -1;
	if (fd < 0)
		return 0;
	r = cni_flock_until(fd, deadline);
	if (r == 0) {
		*ret_fd = fd;
		return 0;
	}
	close(fd);
	if (r != -ETIMEDOUT)
		return 0;
	return cni_errf(err, CNI_ERR_TRY_AGAIN,
			"timed out waiting for the nft lock %s: the call's "
			"deadline passed",
			NFT_LOCK);
}

static void nft_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static const char *const nft_paths[] = { "/usr/sbin/nft", "/sbin/nft",
					 "/usr/bin/nft", NULL };

static void nft_child(const char *nft, int in, int out)
{
	char *const argv[] = { (char *)nft, "-a", "-f", "-", NULL };
	char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	execve(nft, argv, envp);
	_exit(127);
}

/* Wait until fd is readable or the deadline passes (-ETIMEDOUT). */
static int wait_readable(int fd, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do {
		r = poll(&p, 1,
			 deadline ? (int)cni_deadline_left(deadline, 1000)
				  : -1);
		if (r == 0 && cni_deadline_passed(deadline))
			return -ETIMEDOUT;
	} while (r == 0 || (r < 0 && errno == EINTR));
	return 0;
}

/* Read everything from fd into a NUL-terminated buffer (bounded); NULL
 * with errno ETIMEDOUT when the deadline passes first. */
static char *read_all(int fd, int64_t deadline)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	while (buf) {
		if (wait_readable(fd, deadline) < 0) {
			free(buf);
			errno = ETIMEDOUT;
			return NULL;
		}
		if (len + 1 >= cap) {
			char *g = cap < MASQ_OUT_MAX ? realloc(buf, cap * 2)
						     : NULL;

			if (!g)
				break;
			buf = g;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

static const char *nft_find(void)
{
	for (size_t i = 0; nft_paths[i]; i++)
		if (access(nft_paths[i], X_OK) == 0)
			return nft_paths[i];
	return NULL;
}

/* nft did not finish by the deadline: killed, reaped, code 11. */
static int nft_timeout(pid_t pid, char *text, struct cni_err *err)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	free(text);
	return cni_errf(err, CNI_ERR_TRY_AGAIN,
			"ipMasq: nft did not finish: the call's deadline "
			"passed (nft killed)");
}

/* Run `nft -a -f -` with script on stdin until the deadline; *ret_out
 * gets its output. */
static int nft_run(const char *script, int64_t deadline, char **ret_out,
		   struct cni_err *err)
{
	const char *nft = nft_find();
	int in[2], out[2], status = 0, r;
	char *text;
	pid_t pid;

	if (!nft)
		return cni_errf(err, CNI_ERR_IO,
				"ipMasq: the nft command is not installed");
	if (pipe2(in, O_CLOEXEC) < 0)
		return cni_errf(err, CNI_ERR_IO, "ipMasq: pipe: %s",
				strerror(errno));
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return cni_errf(err, CNI_ERR_IO, "ipMasq: pipe: %s",
				strerror(errno));
	}
	pid = fork();
	if (pid == 0)
		nft_child(nft, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	if (pid > 0 && write(in[1], script, strlen(script)) < 0)
		kill(pid, SIGKILL); /* scripts are far below a pipe's size */
	close(in[1]);
	text = pid > 0 ? read_all(out[0], deadline) : NULL;
	close(out[0]);
	if (pid > 0 && !text && errno == ETIMEDOUT)
		return nft_timeout(pid, text, err);
	r = pid > 0 ? cni_waitpid_until(pid, &status, deadline) : -errno;
	if (r == -ETIMEDOUT)
		return nft_timeout(pid, text, err);
	if (r < 0) {
		free(text);
		return cni_errf(err, CNI_ERR_IO, "ipMasq: run nft: %s",
				strerror(-r));
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		cni_errf(err, CNI_ERR_IO, "ipMasq: nft failed: %.300s",
			 text ? text : "");
		free(text);
		return -EIO;
	}
	*ret_out = text;
	return 0;
}

/* nft_run under the lock. */
static int nft_run_locked(const char *script, int64_t deadline,
			  struct cni_err *err)
{
	char *out = NULL;
	int fd, r = nft_lock(deadline, &fd, err);

	if (r < 0)
		return r;
	r = nft_run(script, deadline, &out, err);
	nft_unlock(fd);
	free(out);
	return r;
}

/* The rule comment naming one attachment; only safe characters. */
static void masq_tag(const char *container_id, const char *ifname,
		     char buf[128])
{
	snprintf(buf, 128, "plexus %.80s %.15s", container_id, ifname);
	for (char *p = buf; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && !strchr(" ._-", *p))
			*p = '_';
}

int dl_masq_add(const char *container_id, const char *ifname,
		const struct nl_prefix *addr, int64_t deadline,
		struct cni_err *err)
{
	const char *fam = addr->family == AF_INET ? "ip" : "ip6";
	const char *mcast =
		addr->family == AF_INET ? "224.0.0.0/4" : "ff00::/8";
	struct nl_prefix net = *addr;
	char tag[128], host[64], subnet[64], script[1024];

	masq_tag(container_id, ifname, tag);
	dl_prefix_format(addr, false, host, sizeof(host));
	for (int i = net.len; i < (net.family == AF_INET ? 32 : 128); i++)
		net.addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	dl_prefix_format(&net, true, subnet, sizeof(subnet));
	snprintf(script, sizeof(script),
		 "add table %s " MASQ_TABLE "\n"
		 "add chain %s " MASQ_TABLE " postrouting { type nat hook "
		 "postrouting priority srcnat; }\n"
		 "add rule %s " MASQ_TABLE " postrouting %s saddr %s "
		 "%s daddr != %s %s daddr != %s masquerade comment \"%s\"\n",
		 fam, fam, fam, fam, host, fam, subnet, fam, mcast, tag);
	return nft_run_locked(script, deadline, err);
}

/* Handles of the rules tagged tag in the listing, as a delete script;
 * when no other rule is left, the whole table instead. */
static int del_script(const char *fam, const char *chain, const char *listing,
		      const char *tag, char **ret)
{
	char needle[160], *script = NULL;
	size_t len = 0, ours = 0, others = 0;
	FILE *f = open_memstream(&script, &len);
	const char *line = listing;

	if (!f)
		return -ENOMEM;
	snprintf(needle, sizeof(needle), "comment \"%s\"", tag);
	while (line && *line) {
		const char *nl = strchr(line, '\n'), *h;
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		char one[1024];

		snprintf(one, sizeof(one), "%.*s", (int)n, line);
		h = strstr(one, "# handle ");
		if (h && strstr(one, needle)) {
			ours++;
			fprintf(f,
				"delete rule %s " MASQ_TABLE " %s handle %ld\n",
				fam, chain, strtol(h + 9, NULL, 10));
		} else if (h && !strstr(one, "table ") &&
			   !strstr(one, "chain ")) {
			others++;
		}
		line = nl ? nl + 1 : NULL;
	}
	if (ours && !others)
		fprintf(f, "delete table %s " MASQ_TABLE "\n", fam);
	fclose(f);
	*ret = script;
	return 0;
}

/* Delete the rules tagged for this attachment in fam's chain. */
static int tagged_del(const char *fam, const char *chain,
		      const char *container_id, const char *ifname,
		      int64_t deadline, struct cni_err *err)
{
	char tag[128], list[128], *out = NULL, *script = NULL;
	struct cni_err quiet = { 0 };
	int r, fd;

	if (!nft_find()) /* then ADD could not have added any rule */
		return 0;
	masq_tag(container_id, ifname, tag);
	snprintf(list, sizeof(list), "list chain %s " MASQ_TABLE " %s\n", fam,
		 chain);
	r = nft_lock(deadline, &fd, err);
	if (r < 0)
		return r;
	/* No table or chain: nothing of ours to delete. */
	if (nft_run(list, deadline, &out, &quiet) < 0) {
		nft_unlock(fd);
		return strstr(quiet.msg, "No such file")
			       ? 0
			       : cni_errf(err, quiet.code, "%s", quiet.msg);
	}
	r = del_script(fam, chain, out, tag, &script);
	free(out);
	out = NULL;
	if (r < 0)
		r = cni_errf(err, CNI_ERR_IO, "out of memory");
	else if (*script)
		r = nft_run(script, deadline, &out, err);
	nft_unlock(fd);
	free(out);
	free(script);
	return r;
}

int dl_masq_del(const char *container_id, const char *ifname, int family,
		int64_t deadline, struct cni_err *err)
{
	return tagged_del(family == AF_INET ? "ip" : "ip6", "postrouting",
			  container_id, ifname, deadline, err);
}

int dl_spoofchk_add(const char *container_id, const char *ifname,
		    const char *host_port, const uint8_t mac[6],
		    int64_t deadline, struct cni_err *err)
{
	char tag[128], m[18], script[1024];

	masq_tag(container_id, ifname, tag);
	dl_mac_format(mac, m);
	snprintf(script, sizeof(script),
		 "add table bridge " MASQ_TABLE "\n"
		 "add chain bridge " MASQ_TABLE " prerouting { type filter "
		 "hook "
		 "prerouting priority -300; }\n"
		 "add rule bridge " MASQ_TABLE " prerouting iifname \"%s\" "
		 "ether saddr != %s drop comment \"%s\"\n",
		 host_port, m, tag);
	return nft_run_locked(script, deadline, err);
}

int dl_spoofchk_del(const char *container_id, const char *ifname,
		    int64_t deadline, struct cni_err *err)
{
	return tagged_del("bridge", "prerouting", container_id, ifname,
			  deadline, err);
}
