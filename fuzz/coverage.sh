#!/usr/bin/env bash
# fuzz/coverage.sh — line coverage of framing/ reached by the fuzz corpora.
#
# Builds each fuzz target's sources (and the libraries') with clang++-14
# -fprofile-instr-generate -fcoverage-mapping, linked with
# fuzz/standalone_main.cc instead of libFuzzer, runs it over
# fuzz/corpus/<target>, fuzz/regressions/<target> and the corpus
# fuzz/run_all.sh grew in build/fuzz/run/<target>/corpus (if any), then prints
# llvm-cov-14's report for framing/ only. HTML: build/coverage/html/index.html.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=build/coverage
CXX=${CXX:-clang++-14}
PROFDATA=${PROFDATA:-llvm-profdata-14}
COV=${COV:-llvm-cov-14}
rm -rf "$out" && mkdir -p "$out/obj" "$out/bin" "$out/prof"
flags=(-std=c++20 -O1 -g -fprofile-instr-generate -fcoverage-mapping -Iframing/include -Iconformance/include
  -Itools -Iframing/tests)  # framing/tests: the reference models and test helpers some targets use

objects=()
for src in framing/src/*.cpp conformance/src/*.cpp fuzz/standalone_main.cc; do
  obj="$out/obj/$(echo "$src" | tr / _).o"
  "$CXX" "${flags[@]}" -c "$src" -o "$obj" &
  objects+=("$obj")
  [ "$(jobs -r | wc -l)" -lt 2 ] || wait -n
done
wait

targets=(framer multi_framer frame_assembler length_field outbox scenario)
declare -A extra=()
if pkg-config --exists python3-embed 2>/dev/null && [ "$(pkg-config --modversion python3-embed)" = 3.11 ]; then
  targets+=(cpython_differential)
  extra[cpython_differential]="-DCHATFRAME_CONFORMANCE_DIR=\"$root/conformance\" $(pkg-config --cflags --libs python3-embed)"
fi
objects_args=()
for t in "${targets[@]}"; do
  # shellcheck disable=SC2086
  "$CXX" "${flags[@]}" "fuzz/$t.cc" "${objects[@]}" ${extra[$t]:-} -o "$out/bin/$t"
  dirs=()
  for d in "fuzz/corpus/$t" "fuzz/regressions/$t" "build/fuzz/run/$t/corpus"; do [ -d "$d" ] && dirs+=("$d"); done
  LLVM_PROFILE_FILE="$root/$out/prof/$t-%p.profraw" "$out/bin/$t" "${dirs[@]}" 2>"$out/$t.log" || true
  echo "$t: $(tail -1 "$out/$t.log")"
  objects_args+=(-object "$out/bin/$t")
done
"$PROFDATA" merge -sparse "$out"/prof/*.profraw -o "$out/merged.profdata"
ignore='(^/usr/|/conformance/|/fuzz/|/examples/)'
"$COV" report -instr-profile="$out/merged.profdata" -ignore-filename-regex="$ignore" "${objects_args[@]}" | tee "$out/report.txt"
"$COV" show -format=html -output-dir="$out/html" -instr-profile="$out/merged.profdata" \
  -ignore-filename-regex="$ignore" "${objects_args[@]}" >/dev/null
awk '/^TOTAL/ { print "framing/ line coverage: " $(NF-3) }' "$out/report.txt"
