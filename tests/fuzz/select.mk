# libFuzzer harnesses for the selection parsers (not part of `make build`):
#   make fuzz-select                    build them into build/fuzz/
#   make fuzz-select-run FUZZ_SECONDS=N run each for N seconds (default 30),
#                                       seeded from tests/fuzz/corpus/<name>/
FUZZ_SELECT := annot kubeconfig k8s_response checkpoint
FUZZ_SELECT_SRCS := src/annot.c src/yamljson.c src/k8s_kubeconfig.c \
	src/k8s_response.c src/devcheckpoint.c $(wildcard src/cni/*.c)
FUZZ_SECONDS ?= 30

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SELECT_SRCS)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
		-Isrc/cni -Isrc $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)

fuzz-select: $(FUZZ_SELECT:%=build/fuzz/fuzz_%)

fuzz-select-run: fuzz-select
	set -e; for f in $(FUZZ_SELECT); do \
		rm -rf build/fuzz/corpus-$$f; \
		cp -r tests/fuzz/corpus/$$f build/fuzz/corpus-$$f; \
		build/fuzz/fuzz_$$f build/fuzz/corpus-$$f \
			-max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
			-rss_limit_mb=1024 >build/fuzz/$$f.log 2>&1 || \
			{ tail -30 build/fuzz/$$f.log; exit 1; }; \
		echo "fuzz_$$f: $$(grep -o 'Done [0-9]* runs' build/fuzz/$$f.log)"; \
	done

.PHONY: fuzz-select fuzz-select-run
