# The two commands a newcomer needs: `make run` and `make test`.
BUILD_DIR ?= build
JOBS      ?= $(shell nproc)
HOST      ?= 127.0.0.1
PORT      ?= 8889
ARGS      ?=

.PHONY: all deps test-deps configure build run test unit bench format clean

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test
	@cd tests/integration/browser && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund; }

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo

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
	bench/run.sh $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD_DIR)
