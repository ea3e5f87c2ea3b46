# The pool seeder for tests/system/47-ipam-scale.sh:
# build/bin/tests/plexus-ipam-seed (tests/ipamseed/seed.c).
$(BINDIR)/tests/plexus-ipam-seed: $(OBJDIR)/tests/ipamseed/seed.o $(IPAM_LIB) $(K8S_LIB) $(CNI_LIB)
	@mkdir -p $(dir $@)
	$(Q_LD)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
TEST_BINS += $(BINDIR)/tests/plexus-ipam-seed
