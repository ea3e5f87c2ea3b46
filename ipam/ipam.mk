# ipam/: the allocator, ranges, stores and the plexus-ipam plugin.
IPAM_LIB_SRCS := $(filter-out ipam/plexus_ipam_main.c,$(wildcard ipam/*.c))
IPAM_LIB := $(LIBDIR)/libplexus-ipam.a
$(IPAM_LIB): $(IPAM_LIB_SRCS:%.c=$(OBJDIR)/%.o)

# The kubernetes store uses the Kubernetes client library (src/k8s); it
# and the etcd store load libcurl through src/k8s/curl_lazy.c, only when
# such a store is opened.
$(BINDIR)/plexus-ipam: $(OBJDIR)/ipam/plexus_ipam_main.o $(IPAM_LIB) $(K8S_LIB) $(CNI_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $^ -Wl,--as-needed $(PKG_LIBS)

BINS += $(BINDIR)/plexus-ipam
PLUGINS += $(BINDIR)/plexus-ipam

