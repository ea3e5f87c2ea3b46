# make bench: build/bin/tests/cnibench drives tests/bench/run.sh.
$(BINDIR)/tests/cnibench: $(OBJDIR)/tests/bench/cnibench.o
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $^
TEST_BINS += $(BINDIR)/tests/cnibench
