// SPDX-License-Identifier: Apache-2.0
/* cnibench: times CNI plugin calls, alternating between scenarios in one
 * run so that every figure is a ratio measured under the same load.
 *
 *   cnibench -n ITER -p CNI_PATH -s NETNS SCENARIO...
 *   SCENARIO: LABEL=STEP[,STEP...]   STEP: CMD:BINARY:CONFFILE:IFNAME[:NETNS]
 *   (NETNS: this step's pod netns path instead of -s, so contenders that
 *   alternate never share a pod); CNI_ARGS: $CNIBENCH_ARGS, else
 *   "IgnoreUnknown=1"
 *
 * Each iteration runs every scenario once, in turn, with container ID
 * "bench-<iter>". Prints per scenario the median and mean wall time of
 * one pass over its steps, and the largest peak RSS of any step's
 * process (wait4's ru_maxrss: the binary itself, not its children); then
 * a line per step, "LABEL/N:CMD median_ms=...", with that step's own
 * times. A step that fails is left out of its step's times, and the pass
 * it belongs to out of the scenario's (a side that fails fast must not
 * look fast); "failures=" counts failed steps, "passes=" the passes
 * timed. Exits 1 when any step failed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct step {
	char *cmd, *bin, *conf, *ifname, *netns;
};

struct scenario {
	char *label;
	struct step steps[16];
	int n_steps;
	double *times;
	int n_times;
	double *step_times[16];
	int n_step_times[16];
	long max_rss_kb;
	int failures;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int parse_scenario(char *arg, struct scenario *sc)
{
	char *eq = strchr(arg, '='), *save = NULL, *tok;

	if (!eq)
		return -1;
	*eq = '\0';
	sc->label = arg;
	for (tok = strtok_r(eq + 1, ",", &save); tok && sc->n_steps < 16;
	     tok = strtok_r(NULL, ",", &save)) {
		struct step *s = &sc->steps[sc->n_steps++];

		s->cmd = strtok(tok, ":");
		s->bin = strtok(NULL, ":");
		s->conf = strtok(NULL, ":");
		s->ifname = strtok(NULL, ":");
		s->netns = strtok(NULL, ":");
		if (!s->cmd || !s->bin || !s->conf || !s->ifname)
			return -1;
	}
	return sc->n_steps ? 0 : -1;
}

static int run_step(const struct step *s, const char *path, const char *netns,
		    const char *cid, long *rss_kb)
{
	char e_cmd[64], e_cid[128], e_ns[512], e_if[64], e_path[4096];
	char e_ipam[4096], e_args[1024];
	/* plexus-ipam's node settings (its stores) come from the node's
	 * environment, as the runtime would pass them; CNIBENCH_ARGS, when
	 * set, is the steps' CNI_ARGS (a pod's K8S_POD_* keys) */
	const char *ipam_conf = getenv("PLEXUS_IPAM_CONF");
	const char *args = getenv("CNIBENCH_ARGS");
	char *envp[] = { e_cmd,
			 e_cid,
			 e_ns,
			 e_if,
			 e_path,
			 e_args,
			 "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
			 ipam_conf ? e_ipam : NULL,
			 NULL };
	struct rusage ru;
	int status;
	pid_t pid;

	snprintf(e_args, sizeof(e_args), "CNI_ARGS=%s",
		 args ? args : "IgnoreUnknown=1");
	snprintf(e_cmd, sizeof(e_cmd), "CNI_COMMAND=%s", s->cmd);
	snprintf(e_cid, sizeof(e_cid), "CNI_CONTAINERID=%s", cid);
	snprintf(e_ns, sizeof(e_ns), "CNI_NETNS=%s",
		 s->netns ? s->netns : netns);
	snprintf(e_if, sizeof(e_if), "CNI_IFNAME=%s", s->ifname);
	snprintf(e_path, sizeof(e_path), "CNI_PATH=%s", path);
	if (ipam_conf)
		snprintf(e_ipam, sizeof(e_ipam), "PLEXUS_IPAM_CONF=%s",
			 ipam_conf);
	pid = fork();
	if (pid == 0) {
		int in = open(s->conf, O_RDONLY),
		    out = open("/dev/null", O_WRONLY);

		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
			_exit(126);
		execve(s->bin, (char *[]){ s->bin, NULL }, envp);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
		return -1;
	if (ru.ru_maxrss > *rss_kb)
		*rss_kb = ru.ru_maxrss;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts TIMES and prints their median, mean and 90th percentile. */
static void print_stats(double *times, int n)
{
	double sum = 0;

	if (n == 0) {
		printf("median_ms=none (no successful run)");
		return;
	}
	for (int i = 0; i < n; i++)
		sum += times[i];
	qsort(times, (size_t)n, sizeof(double), cmp);
	printf("median_ms=%.3f mean_ms=%.3f p90_ms=%.3f", times[n / 2], sum / n,
	       times[n * 9 / 10]);
}

static void report(struct scenario *sc, int n)
{
	printf("%s ", sc->label);
	print_stats(sc->times, sc->n_times);
	printf(" max_rss_kib=%ld failures=%d passes=%d/%d\n", sc->max_rss_kb,
	       sc->failures, sc->n_times, n);
	for (int j = 0; j < sc->n_steps; j++) {
		printf("%s/%d:%s ", sc->label, j + 1, sc->steps[j].cmd);
		print_stats(sc->step_times[j], sc->n_step_times[j]);
		printf(" ok=%d/%d\n", sc->n_step_times[j], n);
	}
}

/* One pass of SC's steps with container ID CID; only what succeeded is
 * timed. */
static void run_pass(struct scenario *sc, const char *path, const char *netns,
		     const char *cid)
{
	double t0 = now_ms(), ts = t0;
	int failed = 0;

	for (int j = 0; j < sc->n_steps; j++) {
		int r = run_step(&sc->steps[j], path, netns, cid,
				 &sc->max_rss_kb);
		double t = now_ms() - ts;

		ts += t;
		if (r < 0) {
			sc->failures++;
			failed = 1;
			continue;
		}
		sc->step_times[j][sc->n_step_times[j]++] = t;
	}
	if (!failed)
		sc->times[sc->n_times++] = now_ms() - t0;
}

int main(int argc, char **argv)
{
	const char *path = "", *netns = "";
	struct scenario sc[8] = { 0 };
	int n = 100, n_sc = 0, opt;

	while ((opt = getopt(argc, argv, "n:p:s:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'p')
			path = optarg;
		else if (opt == 's')
			netns = optarg;
	}
	for (int i = optind; i < argc && n_sc < 8; i++) {
		if (parse_scenario(argv[i], &sc[n_sc]) < 0) {
			fprintf(stderr, "cnibench: bad scenario \"%s\"\n",
				argv[i]);
			return 2;
		}
		sc[n_sc].times = calloc((size_t)n, sizeof(double));
		for (int j = 0; j < sc[n_sc].n_steps; j++)
			sc[n_sc].step_times[j] =
				calloc((size_t)n, sizeof(double));
		n_sc++;
	}
	if (n < 1 || n_sc == 0) {
		fprintf(stderr, "usage: cnibench -n ITER -p CNI_PATH -s NETNS "
				"LABEL=CMD:BIN:CONF:IFNAME[,...]...\n");
		return 2;
	}
	for (int it = 0; it < n; it++) {
		char cid[64];

		snprintf(cid, sizeof(cid), "bench-%d", it);
		for (int k = 0; k < n_sc; k++)
			run_pass(&sc[k], path, netns, cid);
	}
	int failures = 0;

	for (int k = 0; k < n_sc; k++) {
		report(&sc[k], n);
		failures += sc[k].failures;
	}
	return failures ? 1 : 0;
}
