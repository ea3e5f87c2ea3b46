# tests/libcni: libcni-driver, a Go program that runs a conflist through
# libcni (what containerd and CRI-O link). Built offline in GOPATH mode with
# Debian's golang-go and golang-github-appc-cni-dev; gocni-driver, the
# same through go-cni (what containerd's CRI plugin calls), reporting the
# pod IP containerd would pick, against golang-github-containerd-go-cni-dev.
# The Go build cache lives under build/ so nothing is written in $HOME.
# Each is rebuilt only when its source changes.
LIBCNI_GOENV := GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= \
	GOCACHE=$(CURDIR)/build/go-cache GOTMPDIR= CGO_ENABLED=0

$(BINDIR)/libcni-driver: tests/libcni/driver.go
	@mkdir -p $(dir $@) build/go-cache
	$(Q_GO)$(LIBCNI_GOENV) go build -trimpath -o $@ $<

TEST_BINS += $(BINDIR)/libcni-driver

$(BINDIR)/gocni-driver: tests/libcni/gocni-driver.go
	@mkdir -p $(dir $@) build/go-cache
	$(Q_GO)$(LIBCNI_GOENV) go build -trimpath -o $@ $<

TEST_BINS += $(BINDIR)/gocni-driver
