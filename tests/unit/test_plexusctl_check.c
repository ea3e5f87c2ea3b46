/* SPDX-License-Identifier: Apache-2.0 */
/* plexusctl validate's checks on in-memory manifests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "plexusctl.h"

#define NAD(name, config)                                  \
	"apiVersion: k8s.cni.cncf.io/v1\n"                 \
	"kind: NetworkAttachmentDefinition\n"              \
	"metadata: {name: " name ", namespace: default}\n" \
	"spec:\n  config: '" config "'\n"

#define HL(subnet)                                                        \
	"{\"cniVersion\": \"1.0.0\", \"type\": \"macvlan\", \"ipam\": "   \
	"{\"type\": \"host-local\", \"ranges\": [[{\"subnet\": \"" subnet \
	"\"}]]}}"

/* Check files (name, text, name, text, ..., NULL) and return the
 * problems joined by '\n'. */
static const char *check(const char *cni_path, ...)
{
	static char out[8192];
	struct ctl_check *c = ctl_check_new(cni_path);
	const char *file, *text;
	size_t used = 0;
	va_list ap;

	assert_non_null(c);
	va_start(ap, cni_path);
	while ((file = va_arg(ap, const char *)) != NULL) {
		text = va_arg(ap, const char *);
		ctl_check_buf(c, file, text, strlen(text));
	}
	va_end(ap);
	ctl_check_finish(c);
	out[0] = '\0';
	for (size_t i = 0; i < ctl_check_count(c); i++)
		used += snprintf(out + used, sizeof(out) - used, "%s%s",
				 i ? "\n" : "", ctl_check_problem(c, i));
	ctl_check_free(c);
	return out;
}

static void test_ctl_check__valid_nads_and_node(void **state)
{
	(void)state;
	assert_string_equal(
		check(NULL, "a.yaml",
		      NAD("a", HL("10.0.0.0/24")) "---\n" NAD("b", HL("10.0.1."
								      "0/24")),
		      "node.conf",
		      "{\"cniVersion\": \"1.0.0\", \"type\": \"plexus\", "
		      "\"clusterNetwork\": \"a\"}",
		      "pod.yaml",
		      "kind: Pod\nmetadata:\n  name: p\n  annotations:\n"
		      "    k8s.v1.cni.cncf.io/networks: a, b@x\n",
		      NULL),
		"");
}

static void test_ctl_check__nad_fields(void **state)
{
	(void)state;
	assert_string_equal(check(NULL, "n.yaml",
				  "apiVersion: v1\nkind: "
				  "NetworkAttachmentDefinition\n"
				  "metadata: {namespace: Bad}\nspec: {config: "
				  "7}\n",
				  NULL),
			    "n.yaml: apiVersion: \"v1\" is not "
			    "k8s.cni.cncf.io/v1\n"
			    "n.yaml: metadata.name: missing\n"
			    "n.yaml: metadata.namespace: \"Bad\" is not a "
			    "DNS-1123 label\n"
			    "n.yaml: spec.config: must be a string");
}

static void test_ctl_check__config_errors_name_the_document(void **state)
{
	(void)state;
	assert_string_equal(
		check(NULL, "n.yaml",
		      NAD("a", "{\"cniVersion\": \"1.0.0\"}") "---\n" NAD(
			      "b", "{\"cniVersion\": \"1.0.0\", \"plugins\": "
				   "[]}"),
		      NULL),
		"n.yaml: documents[0].spec.config: \"type\" missing\n"
		"n.yaml: documents[1].spec.config.plugins: the list is empty");
}

static void test_ctl_check__overlap_between_networks_only(void **state)
{
	const char *out;

	(void)state;
	/* the same network twice (a node's delegate and a NAD): fine */
	assert_string_equal(
		check(NULL, "a.yaml", NAD("a", HL("10.0.0.0/24")), "b.conf",
		      "{\"cniVersion\": \"1.0.0\", \"name\": \"a\", "
		      "\"type\": \"macvlan\", \"ipam\": {\"subnet\": "
		      "\"10.0.0.0/25\"}}",
		      NULL),
		"");
	out = check(NULL, "a.yaml", NAD("a", HL("10.0.0.0/16")), "b.yaml",
		    NAD("b", HL("10.0.200.0/24")), NULL);
	assert_string_equal(out, "b.yaml: "
				 "spec.config.ipam.ranges[0][0].subnet: "
				 "10.0.200.0/24 overlaps 10.0.0.0/16 of "
				 "network a "
				 "(a.yaml: "
				 "spec.config.ipam.ranges[0][0].subnet)");
}

#define WB(range, net)                                                  \
	"{\"cniVersion\": \"1.0.0\", \"type\": \"macvlan\", \"ipam\": " \
	"{\"type\": \"whereabouts\", \"range\": \"" range "\", "        \
	"\"network_name\": \"" net "\"}}"

/* Whereabouts' network_name keeps two networks on one CIDR apart (one
 * pool each): no overlap; without it, or with the same name, one. */
static void test_ctl_check__network_name_keeps_pools_apart(void **state)
{
	(void)state;
	assert_string_equal(check(NULL, "a.yaml",
				  NAD("a", WB("10.3.0.0/24", "red")), "b.yaml",
				  NAD("b", WB("10.3.0.0/24", "blue")), NULL),
			    "");
	assert_non_null(strstr(
		check(NULL, "a.yaml", NAD("a", WB("10.3.0.0/24", "red")),
		      "b.yaml", NAD("b", WB("10.3.0.0/24", "red")), NULL),
		"overlaps"));
	assert_non_null(
		strstr(check(NULL, "a.yaml", NAD("a", WB("10.3.0.0/24", "red")),
			     "b.yaml", NAD("b", HL("10.3.0.0/25")), NULL),
		       "overlaps"));
}

/* A NAD without spec (or spec.config) names the confDir file of its
 * name on the node, as Multus' macvlan-conf-2 example: no problem. */
static void test_ctl_check__nad_without_spec(void **state)
{
	(void)state;
	assert_string_equal(check(NULL, "n.yaml",
				  "apiVersion: k8s.cni.cncf.io/v1\n"
				  "kind: NetworkAttachmentDefinition\n"
				  "metadata: {name: macvlan-conf-2, namespace: "
				  "default}\n",
				  NULL),
			    "");
}

static void test_ctl_check__syntax_and_unknown(void **state)
{
	const char *out;

	(void)state;
	out = check(NULL, "s.yaml", "a: [1, 2\n", NULL);
	assert_non_null(strstr(out, "s.yaml: line "));
	assert_string_equal(check(NULL, "x.json", "{\"x\": 1}", NULL),
			    "x.json: (document): neither a "
			    "NetworkAttachmentDefinition, a Pod nor a CNI "
			    "config");
	/* other Kubernetes kinds are not ours to check */
	assert_string_equal(check(NULL, "d.yaml", "kind: Deployment\n", NULL),
			    "");
}

static void test_ctl_check__list_items_and_cni_path(void **state)
{
	(void)state;
	assert_string_equal(check("/nonexistent:/also-not", "l.json",
				  "{\"kind\": \"List\", \"items\": [{\"kind\": "
				  "\"Pod\", "
				  "\"metadata\": {\"name\": \"p\", "
				  "\"annotations\": "
				  "{\"k8s.v1.cni.cncf.io/networks\": "
				  "\"a@\"}}}, "
				  "{\"cniVersion\": \"1.0.0\", \"type\": "
				  "\"bridge\"}]}",
				  NULL),
			    "l.json: items[0].metadata.annotations."
			    "k8s.v1.cni.cncf.io/networks: element 0: "
			    "interface: "
			    "interface name is empty\n"
			    "l.json: items[1].config.type: plugin \"bridge\" "
			    "not found on "
			    "--cni-path /nonexistent:/also-not");
}

#define ROUTED_NAD(annotations)                                               \
	"apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\n" \
	"metadata:\n  name: red\n  annotations:\n" annotations                \
	"spec:\n  config: '" HL("10.73.0.0/24") "'\n"
#define ROUTE_83 "'[{\"dst\": \"10.83.0.0/24\", \"gw\": \"10.73.0.254\"}]'"

/* plexus.dev/policy-routing and plexus.dev/policy-routes as the planner
 * judges them (without --config policy routing is off). */
static void test_ctl_check__policy_routes(void **state)
{
	(void)state;
	assert_string_equal(check(NULL, "n.yaml",
				  ROUTED_NAD("    plexus.dev/policy-routing: "
					     "\"true\"\n"
					     "    "
					     "plexus.dev/"
					     "policy-routes: " ROUTE_83 "\n"),
				  NULL),
			    "");
	assert_string_equal(check(NULL, "n.yaml",
				  ROUTED_NAD("    "
					     "plexus.dev/"
					     "policy-routes: " ROUTE_83 "\n"),
				  NULL),
			    "n.yaml: "
			    "metadata.annotations.plexus.dev/policy-routes: "
			    "policy routing is off for it (node config "
			    "policyRouting: "
			    "none without --config, annotation "
			    "plexus.dev/policy-routing), "
			    "so the network has no routing table of its own "
			    "for these "
			    "routes");
	assert_string_equal(check(NULL, "n.yaml",
				  ROUTED_NAD("    plexus.dev/policy-routing: "
					     "\"yes\"\n"
					     "    plexus.dev/policy-routes: "
					     "'[{\"dst\": "
					     "\"0.0.0.0/0\", \"gw\": "
					     "\"10.73.0.1\"}]'\n"),
				  NULL),
			    "n.yaml: "
			    "metadata.annotations.plexus.dev/policy-routing: "
			    "\"yes\" is not \"true\" or \"false\"\n"
			    "n.yaml: "
			    "metadata.annotations.plexus.dev/policy-routes: "
			    "route "
			    "0: dst \"0.0.0.0/0\" is a default route: the "
			    "table has the "
			    "network's gateway as its default already");
}

static void test_ctl_check__node_config_refusal(void **state)
{
	(void)state;
	assert_string_equal(check(NULL, "n.conflist",
				  "{\"cniVersion\": \"1.0.0\", \"name\": "
				  "\"x\", "
				  "\"plugins\": [{\"type\": \"plexus\", "
				  "\"delegates\": "
				  "[]}]}",
				  NULL),
			    "n.conflist: delegates: the list is empty");
}

static void test_ctl_check__plexus_ipam_own_parser(void **state)
{
	(void)state;
	assert_string_equal(check(NULL, "p.yaml",
				  NAD("a", "{\"cniVersion\": \"1.0.0\", "
					   "\"type\": "
					   "\"macvlan\", \"ipam\": {\"type\": "
					   "\"plexus-ipam\", \"range\": "
					   "\"10.0.0.0/16\", "
					   "\"blockSize\": 24}}"),
				  NULL),
			    "");
	assert_string_equal(check(NULL, "p.yaml",
				  NAD("a", "{\"cniVersion\": \"1.0.0\", "
					   "\"type\": "
					   "\"macvlan\", \"ipam\": {\"type\": "
					   "\"plexus-ipam\", \"range\": "
					   "\"10.0.0.0/16\", "
					   "\"blockSize\": 12}}"),
				  NULL),
			    "p.yaml: spec.config: ipam.blockSize: 12 is not a "
			    "prefix "
			    "length in 22..32");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctl_check__valid_nads_and_node),
		cmocka_unit_test(test_ctl_check__nad_fields),
		cmocka_unit_test(
			test_ctl_check__config_errors_name_the_document),
		cmocka_unit_test(test_ctl_check__overlap_between_networks_only),
		cmocka_unit_test(
			test_ctl_check__network_name_keeps_pools_apart),
		cmocka_unit_test(test_ctl_check__nad_without_spec),
		cmocka_unit_test(test_ctl_check__syntax_and_unknown),
		cmocka_unit_test(test_ctl_check__list_items_and_cni_path),
		cmocka_unit_test(test_ctl_check__node_config_refusal),
		cmocka_unit_test(test_ctl_check__policy_routes),
		cmocka_unit_test(test_ctl_check__plexus_ipam_own_parser),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
