# Test plugins: build/bin/tests/plexus-testplugin (tests/plugins/testplugin.c).
$(BINDIR)/tests/plexus-testplugin: $(OBJDIR)/tests/plugins/testplugin.o $(CNI_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
TEST_BINS += $(BINDIR)/tests/plexus-testplugin
