# make e2e: a one-node Kubernetes cluster from real parts (kube-apiserver,
# kubelet, containerd, runc; binaries built once from Debian's kubernetes
# source package and cached in /var/cache/plexus-e2e) drives plexus; see
# docs/e2e.md. Installs what it needs with apt-get (as root).
e2e:
	@tests/e2e/deps.sh
	$(MAKE) build
	tests/e2e/run.sh

.PHONY: e2e
