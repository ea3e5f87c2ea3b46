# tests/: cmocka unit tests (tests/unit/test_<module>.c), each linked with
# the libraries; shell suites are run by tests/run.sh.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
FAKE_SRCS := $(wildcard tests/fakes/*.c)
FAKE_OBJS := $(FAKE_SRCS:%.c=$(OBJDIR)/%.o)
# $(PLEXUS_LIB) twice: $(IPAM_LIB)'s kubernetes store needs its client.
# IPAM_LIB's kubernetes store needs the client in PLEXUS_LIB: listed twice.
# $(PLEXUSCTL_LIB): test_select also runs plexusctl plan's path.
UNIT_LIBS = $(PLEXUSCTL_LIB) $(PLEXUS_LIB) $(IPAM_LIB) $(PLEXUS_LIB) $(DELEGATE_LIB) $(CNI_LIB)

$(BINDIR)/tests/test_%: $(OBJDIR)/tests/unit/test_%.o $(FAKE_OBJS) $$(UNIT_LIBS)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(UNIT_LIBS) $(PKG_LIBS) $(CMOCKA_LIBS)

TEST_BINS += $(UNIT_SRCS:tests/unit/%.c=$(BINDIR)/tests/%)

check: deps
	$(MAKE) build
	$(MAKE) SANITIZE=1 build
	tests/run.sh

demo: deps
	$(MAKE) build
	examples/demo.sh

bench: deps
	$(MAKE) build
	tests/bench/run.sh
