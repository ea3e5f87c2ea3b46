# tests/: cmocka unit tests (tests/unit/test_<module>.c), each linked with
# the libraries; shell suites are run by tests/run.sh.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
# tests/fakes: the in-memory ipam store, the ipam fixture on it, fake exec
# and NAD source; linked into every unit test
FAKE_SRCS := $(wildcard tests/fakes/*.c)
FAKE_OBJS := $(FAKE_SRCS:%.c=$(OBJDIR)/%.o)
# Every library once, in the one order (src/src.mk); $(PLEXUSCTL_LIB):
# test_select also runs plexusctl plan's path.
UNIT_LIBS = $(PLEXUSD_LIB) $(PLEXUS_LIB) $(PLEXUSCTL_LIB) $(SELECT_LIB) $(DELEGATE_LIB) $(IPAM_LIB) $(K8S_LIB) $(CNI_LIB)

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
