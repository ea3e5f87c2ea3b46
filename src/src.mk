# src/: the Kubernetes client (k8s/), planning (select/), the meta plugin
# (plexus/), plexusctl (ctl/), and the Kubernetes client module.
# One library per folder, linked once each in one order (a library only
# needs those after it): plexus, plexusctl, select, delegates, ipam, k8s,
# cni.
K8S_MODULE_SRCS := src/k8s/k8s_client.c src/k8s/k8s_response.c src/k8s/k8s_names.c $(CNI_SRCS)
K8S_LIB := $(LIBDIR)/libk8s.a
$(K8S_LIB): $(patsubst %.c,$(OBJDIR)/%.o,$(filter-out src/k8s/k8s_client.c,$(wildcard src/k8s/*.c)))
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

# plexus-k8s.so: the only code linking libcurl, loaded by src/k8s/k8s_load.c
# when plexus talks to the API. Self-contained (its own copies of what it
# uses, all hidden) and exporting one symbol.
$(OBJDIR)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q_CC)$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c $< -o $@
$(BINDIR)/plexus-k8s.so: $(K8S_MODULE_SRCS:%.c=$(OBJDIR)/pic/%.o)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) -shared $(ALL_LDFLAGS) -Wl,--no-undefined -o $@ $^ $(PKG_LIBS)

BINS += $(BINDIR)/plexus
PLUGINS += $(BINDIR)/plexus
MODULES += $(BINDIR)/plexus-k8s.so

# plexusctl: the dry run and the validator. Its subcommands live in
# libplexusctl.a, so the unit tests link them without main.
PLEXUSCTL_LIB := $(LIBDIR)/libplexusctl.a
$(PLEXUSCTL_LIB): $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard src/ctl/plexusctl_*.c))

# (IPAM_LIB comes from ipam/ipam.mk, read later: expanded second)
$(BINDIR)/plexusctl: $(OBJDIR)/src/ctl/plexusctl.o $(PLEXUSCTL_LIB) $(SELECT_LIB) $$(IPAM_LIB) $(K8S_LIB) $(CNI_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# a more specific pattern than tests.mk's test_%: make picks it for these

BINS += $(BINDIR)/plexusctl
