#!/bin/bash
# The fixture Kubernetes API server (tests/fixtures/apiserver): TLS, tokens,
# Status errors, resourceVersion compare-and-swap, faults, delayed objects,
# the request log, and that it never outlives its test. About 10 s.
. "$(dirname "$0")/../lib.sh"
# Debian's python3 (tests/deps.sh installs it, with python3-yaml) first:
# it starts in a fraction of the time a pyenv shim takes.
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
FX=$TOP/tests/fixtures/apiserver
CTL="python3 $FX/fixturectl.py"
D=$T_TMP/api
EXTRA_DIRS="$T_TMP/a2 $T_TMP/a3"

stop_all() {
	for d in $D $EXTRA_DIRS; do "$FX/stop.sh" "$d" 2>/dev/null || true; done
	t_cleanup
}
trap stop_all EXIT

"$FX/start.sh" "$D" >"$T_TMP/start.log" 2>&1
START_RC=$?
PORT=$(cat "$D/port" 2>/dev/null)
URL=https://127.0.0.1:$PORT
TOKEN=$(cat "$D/token" 2>/dev/null)
POD=/api/v1/namespaces/default/pods/web-0
NADS=/apis/k8s.cni.cncf.io/v1
CR=/apis/ipam.plexus.io/v1alpha1/namespaces/default/ippools

# k [curl args...]: authenticated request; body in $T_TMP/body, prints code.
k() {
	curl -sS --cacert "$D/ca.crt" -H "Authorization: Bearer $TOKEN" \
		-o "$T_TMP/body" -w '%{http_code}' "$@"
}
# kpatch PATH JSON [CONTENT-TYPE]
kpatch() {
	k -X PATCH -H "Content-Type: ${3:-application/merge-patch+json}" \
		--data-binary "$2" "$URL$1"
}
# kput FILE URL / kpost JSON URL
kput() {
	k -X PUT -H 'Content-Type: application/json' --data-binary @"$1" "$2"
}
kpost() {
	k -X POST -H 'Content-Type: application/json' --data-binary "$1" "$2"
}
# running PID: exists and is no zombie (PID 1 here may reap slowly)
running() { grep -qs '^State:[[:space:]]*[^Z[:space:]]' "/proc/$1/status"; }
body() { jget "$T_TMP/body" "$1"; }
# jset IN OUT STATEMENTS: rewrite a JSON file through python (on j)
jset() {
	python3 -c "import json,sys; j=json.load(open(sys.argv[1])); $3; json.dump(j, open(sys.argv[2], 'w'))" "$1" "$2"
}
rv() { k "$URL$1" >/dev/null && body 'j["metadata"]["resourceVersion"]'; }

case_start() {
	[ "$START_RC" = 0 ] || { cat "$T_TMP/start.log"; fail "start.sh: $START_RC"; }
	for f in ca.crt token token-readonly port pid url kubeconfig \
		kubeconfig-data kubeconfig-tokenfile kubeconfig-readonly; do
		[ -s "$D/$f" ] || fail "$f missing"
	done
	kill -0 "$(cat "$D/pid")"
	openssl x509 -in "$D/server.crt" -noout -ext subjectAltName |
		grep -q 'IP Address:127.0.0.1' || fail "no IP SAN"
	openssl verify -CAfile "$D/ca.crt" "$D/server.crt"
}

case_kubeconfigs() {
	python3 - "$D" <<'EOF'
import base64, os, subprocess, sys, yaml
d = sys.argv[1]
port = open(d + "/port").read().strip()
token = open(d + "/token").read()
ca = open(d + "/ca.crt").read()
for name, user_key in (("kubeconfig", "token"), ("kubeconfig-data", "token"),
                       ("kubeconfig-tokenfile", "tokenFile")):
    kc = yaml.safe_load(open(os.path.join(d, name)))
    ctx = {c["name"]: c["context"] for c in kc["contexts"]}[kc["current-context"]]
    cl = {c["name"]: c["cluster"] for c in kc["clusters"]}[ctx["cluster"]]
    us = {u["name"]: u["user"] for u in kc["users"]}[ctx["user"]]
    assert cl["server"] == "https://127.0.0.1:" + port, cl
    if name == "kubeconfig-data":
        assert base64.b64decode(cl["certificate-authority-data"]).decode() == ca
        open(d + "/ca-from-data.crt", "w").write(ca)
    else:
        assert open(cl["certificate-authority"]).read() == ca
    t = us[user_key] if user_key == "token" else open(us[user_key]).read()
    assert t == token and len(t) == 64, name
EOF
	# the CA taken from certificate-authority-data verifies the server
	code=$(curl -sS --cacert "$D/ca-from-data.crt" -o /dev/null \
		-w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/version")
	expect_eq "$code" 200 "GET /version with the CA from the data"
}

case_tls() {
	set +e
	curl -sS -o /dev/null "$URL/version" 2>/dev/null
	rc=$?
	curl -sS -o /dev/null --max-time 3 "http://127.0.0.1:$PORT/version" \
		2>/dev/null
	rc_http=$?
	set -e
	expect_eq "$rc" 60 "curl without the CA (peer certificate not verified)"
	[ "$rc_http" != 0 ] || fail "plain HTTP was answered"
	code=$(k "https://localhost:$PORT/version")
	expect_eq "$code" 200 "GET via DNS:localhost"
	code=$(curl -sS --cacert "$D/ca.crt" -o /dev/null -w '%{http_version}' \
		-H "Authorization: Bearer $TOKEN" "$URL/version")
	expect_eq "$code" 1.1 "HTTP version"
}

case_unauthorized() {
	code=$(curl -sS --cacert "$D/ca.crt" -o "$T_TMP/body" -w '%{http_code}' \
		"$URL$POD")
	expect_eq "$code" 401 "no token"
	expect_eq "$(body 'j["kind"], j["status"], j["reason"], j["code"]')" \
		"Status Failure Unauthorized 401" "Status"
	code=$(curl -sS --cacert "$D/ca.crt" -o /dev/null -w '%{http_code}' \
		-H "Authorization: Bearer ${TOKEN}x" "$URL$POD")
	expect_eq "$code" 401 "wrong token"
	code=$(curl -sS --cacert "$D/ca.crt" -o /dev/null -w '%{http_code}' \
		-H "Authorization: Basic $TOKEN" "$URL$POD")
	expect_eq "$code" 401 "not a bearer token"
}

case_get_pod() {
	expect_eq "$(k "$URL$POD")" 200 "GET pod"
	expect_eq "$(body 'j["metadata"]["uid"]')" \
		7d4e5c1a-3b2f-4e8d-9a61-2c5b8f0e4a10 "uid"
	expect_eq "$(body 'j["metadata"]["annotations"]["k8s.v1.cni.cncf.io/networks"]')" \
		"macvlan-net, ns2/bridge-net@data0" "networks annotation"
	expect_eq "$(k "$URL/api/v1/namespaces/default/pods/nope")" 404 "missing"
	expect_eq "$(body 'j["reason"], j["code"], j["details"]["name"]')" \
		"NotFound 404 nope" "NotFound Status"
	expect_eq "$(k "$URL/api/v1/pods")" 200 "list all pods"
	expect_eq "$(body 'j["kind"], [i["metadata"]["name"] for i in j["items"]]')" \
		"PodList ['web-0']" "PodList"
	body 'int(j["metadata"]["resourceVersion"])' >/dev/null
}

case_nads() {
	expect_eq "$(k "$URL$NADS/namespaces/ns2/network-attachment-definitions/bridge-net")" \
		200 "GET NAD"
	body 'json.loads(j["spec"]["config"])["bridge"]' >"$T_TMP/v"
	expect_eq "$(cat "$T_TMP/v")" plexus-br1 "bridge in spec.config"
	expect_eq "$(k "$URL$NADS/namespaces/kube-system/network-attachment-definitions")" \
		200 "list kube-system"
	expect_eq "$(body '[i["metadata"]["name"] for i in j["items"]]')" \
		"['default-net']" "kube-system NADs"
	expect_eq "$(k "$URL$NADS/network-attachment-definitions")" 200 "all"
	expect_eq "$(body 'len(j["items"])')" 3 "NADs in all namespaces"
}

case_merge_patch() {
	old=$(rv "$POD")
	code=$(kpatch "$POD" '{"metadata":{"annotations":{"k8s.v1.cni.cncf.io/network-status":"[]"}}}')
	expect_eq "$code" 200 "merge PATCH"
	new=$(body 'j["metadata"]["resourceVersion"]')
	[ "$new" -gt "$old" ] || fail "resourceVersion $old -> $new"
	expect_eq "$(body 'sorted(j["metadata"]["annotations"])')" \
		"['k8s.v1.cni.cncf.io/network-status', 'k8s.v1.cni.cncf.io/networks']" \
		"annotations merged"
	code=$(kpatch "$POD" '{"metadata":{"annotations":{"k8s.v1.cni.cncf.io/network-status":null,"x":"y"}}}' \
		application/strategic-merge-patch+json)
	expect_eq "$code" 200 "strategic merge PATCH"
	expect_eq "$(body 'sorted(j["metadata"]["annotations"])')" \
		"['k8s.v1.cni.cncf.io/networks', 'x']" "null removes a key"
	k "$URL$POD" >/dev/null
	expect_eq "$(body 'j["metadata"]["annotations"]["x"]')" y "stored"
	code=$(kpatch "$POD" "{\"metadata\":{\"resourceVersion\":\"$old\",\"labels\":{\"a\":\"b\"}}}")
	expect_eq "$code" 409 "PATCH with a stale resourceVersion"
	# a uid in a patch: the same one is fine, another one is invalid
	# (immutable field, 422 as kube-apiserver), not a 409 precondition
	code=$(kpatch "$POD" '{"metadata":{"uid":"7d4e5c1a-3b2f-4e8d-9a61-2c5b8f0e4a10","labels":{"u":"same"}}}')
	expect_eq "$code" 200 "PATCH with the pod's uid"
	code=$(kpatch "$POD" '{"metadata":{"uid":"another","labels":{"u":"other"}}}')
	expect_eq "$code" 422 "PATCH with another uid"
	expect_eq "$(body 'j["reason"]')" Invalid "reason"
	k "$URL$POD" >/dev/null
	expect_eq "$(body 'j["metadata"]["labels"]["u"], j["metadata"]["uid"]')" \
		"same 7d4e5c1a-3b2f-4e8d-9a61-2c5b8f0e4a10" "refused patch not applied"
	code=$(kpatch "$POD" '{"metadata":{}}' application/apply-patch+yaml)
	expect_eq "$code" 415 "unsupported patch type"
	expect_eq "$(kpatch /api/v1/namespaces/default/pods/nope '{}')" 404 "PATCH missing"
}

case_put_cas() {
	k "$URL$POD" >/dev/null
	cur=$(body 'j["metadata"]["resourceVersion"]')
	jset "$T_TMP/body" "$T_TMP/stale.json" \
		"j['metadata']['labels']['v'] = '1'; j['metadata']['resourceVersion'] = str($cur - 1)"
	code=$(kput "$T_TMP/stale.json" "$URL$POD")
	expect_eq "$code" 409 "PUT with a stale resourceVersion"
	expect_eq "$(body 'j["reason"], j["code"]')" "Conflict 409" "Status"
	jset "$T_TMP/stale.json" "$T_TMP/cur.json" \
		"j['metadata']['resourceVersion'] = '$cur'"
	code=$(kput "$T_TMP/cur.json" "$URL$POD")
	expect_eq "$code" 200 "PUT with the current resourceVersion"
	new=$(body 'j["metadata"]["resourceVersion"]')
	[ "$new" -gt "$cur" ] || fail "resourceVersion $cur -> $new"
	expect_eq "$(body 'j["metadata"]["labels"]["v"]')" 1 "replaced"
	expect_eq "$(kput "$T_TMP/cur.json" "$URL$POD")" 409 "the same PUT again"
	jset "$T_TMP/cur.json" "$T_TMP/norv.json" \
		"del j['metadata']['resourceVersion']"
	expect_eq "$(kput "$T_TMP/norv.json" "$URL$POD")" 422 \
		"PUT without resourceVersion"
	jset "$T_TMP/cur.json" "$T_TMP/gone.json" "j['metadata']['name'] = 'gone'"
	expect_eq "$(kput "$T_TMP/gone.json" "$URL/api/v1/namespaces/default/pods/gone")" \
		404 "PUT of a missing object"
	expect_eq "$(curl -sS --cacert "$D/ca.crt" -H "Authorization: Bearer $TOKEN" \
		-o /dev/null -w '%{http_code}' -X PUT --data-binary @"$T_TMP/body" \
		"$URL$POD")" 415 "PUT as form data"
}

case_create() {
	obj='{"apiVersion":"ipam.plexus.io/v1alpha1","kind":"IPPool","metadata":{"name":"p1","labels":{"pool":"a"}},"spec":{"cidr":"10.9.0.0/16"}}'
	code=$(kpost "$obj" "$URL$CR")
	expect_eq "$code" 201 "POST new"
	expect_eq "$(body 'j["metadata"]["namespace"], j["metadata"]["generation"], len(j["metadata"]["uid"]), "T" in j["metadata"]["creationTimestamp"]')" \
		"default 1 36 True" "server-filled metadata"
	code=$(kpost "$obj" "$URL$CR")
	expect_eq "$code" 409 "POST existing"
	expect_eq "$(body 'j["reason"]')" AlreadyExists "reason"
	obj2=$(echo "$obj" | sed 's/"p1"/"p2"/; s/"a"/"b"/')
	expect_eq "$(kpost "$obj2" "$URL$CR")" 201 "POST p2"
	expect_eq "$(k "$URL$CR?labelSelector=pool%3Db")" 200 "list by label"
	expect_eq "$(body '[i["metadata"]["name"] for i in j["items"]]')" "['p2']" "selected"
	expect_eq "$(k "$URL$CR?labelSelector=pool%20in%20(a,b)&limit=1")" 200 "page 1"
	expect_eq "$(body '[i["metadata"]["name"] for i in j["items"]], j["metadata"]["remainingItemCount"]')" \
		"['p1'] 1" "page 1 items"
	cont=$(body 'j["metadata"]["continue"]')
	expect_eq "$(k "$URL$CR?limit=1&continue=$cont")" 200 "page 2"
	expect_eq "$(body '[i["metadata"]["name"] for i in j["items"]], "continue" in j["metadata"]')" \
		"['p2'] False" "page 2 items"
	# cluster-scoped custom resource
	expect_eq "$(kpost '{"apiVersion":"ipam.plexus.io/v1alpha1","kind":"IPBlock","metadata":{"name":"b1"}}' \
		"$URL/apis/ipam.plexus.io/v1alpha1/ipblocks")" 201 "POST cluster-scoped"
	expect_eq "$(k "$URL/apis/ipam.plexus.io/v1alpha1/ipblocks/b1")" 200 "GET cluster-scoped"
	expect_eq "$(body '"namespace" in j["metadata"]')" False "no namespace"
	# generation follows spec changes only
	expect_eq "$(kpatch "$CR/p1" '{"spec":{"cidr":"10.8.0.0/16"}}')" 200 "spec patch"
	expect_eq "$(body 'j["metadata"]["generation"]')" 2 "generation bumped"
	expect_eq "$(kpatch "$CR/p1" '{"metadata":{"labels":{"x":"1"}}}')" 200 "meta patch"
	expect_eq "$(body 'j["metadata"]["generation"]')" 2 "generation kept"
}

# Accept as kube-apiserver negotiates it: metadata only for
# as=PartialObjectMetadataList (a list) and as=PartialObjectMetadata (one
# object), the wrong one of them for the request or an unknown as=, g or
# v, or no JSON clause at all: 406 NotAcceptable; a later plain clause
# serves the object as stored.
case_accept() {
	local meta='application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1'
	expect_eq "$(k -H "Accept: $meta" "$URL$CR?labelSelector=pool%3Da&limit=1")" 200 "metadata list"
	expect_eq "$(body 'j["kind"], j["apiVersion"], "resourceVersion" in j["metadata"], [(i["kind"], i["apiVersion"], sorted(i)) for i in j["items"]]')" \
		"PartialObjectMetadataList meta.k8s.io/v1 True [('PartialObjectMetadata', 'meta.k8s.io/v1', ['apiVersion', 'kind', 'metadata'])]" \
		"items are metadata only"
	expect_eq "$(body 'j["items"][0]["metadata"]["name"], j["items"][0]["metadata"]["labels"]')" \
		"p1 {'pool': 'a', 'x': '1'}" "their metadata whole"
	expect_eq "$(k -H "Accept: ${meta/v1/v1beta1}" "$URL$CR")" 200 "v1beta1"
	expect_eq "$(body 'j["apiVersion"], len(j["items"])')" "meta.k8s.io/v1beta1 2" "v1beta1 list"
	expect_eq "$(k -H "Accept: ${meta}List" "$URL$CR")" 406 "unknown as="
	expect_eq "$(body 'j["reason"], j["message"]')" \
		"NotAcceptable only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf" "406 Status"
	expect_eq "$(k -H "Accept: ${meta/g=meta.k8s.io/g=x.io}" "$URL$CR")" 406 "other group"
	expect_eq "$(k -H "Accept: ${meta/v=v1/v=v2}" "$URL$CR")" 406 "other version"
	expect_eq "$(k -H 'Accept: application/json;as=Table;g=meta.k8s.io;v=v1' "$URL$CR")" 406 "Table (not implemented)"
	expect_eq "$(k -H 'Accept: text/plain' "$URL$CR")" 406 "text/plain"
	expect_eq "$(k -H "Accept: $meta" "$URL$CR/p1")" 406 "a list's transformation of one object"
	expect_eq "$(body 'j["message"]')" \
		"you requested PartialObjectMetadataList, but the requested object is not a list (*unstructured.Unstructured)" "its message"
	expect_eq "$(k -H "Accept: ${meta/MetadataList/Metadata}" "$URL$CR")" 406 "one object's transformation of a list"
	expect_eq "$(k -H "Accept: ${meta/MetadataList/Metadata}" "$URL$CR/p1")" 200 "metadata of one object"
	expect_eq "$(body 'j["kind"], "spec" in j, j["metadata"]["name"]')" "PartialObjectMetadata False p1" "one object, metadata only"
	expect_eq "$(k -H "Accept: ${meta}List, application/json" "$URL$CR")" 200 "a later plain clause"
	expect_eq "$(body 'j["kind"], "spec" in j["items"][0]')" "IPPoolList True" "served whole"
	expect_eq "$(k -H "Accept: $meta" "$URL$CR/nope")" 404 "404 before the transformation"
	expect_eq "$(k -H "Accept: $meta" "$URL$CR?labelSelector=pool%3Dnone")" 200 "empty metadata list"
	expect_eq "$(body 'j["kind"], j["items"]')" "PartialObjectMetadataList None" "its items null, as kube-apiserver's"
	# the request log has each Accept, the answer's kind and size
	$CTL "$D" requests --path "$CR" | python3 -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["accept"] and "as=" in x["accept"]]
assert r[0]["kind"] == "PartialObjectMetadataList" and r[0]["bytes"] > 0, r[0]
assert r[0]["accept"] == sys.argv[1], r[0]' "$meta" || fail "request log"
	# a fault for one Accept only
	$CTL "$D" fault "{\"match\": \"GET $CR\", \"code\": 406, \"accept\": \"as=PartialObjectMetadataList\"}" >/dev/null
	expect_eq "$(k "$URL$CR")" 200 "other Accept: no fault"
	expect_eq "$(k -H "Accept: $meta" "$URL$CR")" 406 "that Accept: the fault"
	expect_eq "$(k -H "Accept: $meta" "$URL$CR")" 200 "fault used up"
}

case_json_patch() {
	cur=$(rv "$CR/p1")
	expect_eq "$(kpatch "$CR/p1" "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"0\"},{\"op\":\"add\",\"path\":\"/spec/x\",\"value\":1}]" \
		application/json-patch+json)" 422 "failed test op"
	expect_eq "$(rv "$CR/p1")" "$cur" "nothing written"
	expect_eq "$(kpatch "$CR/p1" "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"$cur\"},{\"op\":\"add\",\"path\":\"/spec/used\",\"value\":[\"10.8.0.1\"]},{\"op\":\"add\",\"path\":\"/spec/used/-\",\"value\":\"10.8.0.2\"}]" \
		application/json-patch+json)" 200 "test and add"
	expect_eq "$(body 'j["spec"]["used"]')" "['10.8.0.1', '10.8.0.2']" "added"
}

case_delete() {
	cur=$(rv "$CR/p2")
	code=$(k -X DELETE -H 'Content-Type: application/json' \
		--data-binary '{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"resourceVersion":"1"}}' \
		"$URL$CR/p2")
	expect_eq "$code" 409 "DELETE with a stale precondition"
	expect_eq "$(body 'j["reason"]')" Conflict "reason"
	expect_eq "$(k "$URL$CR/p2")" 200 "still there"
	code=$(k -X DELETE "$URL$CR/p2?preconditions.uid=00000000-0000-0000-0000-000000000000")
	expect_eq "$code" 409 "DELETE with a wrong uid"
	code=$(k -X DELETE -H 'Content-Type: application/json' \
		--data-binary "{\"preconditions\":{\"resourceVersion\":\"$cur\"}}" \
		"$URL$CR/p2")
	expect_eq "$code" 200 "DELETE with the current resourceVersion"
	expect_eq "$(body 'j["metadata"]["name"]')" p2 "returns the object"
	expect_eq "$(k "$URL$CR/p2")" 404 "gone"
	expect_eq "$(k -X DELETE "$URL$CR/p2")" 404 "DELETE missing"
	after=$(rv "$CR/p1")
	k "$URL$CR" >/dev/null
	[ "$(body 'j["metadata"]["resourceVersion"]')" -gt "$after" ] ||
		fail "DELETE did not bump the resourceVersion"
}

case_readonly() {
	ro=$(cat "$D/token-readonly")
	code=$(curl -sS --cacert "$D/ca.crt" -o /dev/null -w '%{http_code}' \
		-H "Authorization: Bearer $ro" "$URL$POD")
	expect_eq "$code" 200 "read-only GET"
	code=$(curl -sS --cacert "$D/ca.crt" -o "$T_TMP/body" -w '%{http_code}' \
		-X PATCH -H 'Content-Type: application/merge-patch+json' \
		--data-binary '{}' -H "Authorization: Bearer $ro" "$URL$POD")
	expect_eq "$code" 403 "read-only PATCH"
	expect_eq "$(body 'j["reason"]')" Forbidden "reason"
}

case_fault_500() {
	$CTL "$D" fault '{"match": "GET /api/v1/namespaces/default/pods/", "code": 500, "count": 2}' >/dev/null
	expect_eq "$(k "$URL$POD")" 500 "first"
	expect_eq "$(body 'j["reason"]')" InternalError "reason"
	expect_eq "$(k "$URL/api/v1/pods")" 200 "other path untouched"
	expect_eq "$(kpatch "$POD" '{}')" 200 "other method untouched"
	expect_eq "$(k "$URL$POD")" 500 "second"
	expect_eq "$(k "$URL$POD")" 200 "after count"
	$CTL "$D" fault '{"match": "* /apis/", "code": 401}' >/dev/null
	expect_eq "$(k "$URL$CR")" 401 "injected 401"
	expect_eq "$(k "$URL$CR")" 200 "count defaults to 1"
}

case_fault_stall() {
	$CTL "$D" fault '{"match": "GET /api/v1/namespaces/default/pods/web-0", "stall_seconds": 1}' >/dev/null
	t=$(curl -sS --cacert "$D/ca.crt" -H "Authorization: Bearer $TOKEN" \
		-o /dev/null -w '%{http_code} %{time_total}' "$URL$POD")
	expect_eq "${t% *}" 200 "stalled answer"
	python3 -c "import sys; assert float(sys.argv[1]) >= 1.0, sys.argv[1]" "${t#* }"
	$CTL "$D" fault '{"match": "GET /api/v1/namespaces/default/pods/web-0", "stall_seconds": 1.5, "code": 503}' >/dev/null
	set +e
	curl -sS --cacert "$D/ca.crt" -H "Authorization: Bearer $TOKEN" \
		-o /dev/null --max-time 0.5 "$URL$POD" 2>/dev/null
	rc=$?
	set -e
	expect_eq "$rc" 28 "client timeout on a stalled request"
	expect_eq "$(k "$URL$POD")" 200 "only the next one stalls"
}

case_delayed() {
	cat >"$T_TMP/late.json" <<'EOF'
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"late-0","namespace":"default","uid":"11111111-2222-3333-4444-555555555555"},"spec":{"containers":[{"name":"c","image":"x"}]}}
EOF
	$CTL "$D" put-object "$T_TMP/late.json" --delay 1.5 >/dev/null
	start=$(date +%s.%N)
	expect_eq "$(k "$URL/api/v1/namespaces/default/pods/late-0")" 404 "not yet"
	k "$URL/api/v1/namespaces/default/pods" >/dev/null
	expect_eq "$(body '[i["metadata"]["name"] for i in j["items"]]')" "['web-0']" "not listed"
	while ! python3 -c "import sys,time; sys.exit(time.time() < float(sys.argv[1]) + 1.6)" "$start"; do
		sleep 0.2
	done
	expect_eq "$(k "$URL/api/v1/namespaces/default/pods/late-0")" 200 "visible later"
	expect_eq "$(body 'j["metadata"]["uid"]')" 11111111-2222-3333-4444-555555555555 "uid"
}

case_request_log() {
	$CTL "$D" clear-requests >/dev/null
	kpatch "$POD" '{"metadata":{"annotations":{"k8s.v1.cni.cncf.io/network-status":"[{}]"}}}' >/dev/null
	k "$URL$POD" >/dev/null
	k "$URL/api/v1/namespaces/default/pods/none" >/dev/null
	curl -sS --cacert "$D/ca.crt" -o /dev/null "$URL$POD"
	$CTL "$D" requests >"$T_TMP/log.json"
	expect_eq "$(jget "$T_TMP/log.json" '[(r["method"], r["path"], r["code"]) for r in j]')" \
		"[('PATCH', '$POD', 200), ('GET', '$POD', 200), ('GET', '/api/v1/namespaces/default/pods/none', 404), ('GET', '$POD', 401)]" \
		"log entries"
	expect_eq "$(jget "$T_TMP/log.json" 'j[0]["body"]["metadata"]["annotations"], j[0]["content_type"], "body" in j[1], j[3]["user"]')" \
		"{'k8s.v1.cni.cncf.io/network-status': '[{}]'} application/merge-patch+json False None" \
		"PATCH body"
	expect_eq "$($CTL "$D" count GET "$POD")" 2 "count"
	k "$URL$CR?labelSelector=pool%3Da" >/dev/null
	expect_eq "$($CTL "$D" requests --method GET --path "$CR" | jget /dev/stdin 'j[0]["params"]')" \
		"{'labelSelector': 'pool=a'}" "query params"
	$CTL "$D" clear-requests >/dev/null
	expect_eq "$($CTL "$D" count '*' /)" 0 "cleared"
}

case_concurrent_cas() {
	python3 - "$D" "$CR" <<'EOF'
import http.client, json, ssl, sys, threading
d, cr = sys.argv[1], sys.argv[2]
port = int(open(d + "/port").read()); tok = open(d + "/token").read()
ctx = ssl.create_default_context(cafile=d + "/ca.crt")
H = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
def call(c, m, p, b=None):
    c.request(m, p, body=None if b is None else json.dumps(b), headers=H)
    r = c.getresponse(); return r.status, json.loads(r.read())
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
st, _ = call(c, "POST", cr, {"apiVersion": "ipam.plexus.io/v1alpha1",
    "kind": "IPPool", "metadata": {"name": "counter"}, "spec": {"n": 0}})
assert st == 201, st
conflicts = [0]
def worker():
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    for _ in range(15):
        while True:
            st, o = call(c, "GET", cr + "/counter"); assert st == 200
            o["spec"]["n"] += 1
            st, _ = call(c, "PUT", cr + "/counter", o)
            if st == 200: break
            assert st == 409, st
            conflicts[0] += 1
ts = [threading.Thread(target=worker) for _ in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
st, o = call(c, "GET", cr + "/counter")
assert o["spec"]["n"] == 60, o["spec"]["n"]
print("conflicts retried:", conflicts[0])
EOF
}

case_reset() {
	before=$(rv "$POD")
	$CTL "$D" reset >/dev/null
	expect_eq "$(k "$URL$CR/p1")" 404 "created objects gone"
	expect_eq "$(k "$URL$POD")" 200 "seeded pod back"
	expect_eq "$(body 'sorted(j["metadata"]["annotations"])')" \
		"['k8s.v1.cni.cncf.io/networks']" "seeded annotations"
	[ "$(body 'j["metadata"]["resourceVersion"]')" -gt "$before" ] ||
		fail "resourceVersion went back"
	expect_eq "$($CTL "$D" faults | jget /dev/stdin 'j["faults"]')" "[]" "faults"
}

case_lifetime() {
	sleep 30 &
	sp=$!
	PLEXUS_APISERVER_PARENT=$sp "$FX/start.sh" "$T_TMP/a2"
	PLEXUS_APISERVER_MAX_SECONDS=2 "$FX/start.sh" "$T_TMP/a3"
	p2=$(cat "$T_TMP/a2/pid") p3=$(cat "$T_TMP/a3/pid")
	running "$p2" || fail "a2 did not start"
	kill "$sp"; wait "$sp" 2>/dev/null || true
	for _ in $(seq 50); do
		running "$p2" || running "$p3" || break
		sleep 0.1
	done
	! running "$p2" || fail "outlived its parent"
	! running "$p3" || fail "outlived --max-seconds"
	[ ! -e "$T_TMP/a2/pid" ] || fail "pid file left"
}

case_stop() {
	pid=$(cat "$D/pid")
	"$FX/stop.sh" "$D"
	! running "$pid" || fail "still running"
	[ ! -e "$D/pid" ] || fail "pid file left"
}

t_case "apiserver: start.sh writes CA, token, port, pid, kubeconfigs" case_start
t_case "apiserver: kubeconfig, -data and -tokenfile name this server" case_kubeconfigs
t_case "apiserver: TLS verified only with the CA, HTTP/1.1, no plain HTTP" case_tls
t_case "apiserver: no or wrong token -> 401 Status" case_unauthorized
t_case "apiserver: GET seeded pod, 404 Status, pod list" case_get_pod
t_case "apiserver: NADs get and list per namespace" case_nads
t_case "apiserver: merge PATCH of annotations bumps resourceVersion; a patched uid must match (422)" case_merge_patch
t_case "apiserver: PUT stale resourceVersion -> 409, current -> 200" case_put_cas
t_case "apiserver: POST create, existing -> 409, selectors, paging" case_create
t_case "apiserver: Accept negotiated as kube-apiserver: PartialObjectMetadataList/PartialObjectMetadata, 406 NotAcceptable" case_accept
t_case "apiserver: JSON patch test op as compare-and-swap" case_json_patch
t_case "apiserver: DELETE preconditions" case_delete
t_case "apiserver: read-only token gets 403 on writes" case_readonly
t_case "apiserver: injected 500 and 401 for N matching requests" case_fault_500
t_case "apiserver: stalled requests" case_fault_stall
t_case "apiserver: pod visible only after delay_seconds" case_delayed
t_case "apiserver: request log with PATCH bodies and codes" case_request_log
t_case "apiserver: concurrent read-modify-write loses no update" case_concurrent_cas
t_case "apiserver: reset restores fixtures, resourceVersion keeps rising" case_reset
t_case "apiserver: exits with its parent and after --max-seconds" case_lifetime
t_case "apiserver: stop.sh stops it" case_stop
