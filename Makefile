# The two commands a user needs: `make test` (install, build, run every test) and `make demo`.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
# make fuzz: each harness for FUZZ_RUNS inputs (FUZZ_SECONDS caps each run), one after another.
FUZZ_RUNS ?= 10000000
FUZZ_SECONDS ?= 3600
JOBS ?= $(shell nproc)
# make install PREFIX=...: the CLI, liblorat.so, lorat.h, lorat.pc, the CMake package, the Python module.
PREFIX ?= /usr/local

.PHONY: all deps deps-run build install test test-asan fuzz fuzz-smoke bench bench-train bench-dist bench-opencv bench-onnx demo train-demo clean format

all: build

deps:
	@scripts/install-deps.sh

deps-run:
	@scripts/install-deps.sh run

build: deps-run
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

test: deps build
	@cd $(BUILD) && ctest --output-on-failure -j 1 $(CTEST_ARGS)

# Every test again under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs this too).
test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLORAT_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure

# The libFuzzer harnesses of tests/fuzz (clang, ASan + UBSan), from seed corpora the tests make;
# new crashes are written to $(FUZZ_BUILD)/crash-<harness>-*: keep each in
# tests/fuzz/regressions/<harness>/ with its fix, and make test replays it for good.
fuzz:
	@scripts/install-deps.sh fuzz
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DLORAT_FUZZ=ON -DLORAT_WERROR=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build $(BUILD) -j $(JOBS) --target lorat
	@scripts/fuzz.sh $(FUZZ_BUILD) $(BUILD)/lorat $(FUZZ_RUNS) $(FUZZ_SECONDS)

# What CI runs: every harness for a few seconds.
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_RUNS=100000000 FUZZ_SECONDS=10

bench: build
	@bench/compare_pytorch.sh $(BUILD)/lorat B-224 2

# Training efficiency: LoRA vs full fine-tuning, lorat vs PyTorch (S-224, batch 2, 2 threads).
bench-train: build
	@bench/compare_train.sh $(BUILD)/lorat S-224 2 2

# Data parallelism: 2 processes x 1 thread against 1 x 1 over TCP (B-224, batch 2 a process).
bench-dist: build
	@bench/compare_dist.sh $(BUILD)/lorat B-224 2

# lorat at fp32, bf16, int8 against ONNX Runtime (CPU) on the network lorat export writes (B-224,
# batch 1, 2 threads); deps installs ONNX Runtime.
bench-onnx: deps build
	@bench/compare_onnxruntime.sh $(BUILD)/lorat B-224 2

# The shipped model tracks a held-out synthetic sequence: boxes, annotated video, success score.
demo: deps-run
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target lorat
	@scripts/demo.sh

# Rebuilds models/lorat-t.safetensors from nothing (two stages, about two hours on 2 cores).
train-demo: build
	@scripts/train-demo.sh

# The shipped model against OpenCV's CSRT and KCF on the held-out set of train-demo (its data).
bench-opencv: build
	@scripts/install-deps.sh opencv
	@bench/compare_opencv.sh $(BUILD)/lorat out/demo

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
