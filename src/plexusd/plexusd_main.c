// SPDX-License-Identifier: Apache-2.0
/* plexusd: the plexus node daemon. One poll() loop over inotify (the CNI
 * conf dir and the service account's token dir), a signalfd and the
 * health/metrics server. It installs plexus' binaries, writes the
 * plugin's kubeconfig and the primary CNI config, and keeps both current.
 * Not built yet (docs/plexusd.md): watch caches, the /run/plexus socket,
 * warm IPAM stores. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni_error.h"
#include "cni_fs.h"
#include "cni_json.h"
#include "cni_log.h"
#include "pd_install.h"
#include "pd_kubeconfig.h"
#include "pd_metrics.h"
#include "pd_netconf.h"
#include "pd_opts.h"
#include "pd_server.h"

#define DEBOUNCE_MS	100
#define RETRY_MS	1000
#define TOKEN_RESYNC_MS 60000
#define METRICS_BUF	16384
#define CONF_DIR_EVENTS                                             \
	(IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
	 IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)
#define TOKEN_DIR_EVENTS                                        \
	(IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | \
	 IN_DELETE_SELF | IN_MOVE_SELF)

struct pd {
	struct pd_opts o;
	struct pd_metrics m;
	json_object *extra; /* --plugin-conf */
	char *server_url;
	char *own_path; /* <conf dir>/<conf name> */
	int ifd, wd_conf, wd_token, sfd;
	struct pd_server *srv;
	bool conf_dirty, kube_dirty;
	long long debounce_at, retry_at, resync_at;
	char last_err[PD_ERR_KINDS][CNI_ERR_MSG_MAX];
	bool stop;
};

/* count the error; log it when it differs from the last of its kind */
static void report(struct pd *d, enum pd_err_kind k, const struct cni_err *e)
{
	d->m.errors[k]++;
	if (strcmp(d->last_err[k], e->msg)) {
		cni_log(CNI_LOG_ERROR, "%s", e->msg);
		snprintf(d->last_err[k], sizeof(d->last_err[k]), "%s", e->msg);
	}
}

static void clear_err(struct pd *d, enum pd_err_kind k)
{
	d->last_err[k][0] = '\0';
}

static int install_one(struct pd *d, const char *name, const char *dst_dir,
		       struct cni_err *err)
{
	char src[PATH_MAX + 64];
	bool copied = false;
	int r;

	snprintf(src, sizeof(src), "%s/%s", d->o.source_dir, name);
	r = pd_install_file(src, dst_dir, name, 0755, &copied, err);
	if (r < 0)
		return r;
	if (copied) {
		d->m.installs++;
		cni_log(CNI_LOG_VERBOSE, "installed %s/%s", dst_dir, name);
	} else {
		d->m.installs_skipped++;
	}
	return 0;
}

static void install_all(struct pd *d)
{
	struct cni_err err = { 0 };
	int r = 0;

	if (d->o.no_install || d->m.installed) {
		d->m.installed = true;
		return;
	}
	for (int i = 0; pd_install_plugins[i] && r == 0; i++)
		r = install_one(d, pd_install_plugins[i], d->o.cni_bin_dir,
				&err);
	if (r == 0 && d->o.ctl_dir)
		r = install_one(d, "plexusctl", d->o.ctl_dir, &err);
	if (r < 0) {
		report(d, PD_ERR_INSTALL, &err);
		return;
	}
	clear_err(d, PD_ERR_INSTALL);
	d->m.installed = true;
}

static void watch_token_dir(struct pd *d)
{
	if (d->o.no_kubeconfig || d->wd_token >= 0)
		return;
	d->wd_token = inotify_add_watch(d->ifd, d->o.token_dir,
					TOKEN_DIR_EVENTS | IN_ONLYDIR);
}

static void kubeconfig_sync(struct pd *d)
{
	struct cni_err err = { 0 };
	char *text = NULL;
	bool written = false;
	int r;

	if (d->o.no_kubeconfig) {
		d->m.kubeconfig = true;
		return;
	}
	watch_token_dir(d);
	r = pd_kubeconfig_build(d->o.token_dir, d->server_url, &text, &err);
	if (r == 0)
		r = pd_netconf_write(d->o.kubeconfig, text, 0600, &written,
				     &err);
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	if (r < 0) {
		report(d, PD_ERR_KUBECONFIG, &err);
		return;
	}
	clear_err(d, PD_ERR_KUBECONFIG);
	if (written) {
		d->m.kubeconfig_writes++;
		cni_log(CNI_LOG_VERBOSE, "wrote %s", d->o.kubeconfig);
	}
	d->m.kubeconfig = true;
}

/* no default network: the primary config goes (plexus could not attach
 * a pod without one) */
static void config_drop(struct pd *d)
{
	struct cni_err err = { 0 };
	bool removed = false;

	d->m.config = false;
	if (pd_netconf_remove(d->own_path, &removed, &err) < 0) {
		report(d, PD_ERR_CONFIG, &err);
		return;
	}
	if (removed) {
		d->m.config_removals++;
		cni_log(CNI_LOG_ERROR, "no default network in %s: removed %s",
			d->o.cni_conf_dir, d->own_path);
	}
}

static void config_write(struct pd *d, json_object *master, const char *path)
{
	struct pd_netconf_params p = {
		.network_name = d->o.network_name,
		.host_prefix = d->o.host_prefix,
		.kubeconfig = d->o.no_kubeconfig ? NULL : d->o.kubeconfig,
		.readiness_file = d->o.readiness_file,
		.plugin_extra = d->extra,
	};
	struct cni_err err = { 0 };
	char *text = NULL;
	bool written = false;
	int r = pd_netconf_build(master, path, &p, &text, &err);

	if (r == 0)
		r = pd_netconf_write(d->own_path, text, 0644, &written, &err);
	free(text);
	if (r < 0) {
		report(d, PD_ERR_CONFIG, &err);
		return;
	}
	clear_err(d, PD_ERR_CONFIG);
	if (written) {
		d->m.config_writes++;
		cni_log(CNI_LOG_VERBOSE, "wrote %s wrapping %s", d->own_path,
			path);
	}
	d->m.config = true;
}

static void config_sync(struct pd *d)
{
	struct cni_err err = { 0 };
	json_object *master = NULL;
	char *path = NULL;
	unsigned refused = 0;
	int r;

	if (!d->m.installed || !d->m.kubeconfig)
		return;
	if (d->o.readiness_file && access(d->o.readiness_file, F_OK) < 0)
		return; /* polled every RETRY_MS */
	r = pd_netconf_pick(d->o.cni_conf_dir, d->o.conf_name, &path, &master,
			    &refused, &err);
	if (refused)
		cni_log(CNI_LOG_VERBOSE,
			"%u plexus config(s) in %s passed over: plexus never "
			"wraps itself",
			refused, d->o.cni_conf_dir);
	d->m.config_refusals += refused;
	if (r == -ENOENT)
		config_drop(d);
	else if (r < 0)
		report(d, PD_ERR_CONFIG, &err); /* keep what is written */
	else
		config_write(d, master, path);
	json_object_put(master);
	free(path);
}

static void sync_all(struct pd *d)
{
	install_all(d);
	kubeconfig_sync(d);
	config_sync(d);
}

static void watch_conf_dir(struct pd *d)
{
	if (d->wd_conf >= 0)
		return;
	cni_fs_mkdir_p(d->o.cni_conf_dir, 0755);
	d->wd_conf = inotify_add_watch(d->ifd, d->o.cni_conf_dir,
				       CONF_DIR_EVENTS | IN_ONLYDIR);
	if (d->wd_conf >= 0)
		d->conf_dirty = true; /* what changed while unwatched */
}

static void inotify_event(struct pd *d, const struct inotify_event *ev)
{
	d->m.inotify_events++;
	if (ev->mask & IN_Q_OVERFLOW) {
		d->conf_dirty = d->kube_dirty = true;
	} else if (ev->wd == d->wd_conf) {
		if (ev->mask & IN_IGNORED)
			d->wd_conf =
				-1; /* the dir went: watched again on retry */
		if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) ||
		    (ev->len && pd_netconf_candidate(ev->name, "")))
			d->conf_dirty = true;
	} else if (ev->wd == d->wd_token) {
		if (ev->mask & IN_IGNORED)
			d->wd_token = -1;
		/* projected tokens rotate by a "..data" symlink swap: an
		 * IN_MOVED_TO of ..data; any event is a reason to look */
		d->kube_dirty = true;
	}
}

static void inotify_read(struct pd *d, long long now)
{
	char buf[8192]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(d->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (void *)p;

			inotify_event(d, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
	if ((d->conf_dirty || d->kube_dirty) && !d->debounce_at)
		d->debounce_at = now + DEBOUNCE_MS;
}

static void signal_read(struct pd *d)
{
	struct signalfd_siginfo si;

	while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			d->conf_dirty = d->kube_dirty = true;
			d->debounce_at = pd_now_ms();
		} else {
			cni_log(CNI_LOG_VERBOSE, "signal %u: exiting",
				si.ssi_signo);
			d->stop = true;
		}
	}
}

static void reply_text(struct pd_reply *r, int status, const char *text)
{
	r->status = status;
	r->body = strdup(text);
	r->len = r->body ? strlen(r->body) : 0;
}

static void http_handle(void *ctx, const struct pd_http_req *req,
			struct pd_reply *r)
{
	struct pd *d = ctx;
	char *buf;
	int n;

	if (!strcmp(req->path, "/healthz")) {
		reply_text(r, 200, "ok\n");
	} else if (!strcmp(req->path, "/readyz")) {
		char why[160];

		snprintf(why, sizeof(why), "not ready:%s%s%s\n",
			 d->m.installed ? "" : " install",
			 d->m.kubeconfig ? "" : " kubeconfig",
			 d->m.config ? "" : " config");
		reply_text(r, pd_metrics_ready(&d->m) ? 200 : 503,
			   pd_metrics_ready(&d->m) ? "ready\n" : why);
	} else if (!strcmp(req->path, "/metrics") &&
		   (buf = malloc(METRICS_BUF))) {
		n = pd_metrics_render(&d->m, pd_metrics_rss(), buf,
				      METRICS_BUF);
		r->status = n < 0 ? 503 : 200;
		r->content_type = "text/plain; version=0.0.4; charset=utf-8";
		r->body = buf;
		r->len = n < 0 ? 0 : (size_t)n;
	} else {
		reply_text(r, 404, "not found\n");
	}
}

static void http_count(void *ctx, int status)
{
	struct pd *d = ctx;

	if (status < 0) {
		d->m.http_refused_busy++;
		status = -status;
	}
	if (status >= 400 && status != 404 && status != 503)
		d->m.errors[PD_ERR_HTTP]++;
	pd_metrics_http(&d->m, status);
}

static void timers(struct pd *d, long long now)
{
	if (d->debounce_at && now >= d->debounce_at) {
		d->debounce_at = 0;
		if (d->kube_dirty) {
			d->kube_dirty = false;
			kubeconfig_sync(d);
		}
		if (d->conf_dirty || !d->m.config) {
			d->conf_dirty = false;
			config_sync(d);
		}
	}
	if (now >= d->retry_at) {
		d->retry_at = now + RETRY_MS;
		watch_conf_dir(d);
		if (!pd_metrics_ready(&d->m) || d->conf_dirty)
			sync_all(d);
		d->conf_dirty = false;
	}
	if (now >= d->resync_at) { /* a safety net under inotify */
		d->resync_at = now + TOKEN_RESYNC_MS;
		kubeconfig_sync(d);
		config_sync(d);
	}
}

static int next_timeout(const struct pd *d, long long now)
{
	long long t = d->resync_at;

	if (d->debounce_at && d->debounce_at < t)
		t = d->debounce_at;
	if ((!pd_metrics_ready(&d->m) || d->wd_conf < 0) && d->retry_at < t)
		t = d->retry_at;
	if (d->srv) {
		int s = pd_server_timeout(d->srv, now);

		if (s >= 0 && now + s < t)
			t = now + s;
	}
	return t <= now ? 0 : (int)(t - now);
}

static int loop(struct pd *d)
{
	size_t max = 2 + (d->srv ? pd_server_nfds(d->srv) : 0), n;
	struct pollfd *fds = calloc(max, sizeof(*fds));

	if (!fds)
		return -ENOMEM;
	while (!d->stop) {
		long long now = pd_now_ms();

		timers(d, now);
		fds[0] = (struct pollfd){ .fd = d->ifd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = d->sfd, .events = POLLIN };
		n = 2 + (d->srv ? pd_server_fill(d->srv, fds + 2) : 0);
		if (poll(fds, n, next_timeout(d, now)) < 0) {
			if (errno == EINTR)
				continue;
			free(fds);
			return -errno;
		}
		now = pd_now_ms();
		if (fds[0].revents)
			inotify_read(d, now);
		if (fds[1].revents)
			signal_read(d);
		if (d->srv)
			pd_server_handle(d->srv, fds + 2, n - 2, now);
	}
	free(fds);
	return 0;
}

static int remove_files(struct pd *d)
{
	struct cni_err err = { 0 };
	bool removed = false;
	int rc = 0;

	if (pd_netconf_remove(d->own_path, &removed, &err) < 0) {
		cni_log(CNI_LOG_ERROR, "%s", err.msg);
		rc = 1;
	} else if (removed) {
		cni_log(CNI_LOG_VERBOSE, "removed %s", d->own_path);
	}
	if (!d->o.no_kubeconfig && unlink(d->o.kubeconfig) < 0 &&
	    errno != ENOENT) {
		cni_log(CNI_LOG_ERROR, "%s: %s", d->o.kubeconfig,
			strerror(errno));
		rc = 1;
	}
	return rc;
}

static int need_abs(const char *flag, const char *v, struct cni_err *err)
{
	if (v && v[0] != '/')
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"--%s: \"%s\" is not an absolute path", flag,
				v);
	return 0;
}

static int resolve_defaults(struct pd *d, struct cni_err *err)
{
	struct pd_opts *o = &d->o;
	char exe[PATH_MAX];
	ssize_t n;

	if (!o->source_dir) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			return cni_errf(err, CNI_ERR_IO, "/proc/self/exe: %s",
					strerror(errno));
		exe[n] = '\0';
		o->source_dir = strdup(dirname(exe));
	}
	if (!o->kubeconfig &&
	    asprintf(&o->kubeconfig, "%s/plexus.d/plexus.kubeconfig",
		     o->cni_conf_dir) < 0)
		o->kubeconfig = NULL;
	if (asprintf(&d->own_path, "%s/%s", o->cni_conf_dir, o->conf_name) <
		    0 ||
	    !o->source_dir || !o->kubeconfig)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	return 0;
}

/* path lies under prefix (a dir of it or below) */
static bool under(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);

	while (n > 1 && prefix[n - 1] == '/')
		n--;
	return !strncmp(path, prefix, n) && path[n] == '/';
}

static int check_opts(const struct pd_opts *o, struct cni_err *err)
{
	const char *dot = strrchr(o->conf_name, '.');

	if (need_abs("source-dir", o->source_dir, err) ||
	    need_abs("cni-bin-dir", o->cni_bin_dir, err) ||
	    need_abs("ctl-dir", o->ctl_dir, err) ||
	    need_abs("cni-conf-dir", o->cni_conf_dir, err) ||
	    need_abs("token-dir", o->token_dir, err) ||
	    need_abs("kubeconfig-out", o->kubeconfig, err) ||
	    need_abs("readiness-indicator-file", o->readiness_file, err) ||
	    (o->host_prefix[0] && need_abs("host-prefix", o->host_prefix, err)))
		return -EINVAL;
	if (o->host_prefix[0] &&
	    (!under(o->host_prefix, o->cni_conf_dir) ||
	     !under(o->host_prefix, o->kubeconfig) ||
	     (o->readiness_file && !under(o->host_prefix, o->readiness_file))))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"--host-prefix \"%s\": --cni-conf-dir, "
				"--kubeconfig-out and "
				"--readiness-indicator-file "
				"must be under it (their host paths go into "
				"the "
				"config)",
				o->host_prefix);
	if (strchr(o->conf_name, '/') || o->conf_name[0] == '.' || !dot ||
	    strcmp(dot, ".conflist"))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"--conf-name: \"%s\" is not a file name ending "
				"in .conflist",
				o->conf_name);
	if (!o->network_name[0])
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"--network-name: empty");
	return 0;
}

static int load_extra(struct pd *d, struct cni_err *err)
{
	char *buf = NULL;
	size_t len;
	int r;

	if (!d->o.plugin_conf)
		return 0;
	r = cni_read_file(d->o.plugin_conf, &buf, &len, err);
	if (r == 0)
		r = cni_json_parse(buf, len, d->o.plugin_conf, &d->extra, err);
	free(buf);
	if (r == 0)
		r = pd_netconf_extra_check(d->extra, !d->o.no_kubeconfig, err);
	return r;
}

static int setup(struct pd *d, struct cni_err *err)
{
	int r = resolve_defaults(d, err);

	if (r == 0)
		r = check_opts(&d->o, err);
	if (r == 0)
		r = load_extra(d, err);
	if (r < 0 || d->o.no_kubeconfig || d->o.uninstall)
		return r;
	d->server_url = d->o.api_server ? strdup(d->o.api_server)
					: pd_kubeconfig_server_from_env();
	if (!d->server_url)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"no API server: set --api-server or "
				"KUBERNETES_SERVICE_HOST/PORT, or pass "
				"--no-kubeconfig");
	return 0;
}

static int open_fds(struct pd *d, struct cni_err *err)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (d->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (d->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return cni_errf(err, CNI_ERR_IO, "signalfd/inotify: %s",
				strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(d->o.listen, "none") || d->o.once)
		return 0;
	return pd_server_open(d->o.listen, (int)d->o.max_connections,
			      http_handle, http_count, d, &d->srv, err);
}

static void pd_free(struct pd *d)
{
	pd_server_close(d->srv);
	if (d->ifd >= 0)
		close(d->ifd);
	if (d->sfd >= 0)
		close(d->sfd);
	json_object_put(d->extra);
	free(d->server_url);
	free(d->own_path);
	pd_opts_free(&d->o);
}

static int run(struct pd *d, struct cni_err *err)
{
	int r = open_fds(d, err);

	if (r < 0)
		return 1;
	if (d->srv)
		cni_log(CNI_LOG_VERBOSE, "listening on %s (port %d)",
			d->o.listen, pd_server_port(d->srv));
	watch_conf_dir(d);
	d->conf_dirty = false;
	sync_all(d);
	if (d->o.once)
		return pd_metrics_ready(&d->m) ? 0 : 1;
	d->retry_at = pd_now_ms() + RETRY_MS;
	d->resync_at = pd_now_ms() + TOKEN_RESYNC_MS;
	r = loop(d);
	if (r < 0) {
		cni_log(CNI_LOG_ERROR, "event loop: %s", strerror(-r));
		return 1;
	}
	return d->o.cleanup_on_exit ? remove_files(d) : 0;
}

int main(int argc, char **argv)
{
	struct pd d = { .ifd = -1, .wd_conf = -1, .wd_token = -1, .sfd = -1 };
	struct cni_err err = { 0 };
	enum cni_log_level lvl = CNI_LOG_ERROR;
	int rc;

	if (pd_opts_parse(argc, argv, &d.o, &err) < 0) {
		fprintf(stderr, "plexusd: %s (see --help)\n", err.msg);
		pd_opts_free(&d.o);
		return 2;
	}
	if (d.o.help) {
		pd_opts_usage(stdout);
		pd_opts_free(&d.o);
		return 0;
	}
	if (cni_log_level_parse(d.o.log_level, &lvl) < 0 ||
	    cni_log_open(d.o.log_file, lvl, "plexusd") < 0) {
		fprintf(stderr, "plexusd: --log-level/--log-file: bad value\n");
		pd_opts_free(&d.o);
		return 2;
	}
	if (setup(&d, &err) < 0) {
		cni_log(CNI_LOG_ERROR, "%s", err.msg);
		rc = 2;
	} else if (d.o.uninstall) {
		rc = remove_files(&d);
	} else {
		rc = run(&d, &err);
		if (rc && err.code)
			cni_log(CNI_LOG_ERROR, "%s", err.msg);
	}
	pd_free(&d);
	cni_log_close();
	return rc;
}
