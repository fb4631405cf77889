#!/usr/bin/env bash
# Install every system package chatframe needs (Debian 12 "bookworm", apt-get only).
#
#   scripts/setup.sh          install whatever is missing (no-op when all present)
#   scripts/setup.sh --check  only report missing packages; exit 1 if any
#
# Idempotent: when every package is already installed it runs neither
# `apt-get update` nor `apt-get install`.
set -euo pipefail

# One package per line; add new ones here.
PACKAGES=(
  # build toolchain
  build-essential
  g++-12
  clang-14
  clang                # the unversioned clang/clang++ that ClusterFuzzLite's build.sh is run with
  libclang-rt-14-dev   # ASan/UBSan/libFuzzer runtimes for clang-14
  lld-14
  llvm-14              # llvm-symbolizer, llvm-profdata, llvm-cov
  cmake
  ninja-build
  pkg-config
  git
  ca-certificates
  # test and library dependencies
  libgtest-dev
  libgmock-dev
  librapidcheck-dev
  libbenchmark-dev
  nlohmann-json3-dev
  libcli11-dev         # command lines (examples/length_echo)
  libfmt-dev
  # event loops the embedding examples and the Asio baseline use
  libboost-dev
  libuv1-dev
  libevent-dev
  liburing-dev
  # code hygiene and API reference
  clang-format-14
  clang-tidy-14
  doxygen
  # python (Debian's 3.11 still ships the deprecated asynchat module)
  python3.11
  python3              # provides the unversioned `python3` command (3.11 on bookworm)
  libpython3.11-dev
  libpython3-dev       # python3-embed.pc, which the CPython differential fuzzer is built against
  # tools used by tests
  curl
  zip
  unzip
  procps
)

usage() {
  echo "usage: $0 [--check]" >&2
}

check_only=0
case "${1:-}" in
  "") ;;
  --check) check_only=1 ;;
  -h|--help) usage; exit 0 ;;
  *) usage; exit 2 ;;
esac

missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup.sh: all ${#PACKAGES[@]} required packages are already installed."
  exit 0
fi

if [[ $check_only -eq 1 ]]; then
  echo "setup.sh: missing ${#missing[@]} package(s): ${missing[*]}"
  exit 1
fi

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "setup.sh: error: not running as root and sudo is not available." >&2
  echo "setup.sh: run as root, or install these packages manually:" >&2
  echo "  apt-get install ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"

echo "setup.sh: installed ${#missing[@]} package(s): ${missing[*]}"
