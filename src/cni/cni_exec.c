// SPDX-License-Identifier: Apache-2.0
/* Running a CNI plugin binary: lookup on CNI_PATH, posix_spawn, bounded
 * output, timeout, error pass-through. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cni_conf.h"
#include "cni_error.h"
#include "cni_exec.h"
#include "cni_json.h"

extern char **environ;

int cni_exec_find(const char *type, const char *path, char **ret,
		  struct cni_err *err)
{
	const char *p = path ? path : "";
	char buf[4096];
	struct stat st;
	int r = cni_type_check(type, "type", err);

	if (r < 0)
		return r;
	while (*p) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > 0 && len + strlen(type) + 2 < sizeof(buf)) {
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, p,
				 type);
			if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
			    access(buf, X_OK) == 0) {
				*ret = strdup(buf);
				return *ret ? 0 : -ENOMEM;
			}
		}
		p += len + (end ? 1 : 0);
	}
	return cni_errf(err, CNI_ERR_DELEGATE_NOT_FOUND,
			"plugin \"%s\" not found in CNI_PATH \"%.512s\"", type,
			path ? path : "");
}

struct child_io {
	const char *in;
	size_t in_len, in_off;
	char *out, *errbuf;
	size_t out_len, err_len;
	bool out_overflow;
};

/* Variables passed through to plugins besides the CNI_* ones. The
 * sanitizer options (set by the runtime's environment, or by the test
 * runner) make a sanitized delegate report the way its caller does. */
static const char *const pass_env[] = { "PATH",
					"HOME",
					"TMPDIR",
					"NODE_NAME",
					"KUBERNETES_SERVICE_HOST",
					"KUBERNETES_SERVICE_PORT",
					"ASAN_OPTIONS",
					"UBSAN_OPTIONS",
					"LSAN_OPTIONS",
					NULL };

/* Append "k=v" to envp; an unset value stays unset (STATUS and GC get no
 * container variables). */
static void env_put(char **envp, size_t *n, const char *k, const char *v)
{
	if (!v)
		return;
	if (asprintf(&envp[*n], "%s=%s", k, v) >= 0)
		(*n)++;
	else
		envp[*n] = NULL;
}

static int build_env(const struct cni_exec_req *req, char ***ret)
{
	char **envp = calloc(32, sizeof(char *));
	size_t n = 0;

	if (!envp)
		return -ENOMEM;
	env_put(envp, &n, "CNI_COMMAND", cni_cmd_str(req->cmd));
	env_put(envp, &n, "CNI_CONTAINERID", req->container_id);
	env_put(envp, &n, "CNI_NETNS", req->netns);
	env_put(envp, &n, "CNI_IFNAME", req->ifname);
	env_put(envp, &n, "CNI_ARGS", req->args);
	env_put(envp, &n, "CNI_PATH", req->path);
	for (size_t i = 0; pass_env[i]; i++)
		env_put(envp, &n, pass_env[i], getenv(pass_env[i]));
	for (char **e = environ; e && *e && n < 30; e++)
		if (strncmp(*e, "PLEXUS_", 7) == 0 && (envp[n] = strdup(*e)))
			n++;
	*ret = envp;
	return 0;
}

static void free_env(char **envp)
{
	for (size_t i = 0; envp && envp[i]; i++)
		free(envp[i]);
	free(envp);
}

/* The child's stdio is the three fds, plus *inherit_fd as fd 3, nothing
 * else open; SIGPIPE back to default; its own process group (a timeout
 * kills the group). A plugin whose caller is killed runs on to its end:
 * killed half-way, a plugin can leave a link under a temporary name that
 * no DEL finds. The caller's lock (inherit_fd) it holds keeps the DEL
 * waiting meanwhile. posix_spawn, not fork: the child shares our memory
 * until it execs (glibc's clone with CLONE_VM|CLONE_VFORK), so no page
 * table is copied, which is most of the cost of starting a delegate
 * from a process our size; an exec that fails is returned here. */
static int spawn_child(const char *bin, char **envp, const int io[3],
		       const int *inherit_fd, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t dfl;
	int r;

	if (posix_spawn_file_actions_init(&fa))
		return -ENOMEM;
	if (posix_spawnattr_init(&at)) {
		posix_spawn_file_actions_destroy(&fa);
		return -ENOMEM;
	}
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
						  POSIX_SPAWN_SETSIGDEF);
	r = r ? r : posix_spawnattr_setpgroup(&at, 0);
	r = r ? r : posix_spawnattr_setsigdefault(&at, &dfl);
	for (int i = 0; i < 3 && !r; i++)
		r = posix_spawn_file_actions_adddup2(&fa, io[i], i);
	if (!r && inherit_fd)
		r = posix_spawn_file_actions_adddup2(&fa, *inherit_fd, 3);
	r = r ? r
	      : posix_spawn_file_actions_addclosefrom_np(&fa,
							 inherit_fd ? 4 : 3);
	r = r ? r
	      : posix_spawn(ret_pid, bin, &fa, &at,
			    (char *[]){ (char *)bin, NULL }, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Read what is available on fd into *buf (bounded); 1 at EOF. */
static int read_some(int fd, char **buf, size_t *len, size_t max,
		     bool *overflow)
{
	char tmp[16384];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (n == 0)
		return 1;
	if (*len + (size_t)n > max) {
		*overflow = true;
		n = (ssize_t)(max - *len);
	}
	if (n > 0) {
		char *grown = realloc(*buf, *len + (size_t)n + 1);

		if (!grown)
			return 1;
		memcpy(grown + *len, tmp, (size_t)n);
		*len += (size_t)n;
		grown[*len] = '\0';
		*buf = grown;
	}
	return 0;
}

static void write_some(int *fd, struct child_io *io)
{
	ssize_t n = send(*fd, io->in + io->in_off, io->in_len - io->in_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n > 0)
		io->in_off += (size_t)n;
	if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
	    io->in_off == io->in_len) {
		shutdown(*fd, SHUT_WR);
		close(*fd);
		*fd = -1;
	}
}

/* Pump stdin/stdout/stderr until both outputs close or the deadline. */
static int pump(int fds[3], struct child_io *io, long deadline)
{
	bool dummy = false;

	while (fds[1] >= 0 || fds[2] >= 0) {
		struct pollfd p[3] = {
			{ fds[0], POLLOUT, 0 },
			{ fds[1], POLLIN, 0 },
			{ fds[2], POLLIN, 0 },
		};
		long left = deadline - now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(p, 3, (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (fds[0] >= 0 &&
		    (p[0].revents & (POLLOUT | POLLERR | POLLHUP)))
			write_some(&fds[0], io);
		if (fds[1] >= 0 &&
		    (p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    read_some(fds[1], &io->out, &io->out_len,
			      CNI_EXEC_OUTPUT_MAX, &io->out_overflow)) {
			close(fds[1]);
			fds[1] = -1;
		}
		if (fds[2] >= 0 &&
		    (p[2].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    read_some(fds[2], &io->errbuf, &io->err_len,
			      CNI_EXEC_STDERR_MAX, &dummy)) {
			close(fds[2]);
			fds[2] = -1;
		}
	}
	return 0;
}

/* Reap the child, waiting on its pidfd until the deadline. */
static int wait_child(pid_t pid, long deadline, int *ret_status)
{
	int pfd = pidfd_open(pid, 0);

	for (;;) {
		pid_t r = waitpid(pid, ret_status, WNOHANG);
		long left = deadline - now_ms();

		if (r == pid || (r < 0 && errno != EINTR) || left <= 0) {
			int ret = r == pid ? 0 : r < 0 ? -errno : -ETIMEDOUT;

			if (pfd >= 0)
				close(pfd);
			return ret;
		}
		if (pfd >= 0)
			poll(&(struct pollfd){ pfd, POLLIN, 0 }, 1, (int)left);
		else
			nanosleep(&(struct timespec){ 0, 200000 }, NULL);
	}
}

static void kill_child(pid_t pid)
{
	int status;

	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* The last line of stderr, for messages. */
static const char *stderr_tail(const struct child_io *io)
{
	const char *s = io->errbuf ? io->errbuf : "";
	size_t len = strlen(s);

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	for (size_t i = len; i > 0; i--)
		if (s[i - 1] == '\n')
			return s + i;
	return s;
}

/* A failed plugin: pass its own error JSON on, or describe the failure. */
static int plugin_error(const struct cni_exec_req *req,
			const struct child_io *io, int status,
			struct cni_err *err)
{
	json_object *o = NULL, *v;
	int r;

	if (WIFSIGNALED(status))
		return cni_errf(err, CNI_ERR_DELEGATE_FAILED,
				"%s: killed by signal %d", req->type,
				WTERMSIG(status));
	if (io->out_len &&
	    cni_json_parse(io->out, io->out_len, req->type, &o, NULL) == 0 &&
	    json_object_object_get_ex(o, "code", &v) &&
	    json_object_is_type(v, json_type_int)) {
		const char *msg =
			json_object_get_string(json_object_object_get(o, "ms"
									 "g"));
		const char *det =
			json_object_get_string(json_object_object_get(o, "detai"
									 "ls"));
		int code = json_object_get_int(v);

		r = cni_errf(err, code > 0 ? code : CNI_ERR_DELEGATE_FAILED,
			     "%s: %s", req->type, msg ? msg : "(no message)");
		if (det && *det)
			cni_err_add_details(err, "%s", det);
		json_object_put(o);
		return r;
	}
	json_object_put(o);
	return cni_errf(err, CNI_ERR_DELEGATE_FAILED,
			"%s: %s failed with exit status %d%s%s", req->type,
			cni_cmd_str(req->cmd), WEXITSTATUS(status),
			*stderr_tail(io) ? ": " : "", stderr_tail(io));
}

static int plugin_output(const struct cni_exec_req *req,
			 const struct child_io *io, json_object **ret_out,
			 struct cni_err *err)
{
	size_t len = io->out_len;

	if (io->out_overflow)
		return cni_errf(err, CNI_ERR_DELEGATE_OUTPUT,
				"%s: output larger than %d bytes", req->type,
				CNI_EXEC_OUTPUT_MAX);
	while (len > 0 && strchr(" \t\r\n", io->out[len - 1]))
		len--;
	if (len == 0) {
		*ret_out = NULL;
		return 0;
	}
	if (cni_json_parse(io->out, len, "stdout", ret_out, err) < 0) {
		cni_err_prefix(err, "%s: %s printed invalid JSON", req->type,
			       cni_cmd_str(req->cmd));
		if (err)
			err->code = CNI_ERR_DELEGATE_OUTPUT;
		return -EPROTO;
	}
	return 0;
}

static void close_fds(int fds[3])
{
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* The child's stdin (a socket pair), stdout and stderr (pipes): our ends
 * in fds[], the child's closed here once it has them. */
static int spawn(const char *bin, const struct cni_exec_req *req, int fds[3],
		 pid_t *ret_pid)
{
	int ours[3] = { -1, -1, -1 }, theirs[3] = { -1, -1, -1 };
	int p[2], r = 0;
	char **envp;

	if (build_env(req, &envp) < 0)
		return -ENOMEM;
	for (int i = 0; i < 3 && r == 0; i++) {
		if ((i == 0 ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
					 p)
			    : pipe2(p, O_CLOEXEC)) < 0) {
			r = -errno;
		} else {
			ours[i] = p[0];
			theirs[i] = p[1];
		}
	}
	if (r == 0)
		r = spawn_child(bin, envp, theirs, req->inherit_fd, ret_pid);
	free_env(envp);
	close_fds(theirs);
	if (r < 0) {
		close_fds(ours);
		return r;
	}
	memcpy(fds, ours, sizeof(ours));
	return 0;
}

int cni_exec_run(const struct cni_exec_req *req, json_object **ret_out,
		 struct cni_err *err)
{
	int timeout = req->timeout_ms > 0 ? req->timeout_ms
					  : CNI_EXEC_TIMEOUT_MS_DEFAULT;
	struct child_io io = { 0 };
	int fds[3] = { -1, -1, -1 }, status = 0, r;
	long deadline;
	char *bin;
	pid_t pid = -1;

	r = cni_exec_find(req->type, req->path, &bin, err);
	if (r < 0)
		return r;
	io.in = req->conf ? cni_json_str(req->conf) : "{}";
	io.in_len = strlen(io.in);
	deadline = now_ms() + timeout;
	if (req->deadline && req->deadline < deadline) {
		timeout -= (int)(deadline - req->deadline);
		deadline = (long)req->deadline; /* the caller's, sooner */
	}
	r = spawn(bin, req, fds, &pid);
	free(bin);
	if (r < 0)
		return cni_errf(err, CNI_ERR_IO, "%s: cannot start: %s",
				req->type, strerror(-r));
	r = pump(fds, &io, deadline);
	close_fds(fds);
	if (r == 0)
		r = wait_child(pid, deadline, &status);
	if (r < 0) {
		kill_child(pid);
		r = r == -ETIMEDOUT ? cni_errf(err, CNI_ERR_DELEGATE_TIMEOUT,
					       "%s: %s timed out after %d ms",
					       req->type, cni_cmd_str(req->cmd),
					       timeout)
				    : cni_errf(err, CNI_ERR_IO, "%s: %s",
					       req->type, strerror(-r));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		r = plugin_error(req, &io, status, err);
	} else {
		r = plugin_output(req, &io, ret_out, err);
	}
	free(io.out);
	free(io.errbuf);
	return r;
}

static int default_run(void *ctx, const struct cni_exec_req *req,
		       json_object **ret_out, struct cni_err *err)
{
	(void)ctx;
	return cni_exec_run(req, ret_out, err);
}

const struct cni_exec_ops cni_exec_default = { default_run, NULL };
