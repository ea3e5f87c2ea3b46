# ipam/: the allocator, ranges, stores and the plexus-ipam plugin.
IPAM_LIB_SRCS := $(filter-out ipam/plexus_ipam_main.c,$(wildcard ipam/*.c))
IPAM_LIB := $(LIBDIR)/libplexus-ipam.a
$(IPAM_LIB): $(IPAM_LIB_SRCS:%.c=$(OBJDIR)/%.o)

$(BINDIR)/plexus-ipam: $(OBJDIR)/ipam/plexus_ipam_main.o $(IPAM_LIB) $(CNI_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -Wl,--as-needed $(PKG_LIBS)

BINS += $(BINDIR)/plexus-ipam
PLUGINS += $(BINDIR)/plexus-ipam
