# src/: the meta plugin and plexusctl.
PLEXUS_LIB_SRCS := $(filter-out src/plexus_main.c src/plexusctl%.c,$(wildcard src/*.c))
PLEXUS_LIB := $(LIBDIR)/libplexus.a
$(PLEXUS_LIB): $(PLEXUS_LIB_SRCS:%.c=$(OBJDIR)/%.o)

$(BINDIR)/plexus: $(OBJDIR)/src/plexus_main.o $(PLEXUS_LIB) $(CNI_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

BINS += $(BINDIR)/plexus
PLUGINS += $(BINDIR)/plexus
