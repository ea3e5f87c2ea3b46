# src/: the Kubernetes client (k8s/), planning (select/), the meta plugin
# (plexus/), plexusctl (ctl/), the node daemon (plexusd/).
# One library per folder, linked once each in one order (a library only
# needs those after it): plexusd, plexus, plexusctl, select, delegates,
# ipam, k8s, cni.
# libk8s.a: the Kubernetes client and the one libcurl loader (curl_lazy.c:
# no binary links libcurl; it is loaded when a client or an etcd store is
# first opened).
K8S_LIB := $(LIBDIR)/libk8s.a
$(K8S_LIB): $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard src/k8s/*.c))
SELECT_LIB := $(LIBDIR)/libselect.a
$(SELECT_LIB): $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard src/select/*.c))
PLEXUS_LIB := $(LIBDIR)/libplexus.a
$(PLEXUS_LIB): $(patsubst %.c,$(OBJDIR)/%.o,$(filter-out src/plexus/plexus_main.c,$(wildcard src/plexus/*.c)))

# (IPAM_LIB and DELEGATE_LIB come from their folders' fragments, read
# later: expanded second.) plexus runs its own delegates and plexus-ipam
# in-process.
$(BINDIR)/plexus: $(OBJDIR)/src/plexus/plexus_main.o $(PLEXUS_LIB) $(SELECT_LIB) $$(DELEGATE_LIB) $$(IPAM_LIB) $(K8S_LIB) $(CNI_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

BINS += $(BINDIR)/plexus
PLUGINS += $(BINDIR)/plexus

# plexusctl: the dry run and the validator. Its subcommands live in
# libplexusctl.a, so the unit tests link them without main.
PLEXUSCTL_LIB := $(LIBDIR)/libplexusctl.a
$(PLEXUSCTL_LIB): $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard src/ctl/plexusctl_*.c))

# (IPAM_LIB and DELEGATE_LIB come from their folders' fragments, read
# later: expanded second.) validate and plan run the native delegates'
# own config parsers.
$(BINDIR)/plexusctl: $(OBJDIR)/src/ctl/plexusctl.o $(PLEXUSCTL_LIB) $(SELECT_LIB) $$(DELEGATE_LIB) $$(IPAM_LIB) $(K8S_LIB) $(CNI_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# a more specific pattern than tests.mk's test_%: make picks it for these

BINS += $(BINDIR)/plexusctl

# plexusd: the node daemon (docs/plexusd.md). Its modules live in
# libplexusd.a, so the unit tests link them without main. It needs the
# Kubernetes client (the watch caches), plexus-ipam's stores (the warm
# stores) and the CNI core.
PLEXUSD_LIB := $(LIBDIR)/libplexusd.a
$(PLEXUSD_LIB): $(patsubst %.c,$(OBJDIR)/%.o,$(filter-out src/plexusd/plexusd_main.c,$(wildcard src/plexusd/*.c)))

$(BINDIR)/plexusd: $(OBJDIR)/src/plexusd/plexusd_main.o $(PLEXUSD_LIB) $$(IPAM_LIB) $(K8S_LIB) $(CNI_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

BINS += $(BINDIR)/plexusd
