#!/usr/bin/env bash
# Installs the Debian packages lorat needs to build and test. Idempotent; silent when all is there.
#   scripts/install-deps.sh            build, test and demo
#   scripts/install-deps.sh run        build and demo only (no PyTorch: `make demo` on a fresh machine)
#   scripts/install-deps.sh opencv     also python3-opencv, for bench/opencv_trackers.py
#   scripts/install-deps.sh fuzz       also clang and its libFuzzer runtime, for make fuzz
# The test profile also puts ONNX Runtime (npm onnxruntime-node, CPU) in $LORAT_ORT_DIR, by
# default ~/.cache/lorat/onnxruntime-node-1.30.0, for tests/test_onnx.sh and
# bench/compare_onnxruntime.sh (npm only; its install script, which downloads GPU binaries, is
# not run: the CPU library is inside the package).
# mate-backgrounds holds the photographs behind the demo's synthetic domain 1.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libopenblas-openmp-dev libcjson-dev zlib1g-dev
      libjpeg62-turbo-dev libpng-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev
      libcairo2-dev libzip-dev libdnnl-dev libopenmpi-dev openmpi-bin mate-backgrounds python3
      libprotobuf-c-dev protobuf-c-compiler)
ort=
case "${1:-test}" in
  run) ;;
  test) pkgs+=(python3-torch python3-numpy python3-onnx nodejs); ort=1 ;;
  opencv) pkgs+=(python3-torch python3-numpy python3-opencv) ;;
  fuzz) pkgs+=(python3-torch python3-numpy clang libclang-rt-14-dev) ;;
  *) echo "install-deps: unknown profile '$1' (run, test, opencv, fuzz)" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ -n "$ort" ]; then
  # Debian's nodejs comes without npm (NodeSource's has it): add Debian's only if none is there.
  if ! command -v npm >/dev/null; then
    echo "install-deps: installing npm" >&2
    $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  ort_dir=${LORAT_ORT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lorat/onnxruntime-node-1.30.0}
  if [ ! -f "$ort_dir/node_modules/onnxruntime-node/package.json" ]; then
    echo "install-deps: installing onnxruntime-node@1.30.0 into $ort_dir" >&2
    mkdir -p "$ort_dir"
    (cd "$ort_dir" && npm install --ignore-scripts --no-audit --no-fund --silent onnxruntime-node@1.30.0 >/dev/null)
  fi
fi
