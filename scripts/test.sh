#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, builds
# the release and the ASan+UBSan configurations, and runs every ctest test in
# both (unit tests, CPython conformance corpus, live differential test,
# reactor and example tests, the Python package's tests with CPython's own
# test_asynchat/test_asyncore/test_smtpd), then the fuzz regression run and a
# quick benchmark smoke run.
#
#   bash scripts/test.sh            everything
#   bash scripts/test.sh --quick    release configuration only
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=${CHATFRAME_JOBS:-$(nproc 2>/dev/null || echo 2)}

bash scripts/setup.sh

step() { printf '\n=== %s\n' "$*"; }

step "release build (g++)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
step "release tests"
ctest --preset release -j "$jobs"

if [ "$quick" = 1 ]; then exit 0; fi

step "ASan+UBSan build (clang++-14)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
step "ASan+UBSan tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --preset asan -j "$jobs"

step "fuzz regressions (clang-14 libFuzzer: corpora, saved crashes, 5 s of fuzzing per target)"
bash fuzz/regress.sh 5
step "ClusterFuzzLite build.sh, run directly without Docker"
bash fuzz/check_build_sh.sh
step "benchmark smoke run (every benchmark runs and frames correctly; figures not meaningful)"
bash bench/run_all.sh --quick --build build/release
step "formatting (clang-format-14), clang-tidy-14 with zero findings, API reference with zero Doxygen warnings"
bash scripts/check_format.sh
bash scripts/run_clang_tidy.sh build/release
bash scripts/docs.sh
