#!/usr/bin/env bash
# Installs the Debian packages lorat needs to build and test. Idempotent; silent when all is there.
#   scripts/install-deps.sh            build, test and demo
#   scripts/install-deps.sh run        build and demo only (no PyTorch: `make demo` on a fresh machine)
#   scripts/install-deps.sh opencv     also python3-opencv, for bench/opencv_trackers.py
#   scripts/install-deps.sh fuzz       also clang and its libFuzzer runtime, for make fuzz
# mate-backgrounds holds the photographs behind the demo's synthetic domain 1.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libopenblas-openmp-dev libcjson-dev zlib1g-dev
      libjpeg62-turbo-dev libpng-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev
      libcairo2-dev libzip-dev libdnnl-dev libopenmpi-dev openmpi-bin mate-backgrounds python3)
case "${1:-test}" in
  run) ;;
  test) pkgs+=(python3-torch python3-numpy) ;;
  opencv) pkgs+=(python3-torch python3-numpy python3-opencv) ;;
  fuzz) pkgs+=(python3-torch python3-numpy clang libclang-rt-14-dev) ;;
  *) echo "install-deps: unknown profile '$1' (run, test, opencv, fuzz)" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
