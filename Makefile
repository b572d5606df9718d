# The two commands a newcomer needs: `make run` and `make test`.
BUILD_DIR ?= build
JOBS      ?= $(shell nproc)
HOST      ?= 127.0.0.1
PORT      ?= 8889
ARGS      ?=
# The clang ASan/UBSan build: unit tests under sanitizers and the libFuzzer targets.
SAN_DIR      ?= build-san
FUZZ_SECONDS ?= 60
CCACHE       := $(shell command -v ccache 2>/dev/null)
# With ccache, objects are keyed by paths relative to the checkout, so a rebuild in another clone
# of the same sources (a CI run) reuses them.
export CCACHE_BASEDIR  := $(CURDIR)
export CCACHE_NOHASHDIR := 1
# fakeorch: go-livepeer's own trickle server as the Livepeer peer of the trickle-worker tests and
# bench (tests/integration/test_live_worker.py, bench/trickle.py). Built outside the tree so a fresh
# clone reuses it; build.sh keeps an up-to-date binary (the first build fetches Go 1.23, ~30 s).
FAKEORCH_BUILD ?= $(CURDIR)/../shared/peers/livepeer-trickle/build.sh
FAKEORCH_DIR   ?= $(HOME)/.cache/comfystream/fakeorch
export COMFYSTREAM_FAKEORCH := $(FAKEORCH_DIR)/fakeorch
SAN_FLAGS    := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
                -DCOMFYSTREAM_SANITIZE=ON -DCOMFYSTREAM_BUILD_BENCH=OFF \
                $(if $(CCACHE),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

.PHONY: all deps test-deps configure build run test unit bench format format-check include-check clean \
        san-build sanitize fuzz fuzz-replay

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test
	@cd tests/integration/browser && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund; }
	@[ -x $(FAKEORCH_BUILD) ] || { echo "test-deps: $(FAKEORCH_BUILD) not found: the trickle-worker tests need the Livepeer trickle peer from ../shared/peers/livepeer-trickle beside this checkout" >&2; exit 1; }
	@$(FAKEORCH_BUILD) $(FAKEORCH_DIR)

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  $(if $(CCACHE),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

configure: $(BUILD_DIR)/CMakeCache.txt

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/comfystream --host $(HOST) --port $(PORT) $(ARGS)

test: test-deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit

bench: test-deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)
	cmake --build $(BUILD_DIR) -j $(JOBS) --target comfystream_bench load_viewers
	bench/run.sh $(BUILD_DIR)

san-build:
	@scripts/install-deps.sh --test
	@[ -f $(SAN_DIR)/CMakeCache.txt ] || cmake -S . -B $(SAN_DIR) $(SAN_FLAGS)
	cmake --build $(SAN_DIR) -j $(JOBS) --target unit_tests fuzz_targets

# Unit tests under AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer.
sanitize: san-build
	cd $(SAN_DIR) && ctest --output-on-failure -L unit

# Every fuzz target for FUZZ_SECONDS each (docs/security/FUZZING.md).
fuzz: san-build
	tests/fuzz/run.sh $(SAN_DIR) fuzz $(FUZZ_SECONDS)

# Every checked-in corpus input once: the regression run CI does.
fuzz-replay: san-build
	tests/fuzz/run.sh $(SAN_DIR) replay

# The C++ files clang-format owns: tracked ones and new ones not yet added (but not ignored).
CLANG_FORMAT ?= clang-format
FORMAT_FILES  = $(shell git ls-files --cached --others --exclude-standard -- \
                  $(foreach d,src tests bench examples,'$(d)/*.cpp' '$(d)/*.h'))

format:
	$(CLANG_FORMAT) -i $(FORMAT_FILES)

# What CI checks (Debian 12's clang-format 14 and .clang-format): names every file that would
# change, with its first difference, and fails if there is one.
format-check:
	@command -v $(CLANG_FORMAT) >/dev/null || scripts/install-deps.sh --test
	@$(CLANG_FORMAT) --dry-run -Werror --ferror-limit=1 $(FORMAT_FILES)
	@echo "format-check: $(words $(FORMAT_FILES)) files formatted"

# Third-party headers stay in the folders whose library links them (scripts/check-includes.sh).
include-check:
	@scripts/check-includes.sh

clean:
	rm -rf $(BUILD_DIR) $(SAN_DIR)
