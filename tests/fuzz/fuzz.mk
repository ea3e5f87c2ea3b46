# tests/fuzz/: libFuzzer harnesses, one per parser of outside input.
#   make fuzz [FUZZ_SECONDS=60]   build every harness into build/fuzz/ and
#                                 run each for FUZZ_SECONDS on its corpus
#   make fuzz-build               only build them
# Built with clang from the sources (never the gcc objects), into
# build/fuzz/obj/. The seed corpora in tests/fuzz/corpus/<harness>/ are
# read only; what a run finds goes to build/fuzz/corpus/<harness>/, crash
# inputs to build/fuzz/artifacts/.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=gnu11 $(WARN) -g -O1 -fno-omit-frame-pointer \
	$(FUZZ_SAN) -D_GNU_SOURCE $(SRC_INCLUDES) \
	$(shell pkg-config --cflags json-c yaml-0.1 libnl-route-3.0 libcurl 2>/dev/null)
FUZZ_LIBS := $(shell pkg-config --libs json-c yaml-0.1 libnl-route-3.0 zlib 2>/dev/null) -ldl -lpthread
FUZZ_HARNESSES := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
# the parsers under test and what they call: the core, the meta plugin's
# modules, the IPAM library, the native delegates' library and plexusd's
# modules (no mains;
# libcurl's header only: it is loaded at run time, src/k8s/curl_lazy.c)
FUZZ_SRCS := $(wildcard src/cni/*.c) \
	$(filter-out src/plexus/plexus_main.c \
		src/plexus/inproc.c src/plexus/podroute.c, \
		$(wildcard src/k8s/*.c src/select/*.c src/plexus/*.c)) \
	$(filter-out ipam/plexus_ipam_main.c,$(wildcard ipam/*.c)) \
	$(filter-out delegates/delegate_main.c,$(wildcard delegates/*.c)) \
	$(filter-out src/plexusd/plexusd_main.c,$(wildcard src/plexusd/*.c))
FUZZ_OBJS := $(FUZZ_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BINS := $(FUZZ_HARNESSES:%=$(FUZZ_DIR)/%)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_OBJS)
	$(Q_LD)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)
fuzz-select: fuzz-build

.SECONDARY: $(FUZZ_OBJS) $(FUZZ_HARNESSES:%=$(FUZZ_DIR)/obj/tests/fuzz/%.o)

# each run's output: build/fuzz/<harness>.log
fuzz: fuzz-build
	@mkdir -p $(FUZZ_DIR)/artifacts
	@set -e; for h in $(FUZZ_HARNESSES); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$h; \
		echo "== $$h ($(FUZZ_SECONDS) s)"; \
		rc=0; $(FUZZ_DIR)/$$h -max_total_time=$(FUZZ_SECONDS) \
			-timeout=10 -max_len=16384 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_DIR)/artifacts/$$h- \
			$(FUZZ_DIR)/corpus/$$h tests/fuzz/corpus/$$h \
			>$(FUZZ_DIR)/$$h.log 2>&1 || rc=$$?; \
		grep -E '^(stat::number_of_executed_units|SUMMARY)|ERROR|Test unit written' \
			$(FUZZ_DIR)/$$h.log || true; \
		test $$rc -eq 0; \
	done

.PHONY: fuzz fuzz-build
-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
