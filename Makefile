# plexus — plain Makefile. Each folder adds its own targets in <folder>/<folder>.mk.
#   make              build every binary into build/bin/
#   make SANITIZE=1   the same with ASan+UBSan into build/san/bin/
#   make check        install deps, build both, run every suite
#   make demo         install deps, build, attach a real netns to 3 networks
#   make bench        benchmarks (ratios against the reference plugins)
#   make install      plugins to $(DESTDIR)/opt/cni/bin, plexusctl and plexusd to
#                     $(DESTDIR)$(PREFIX)/bin
#   make V=1 ...      print every command in full (default: one line a step)

PREFIX ?= /usr/local
DESTDIR ?=
CNIBINDIR ?= /opt/cni/bin
CC ?= cc

ifeq ($(SANITIZE),1)
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SANFLAGS :=
endif

PKGS := json-c yaml-0.1 libcurl libnl-3.0 libnl-route-3.0 zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl: its header only; it is loaded at run time (src/k8s/curl_lazy.c)
# The other libraries are linked statically (the .a files of Debian's -dev
# packages) into every binary, the native delegates included
# (delegates/delegates.mk): plexus and plexus-ipam are exec'd once per CNI
# call, and the dynamic loader's work on five shared libraries was about
# 1.3 ms of each start of plexus on a loaded 2-core VM
# (docs/architecture.md, "Start-up"). Only the archive members a binary
# uses are linked; libnl's link-type modules are among them exactly when
# their functions are called. libcurl, loaded at run time, brings its own
# shared zlib: the binaries export none of the static symbols. STATIC=0
# links them shared.
STATIC ?= 1
ifeq ($(STATIC),1)
PKG_LIBS := -Wl,-Bstatic -ljson-c -lyaml -lnl-route-3 -lnl-3 -lz \
	-Wl,-Bdynamic -lpthread -lm
else
PKG_LIBS := $(shell pkg-config --libs $(filter-out libcurl,$(PKGS)) 2>/dev/null)
endif
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

# every folder holding headers; which folder may include which is checked
# by tests/include-directions.sh
SRC_INCLUDES := -Isrc/cni -Isrc/k8s -Isrc/select -Isrc/plexus -Isrc/ctl \
	-Isrc/plexusd -Iipam -Idelegates

WARN := -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
	-Wshadow -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(SANFLAGS) -D_GNU_SOURCE \
	$(SRC_INCLUDES) $(PKG_CFLAGS)

ALL_LDFLAGS := -Wl,--as-needed $(LDFLAGS) $(SANFLAGS)

# Quiet output: "  CC  file" lines; V=1 prints the full commands.
ifeq ($(V),1)
Q_CC :=
Q_LD :=
Q_AR :=
Q_GO :=
else
Q_CC = @printf '  CC    %s\n' '$<';
Q_LD = @printf '  LD    %s\n' '$@';
Q_AR = @printf '  AR    %s\n' '$@';
Q_GO = @printf '  GO    %s\n' '$@';
MAKEFLAGS += --no-print-directory
endif

BINDIR := $(BUILD)/bin
OBJDIR := $(BUILD)/obj
LIBDIR := $(BUILD)/lib

BINS :=
PLUGINS :=
UNIT_TESTS :=
TEST_BINS :=

.SECONDEXPANSION:
# keep intermediate objects (no "rm ..." after a build; rebuilds stay small)
.SECONDARY:
all: build

$(OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q_CC)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBDIR)/%.a:
	@mkdir -p $(dir $@)
	$(Q_AR)rm -f $@ && ar rcs $@ $^

# The CNI protocol core: every binary links it.
CNI_SRCS := $(wildcard src/cni/*.c)
CNI_LIB := $(LIBDIR)/libcni.a
$(CNI_LIB): $(CNI_SRCS:%.c=$(OBJDIR)/%.o)

include src/src.mk
-include ipam/ipam.mk
-include delegates/delegates.mk
include tests/tests.mk
-include $(wildcard tests/*/*.mk)

build: $(BINS) $(TEST_BINS)

deps:
	@tests/deps.sh

install: $(BINS)
	install -d $(DESTDIR)$(CNIBINDIR) $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(PLUGINS) $(DESTDIR)$(CNIBINDIR)/
	$(if $(filter-out $(PLUGINS),$(BINS)),install -m 0755 $(filter-out $(PLUGINS),$(BINS)) $(DESTDIR)$(PREFIX)/bin/)

clean:
	rm -rf build

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

.PHONY: all build deps install clean format-check check demo bench
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
