# The two commands a user needs: `make test` (install, build, run every test) and `make demo`.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)

.PHONY: all deps deps-run build test test-asan bench bench-train bench-opencv demo train-demo clean format

all: build

deps:
	@scripts/install-deps.sh

deps-run:
	@scripts/install-deps.sh run

build: deps-run
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: deps build
	@cd $(BUILD) && ctest --output-on-failure -j 1 $(CTEST_ARGS)

# Every test again under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs this too).
test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLORAT_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure

bench: build
	@bench/compare_pytorch.sh $(BUILD)/lorat B-224 2

# Training efficiency: LoRA vs full fine-tuning, lorat vs PyTorch (S-224, batch 2, 2 threads).
bench-train: build
	@bench/compare_train.sh $(BUILD)/lorat S-224 2 2

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
