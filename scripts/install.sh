#!/usr/bin/env bash
# Installs what xpiler needs on a fresh Debian/Ubuntu machine (idempotent; quick when already done):
#   system: g++, clang-15 (HIP emulation), hipcc + ROCm device libs (HIP compile checks), SIMDe (VNNI
#           emulation on CPUs without AVX-512 VNNI), binutils; nvcc is used when present (CUDA checks).
#   python: this package in editable mode with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
pkgs=(g++ clang-15 binutils hipcc libamdhip64-dev rocm-device-libs libsimde-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
