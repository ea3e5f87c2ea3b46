# delegates/: native delegate plugins on libnl-3 (plexus-bridge,
# plexus-macvlan, plexus-ipvlan, plexus-sriov). Everything but the main goes into
# DELEGATE_LIB; the one main is compiled once per kind.
DELEGATE_KINDS := bridge macvlan ipvlan sriov
DELEGATE_LIB_SRCS := $(filter-out delegates/delegate_main.c,$(wildcard delegates/*.c))
DELEGATE_LIB := $(LIBDIR)/libplexus-delegates.a
$(DELEGATE_LIB): $(DELEGATE_LIB_SRCS:%.c=$(OBJDIR)/%.o)

DELEGATE_MAINS := $(DELEGATE_KINDS:%=$(OBJDIR)/delegates/main_%.o)
DELEGATE_BINS := $(DELEGATE_KINDS:%=$(BINDIR)/plexus-%)

# Static pattern rules: they never take part in make's implicit search.
$(DELEGATE_MAINS): $(OBJDIR)/delegates/main_%.o: delegates/delegate_main.c
	@mkdir -p $(dir $@)
	$(Q_CC)$(CC) $(ALL_CFLAGS) -DDELEGATE_OPS=$*_delegate -MMD -MP -c $< -o $@

# Linked with the static libraries of every binary ($(PKG_LIBS), Makefile):
# a delegate is exec'ed once per attachment and its start-up is part of
# every ADD and DEL; the dynamic loader's work for json-c and libnl was
# about 0.13 ms of a 0.9 ms start (`make bench`, VERSION of plexus-bridge,
# static vs dynamic: 0.78 vs 0.91 ms, /bin/true 0.69 ms). The reference
# plugins are static binaries too. The delegates dlopen nothing, so no
# second copy of json-c can meet the first.
$(DELEGATE_BINS): $(BINDIR)/plexus-%: $(OBJDIR)/delegates/main_%.o $(DELEGATE_LIB) $(CNI_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

BINS += $(DELEGATE_BINS)
PLUGINS += $(DELEGATE_BINS)

delegates: $(DELEGATE_BINS)
.PHONY: delegates

# dl-threads: runs the ops in-process from many threads (the integration
# suite uses it to show they keep no process-global state).
$(BINDIR)/tests/dl-threads: $(OBJDIR)/tests/integration/dl_threads.o $(DELEGATE_LIB) $(CNI_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread
TEST_BINS += $(BINDIR)/tests/dl-threads
