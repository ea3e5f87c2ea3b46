// SPDX-License-Identifier: Apache-2.0
/* The Multus drop-in rows of docs/multus-compat.md that a unit can hold:
 * the delegates' CNI_ARGS, the readiness wait, logging to stderr and a
 * file with rotation, the per-attachment device-info file name. The
 * expectations are Multus v4.2's behaviour as read from its code. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "attach.h"
#include "cache.h"
#include "cni_error.h"
#include "multus_cache.h"
#include "cni_env.h"
#include "cni_fs.h"
#include "cni_log.h"
#include "plan.h"

static struct cni_env env_of(const char *args)
{
	struct cni_env e = { 0 };

	e.args_raw = args ? strdup(args) : NULL;
	assert_int_equal(cni_args_parse(e.args_raw, &e.args, &e.n_args, NULL),
			 0);
	return e;
}

static void args_expect(const char *runtime, const char *filtered,
			const char *want)
{
	struct cni_env e = env_of(runtime);
	char *got = cni_args_for_delegate(&e, filtered ? filtered : runtime);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	cni_env_free(&e);
}

/* Multus puts IgnoreUnknown=true and the four K8S_POD_* keys first, then
 * every item of the runtime's CNI_ARGS again (a key already holding a
 * value does not absorb it). */
static void test_cni_args_for_delegate__cri_runtime(void **state)
{
	(void)state;
	args_expect("IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web;"
		    "K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_UID=u1",
		    NULL,
		    "IgnoreUnknown=true;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web;"
		    "K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_UID=u1;"
		    "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web;"
		    "K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_UID=u1");
}

/* A runtime that sends no IgnoreUnknown (so the reference plugins would
 * refuse unknown keys) and no pod: the delegates still get both. */
static void test_cni_args_for_delegate__bare_runtime(void **state)
{
	(void)state;
	args_expect(NULL, NULL,
		    "IgnoreUnknown=true;K8S_POD_NAMESPACE=;K8S_POD_NAME=;"
		    "K8S_POD_INFRA_CONTAINER_ID=;K8S_POD_UID=");
	args_expect("FOO=bar", NULL,
		    "IgnoreUnknown=true;K8S_POD_NAMESPACE=;K8S_POD_NAME=;"
		    "K8S_POD_INFRA_CONTAINER_ID=;K8S_POD_UID=;FOO=bar");
}

/* The items handed in (plexus drops IP= and MAC= for the networks other
 * than the default one) follow the leading keys; values keep '='. */
static void test_cni_args_for_delegate__filtered_items(void **state)
{
	(void)state;
	args_expect("K8S_POD_NAMESPACE=ns;IP=10.0.0.5;X=a=b", "X=a=b",
		    "IgnoreUnknown=true;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=;"
		    "K8S_POD_INFRA_CONTAINER_ID=;K8S_POD_UID=;X=a=b");
}

/* A selection element's mac / ips: appended last as MAC= / IP= (Multus'
 * DelegateAdd), each replacing the runtime's item of the key, so the
 * plugin sees one value, the pod's. */
static void test_cni_args_set__appends_last(void **state)
{
	static const char *const cases[][4] = {
		/* args, key, value, want */
		{ "IgnoreUnknown=true;K8S_POD_NAME=web", "IP",
		  "10.1.0.5/24,fd00::5/64",
		  "IgnoreUnknown=true;K8S_POD_NAME=web;IP=10.1.0.5/24,fd00::5/"
		  "64" },
		{ "A=1;IP=10.0.0.9;B=2;IP=10.0.0.8", "IP", "10.1.0.5",
		  "A=1;B=2;IP=10.1.0.5" },
		{ "IPX=1;MAC=02:00:00:00:00:09", "MAC", "02:00:00:00:00:01",
		  "IPX=1;MAC=02:00:00:00:00:01" },
		{ "", "MAC", "02:00:00:00:00:01", "MAC=02:00:00:00:00:01" },
		{ NULL, "IP", "10.1.0.5", "IP=10.1.0.5" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cni_err err = { 0 };
		char *got = NULL;

		assert_int_equal(cni_args_set(cases[i][0], cases[i][1],
					      cases[i][2], "f", 110, &got,
					      &err),
				 0);
		assert_string_equal(got, cases[i][3]);
		free(got);
	}
}

/* The values come from the pod annotation (tenant): one holding ';' or
 * '=' would add or hide other CNI_ARGS keys and is refused, naming the
 * field; nothing is returned. */
static void test_cni_args_set__refuses_separators(void **state)
{
	static const char *const bad[] = {
		"10.1.0.5;K8S_POD_NAMESPACE=kube-system",
		"IgnoreUnknown=false",
		"02:00:00:00:00:01;",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cni_err err = { 0 };
		char *got = NULL;

		assert_true(cni_args_set("A=1", "IP", bad[i],
					 "network ns/x: \"ips\"", 110, &got,
					 &err) < 0);
		assert_null(got);
		assert_int_equal(err.code, 110);
		assert_non_null(strstr(err.msg, "network ns/x: \"ips\""));
		assert_non_null(strstr(err.msg, "refused"));
	}
}

/* Multus' readiness wait looks at once, then each second. */
static void test_cni_fs_wait_exists__timing(void **state)
{
	char dir[] = "/tmp/plexus-ready-XXXXXX", path[64];
	struct timespec t0, t1;
	double ms;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ready", dir);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cni_fs_wait_exists(path, 100, 350), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	/* fails at the limit, after a last look there (Multus' poll) */
	assert_true(ms >= 350 && ms < 2000);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(cni_fs_wait_exists(path, 1000, 45000), 0);
	unlink(path);
	rmdir(dir);
}

static size_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

/* The number of entries of dir whose name starts with prefix and ends
 * with suffix. */
static int count_files(const char *dir, const char *prefix, const char *suffix)
{
	char cmd[512], buf[32];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls -1 %s | grep -c '^%s.*%s$'", dir, prefix,
		 suffix);
	p = popen(cmd, "r");
	if (p && fgets(buf, sizeof(buf), p))
		n = atoi(buf);
	if (p)
		pclose(p);
	return n;
}

/* logToStderr with logFile: both get each line (Multus writes both). */
static void test_cni_log__stderr_and_file(void **state)
{
	char dir[] = "/tmp/plexus-log-XXXXXX", path[64], errp[64];
	struct cni_log_opts o = { .to_stderr = true,
				  .level = CNI_LOG_ERROR,
				  .tag = "t" };
	int saved = dup(2), fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/plexus.log", dir);
	snprintf(errp, sizeof(errp), "%s/stderr", dir);
	fd = open(errp, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	o.path = path;
	assert_int_equal(cni_log_open_opts(&o), 0);
	cni_log(CNI_LOG_ERROR, "both %d", 1);
	o.to_stderr = false;
	assert_int_equal(cni_log_open_opts(&o), 0);
	cni_log(CNI_LOG_ERROR, "file only");
	cni_log_close();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(count_files(dir, "plexus.log", ""), 1);
	assert_true(file_size(path) > 0);
	assert_true(file_size(errp) > 0);
	assert_true(file_size(path) > file_size(errp)); /* 2 lines vs 1 */
	unlink(path);
	unlink(errp);
	rmdir(dir);
}

/* logOptions: a file that would pass maxSize is renamed
 * <name>-<time><ext> (gzipped with compress), at most maxBackups kept. */
static void test_cni_log__rotation(void **state)
{
	char dir[] = "/tmp/plexus-rot-XXXXXX", path[64], cmd[128];
	struct cni_log_opts o = {
		.level = CNI_LOG_ERROR,
		.tag = "t",
		.rot = { .max_bytes = 400, .max_backups = 2, .compress = true },
	};

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/plexus.log", dir);
	o.path = path;
	assert_int_equal(cni_log_open_opts(&o), 0);
	for (int i = 0; i < 40; i++) {
		cni_log(CNI_LOG_ERROR, "line %02d of the rotation test", i);
		if (i % 8 == 7) /* backups a millisecond apart at least */
			nanosleep(&(struct timespec){ 0, 3000000 }, NULL);
	}
	cni_log_close();
	assert_true(file_size(path) <= 400);
	assert_int_equal(count_files(dir, "plexus-", "\\.log\\.gz"), 2);
	assert_int_equal(count_files(dir, "plexus-", "\\.log"), 0);
	/* a backup is a gzip of whole lines */
	snprintf(cmd, sizeof(cmd), "zcat %s/plexus-*.log.gz | grep -vq 'line'",
		 dir);
	assert_int_not_equal(system(cmd), 0); /* no other lines */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Without compress the backups stay plain; maxBackups 0 keeps all. */
static void test_cni_log__rotation_plain_keep_all(void **state)
{
	char dir[] = "/tmp/plexus-rot-XXXXXX", path[64], cmd[128];
	struct cni_log_rotate rot = { .max_bytes = 1 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/node.log", dir);
	for (int i = 0; i < 3; i++) {
		close(open(path, O_CREAT | O_WRONLY, 0600));
		assert_int_equal(cni_log_rotate_now(path, &rot), 0);
		nanosleep(&(struct timespec){ 0, 3000000 }, NULL);
	}
	assert_int_equal(count_files(dir, "node-", "\\.log"), 3);
	assert_int_equal(cni_log_rotate_now(path, &rot), -ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Multus' per-delegate CNIDeviceInfoFile name:
 * <network>-<containerID>_<ifname>, each '/' written '-'. */
static void test_attach_devinfo_path__multus_name(void **state)
{
	struct plexus_attachment a = { .network = "ns1/sriov-a",
				       .ifname = "net1" };
	char *p = attach_devinfo_path(&a, "c0ffee");

	(void)state;
	assert_string_equal(p, "ns1-sriov-a-c0ffee_net1");
	free(p);
	assert_string_equal(ATTACH_DEVINFO_DIR, "/var/run/k8s.cni.cncf.io/"
						"devinfo/cni");
}

/* Multus copies the device plugin's device-info file of a resource's
 * device to the attachment's CNIDeviceInfoFile at ADD, never over one. */
static void test_attach_devinfo_from_dp__copy(void **state)
{
	char dir[] = "/tmp/plexus-devinfo-XXXXXX", dp[64], src[160], dst[160];
	char cmd[128], buf[64] = { 0 };
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(dp, sizeof(dp), "%s/dp", dir);
	mkdir(dp, 0755);
	snprintf(src, sizeof(src),
		 "%s/intel.com-sriov_a-0000:03:00.1-device.json", dp);
	f = fopen(src, "w");
	assert_non_null(f);
	fputs("{\"type\":\"pci\"}", f);
	fclose(f);
	snprintf(dst, sizeof(dst), "%s/cni/ns1-a-c1_net1", dir);
	assert_int_equal(attach_devinfo_from_dp(dp, "0000:03:00.2", dst),
			 -ENOENT);
	assert_int_equal(attach_devinfo_from_dp(dp, "0000:03:00.1", dst), 0);
	f = fopen(dst, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "{\"type\":\"pci\"}");
	assert_int_equal(stat(dst, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444);
	assert_int_equal(attach_devinfo_from_dp(dp, "0000:03:00.1", dst),
			 -EEXIST);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Multus' delegates cache: "bridge" in base64, as Go writes []byte. */
#define B64_BRIDGE                                                         \
	"eyJjbmlWZXJzaW9uIjoiMS4wLjAiLCJuYW1lIjoiYSIsInR5cGUiOiJicmlkZ2Ui" \
	"fQ=="

static void parse_fails(const char *doc, const char *msg)
{
	struct plexus_record *rec = NULL;
	struct cni_err err = { 0 };

	assert_int_not_equal(
		multus_cache_parse(doc, strlen(doc), "eth0", NULL, &rec, &err),
		0);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	assert_non_null(strstr(err.msg, msg));
}

static void test_multus_cache_parse__delegates(void **state)
{
	const char *doc = "[{\"Name\":\"\",\"Bytes\":\"" B64_BRIDGE "\"},"
			  "{\"Name\":\"ns1/b\",\"ifnameRequest\":\"data0\","
			  "\"macRequest\":\"02:00:00:00:00:42\",\"Bytes\":"
			  "\"" B64_BRIDGE "\"},"
			  "{\"Name\":\"ns1/c\",\"Bytes\":\"" B64_BRIDGE "\"}]";
	struct plexus_record *rec = NULL;
	json_object *mac;

	(void)state;
	assert_int_equal(
		multus_cache_parse(doc, strlen(doc), "eth0", NULL, &rec, NULL),
		0);
	assert_int_equal(rec->plan->n, 3);
	assert_true(rec->plan->att[0].is_default);
	assert_string_equal(rec->plan->att[0].network, "a");
	assert_string_equal(rec->plan->att[0].ifname, "eth0");
	assert_string_equal(rec->plan->att[1].network, "ns1/b");
	assert_string_equal(rec->plan->att[1].ifname, "data0");
	assert_true(json_object_object_get_ex(rec->plan->att[1].runtime_config,
					      "mac", &mac));
	assert_string_equal(rec->plan->att[2].ifname, "net2");
	plexus_record_free(rec);
	parse_fails("{}", "not a list of delegates");
	parse_fails("[]", "not a list of delegates");
	parse_fails("[{\"Name\":\"x\",\"Bytes\":\"!!\"}]", "[0].Bytes: missing "
							   "or not base64");
	parse_fails("[{\"Name\":\"x\",\"ifnameRequest\":\"a/b\",\"Bytes\":"
		    "\"" B64_BRIDGE "\"}]",
		    "ifnameRequest");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cni_args_for_delegate__cri_runtime),
		cmocka_unit_test(test_cni_args_for_delegate__bare_runtime),
		cmocka_unit_test(test_cni_args_for_delegate__filtered_items),
		cmocka_unit_test(test_cni_args_set__appends_last),
		cmocka_unit_test(test_cni_args_set__refuses_separators),
		cmocka_unit_test(test_cni_fs_wait_exists__timing),
		cmocka_unit_test(test_cni_log__stderr_and_file),
		cmocka_unit_test(test_cni_log__rotation),
		cmocka_unit_test(test_cni_log__rotation_plain_keep_all),
		cmocka_unit_test(test_attach_devinfo_path__multus_name),
		cmocka_unit_test(test_multus_cache_parse__delegates),
		cmocka_unit_test(test_attach_devinfo_from_dp__copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
