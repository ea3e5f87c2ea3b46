# src/: the Kubernetes client (k8s/), planning (select/), the meta plugin
# (plexus/), plexusctl (ctl/), and the Kubernetes client module.
K8S_MODULE_SRCS := src/k8s/k8s_client.c src/k8s/k8s_response.c src/select/annot.c $(CNI_SRCS)
PLEXUS_LIB_SRCS := $(filter-out src/plexus/plexus_main.c src/k8s/k8s_client.c,$(wildcard src/k8s/*.c src/select/*.c src/plexus/*.c))
PLEXUS_LIB := $(LIBDIR)/libplexus.a
$(PLEXUS_LIB): $(PLEXUS_LIB_SRCS:%.c=$(OBJDIR)/%.o)

# (IPAM_LIB and DELEGATE_LIB come from their folders' fragments, read
# later: expanded second.) plexus runs its own delegates and plexus-ipam
# in-process.
$(BINDIR)/plexus: $(OBJDIR)/src/plexus/plexus_main.o $(PLEXUS_LIB) $$(DELEGATE_LIB) $$(IPAM_LIB) $(PLEXUS_LIB) $(CNI_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# plexus-k8s.so: the only code linking libcurl, loaded by src/k8s_load.c
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
# libplexusctl.a, so the unit tests (tests/unit/test_plexusctl_*.c) link
# them without main.
PLEXUSCTL_LIB := $(LIBDIR)/libplexusctl.a
$(PLEXUSCTL_LIB): $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard src/ctl/plexusctl_*.c))

# (IPAM_LIB comes from ipam/ipam.mk, read later: expanded second)
$(BINDIR)/plexusctl: $(OBJDIR)/src/ctl/plexusctl.o $(PLEXUSCTL_LIB) $(PLEXUS_LIB) $$(IPAM_LIB) $(PLEXUS_LIB) $(CNI_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# a more specific pattern than tests.mk's test_%: make picks it for these
$(BINDIR)/tests/test_plexusctl_%: $(OBJDIR)/tests/unit/test_plexusctl_%.o $(FAKE_OBJS) $(PLEXUSCTL_LIB) $$(UNIT_LIBS)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(PLEXUSCTL_LIB) $(UNIT_LIBS) $(PKG_LIBS) $(CMOCKA_LIBS)

BINS += $(BINDIR)/plexusctl
