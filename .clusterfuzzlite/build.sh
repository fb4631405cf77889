#!/bin/bash -eu
# Builds chatframe's libFuzzer targets into $OUT, with <name>.options,
# <name>.dict and <name>_seed_corpus.zip beside each.
#
# ClusterFuzzLite (OSS-Fuzz's base-builder) runs it with $CC $CXX $CFLAGS
# $CXXFLAGS (sanitizer and coverage flags included, -stdlib=libc++) and
# $LIB_FUZZING_ENGINE set: those are used as they are and no sanitizer is added.
# It also runs on a Debian machine from the repo root with only
#   CC=clang CXX=clang++ LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=dir WORK=dir
# (no CFLAGS/CXXFLAGS): then it adds -fsanitize=address,undefined itself
# (fuzz/check_build_sh.sh tests exactly that).
#
# It compiles the libraries' sources directly instead of going through the
# root CMakeLists.txt, whose CHATFRAME_BUILD_FUZZERS adds sanitizer flags of
# its own and whose other options want gtest/benchmark (libstdc++ builds).
# cpython_differential is built only where Debian's libpython3.11 is found
# (never in base-builder).

if [ -f "$PWD/framing/CMakeLists.txt" ]; then
  root=$PWD
else
  root=$SRC/chatframe
fi
: "${WORK:=$(mktemp -d)}"
mkdir -p "$OUT" "$WORK/obj"

if [ -z "${CXXFLAGS:-}" ]; then
  CXXFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -fsanitize=fuzzer-no-link"
fi
CXXFLAGS="$CXXFLAGS -std=c++20"
includes=(-I"$root/framing/include" -I"$root/conformance/include")

# The libraries, instrumented with the same flags as the targets.
objects=()
for src in "$root"/framing/src/*.cpp "$root"/conformance/src/*.cpp; do
  obj="$WORK/obj/$(basename "$(dirname "$(dirname "$src")")")_$(basename "$src" .cpp).o"
  # shellcheck disable=SC2086
  $CXX $CXXFLAGS "${includes[@]}" -c "$src" -o "$obj"
  objects+=("$obj")
done

# package NAME: options, dict and seed corpus next to $OUT/NAME.
package() {
  local name=$1
  [ -f "$root/fuzz/$name.options" ] && cp "$root/fuzz/$name.options" "$OUT/"
  [ -f "$root/fuzz/$name.dict" ] && cp "$root/fuzz/$name.dict" "$OUT/"
  if [ -d "$root/fuzz/corpus/$name" ]; then
    rm -f "$OUT/${name}_seed_corpus.zip"
    (cd "$root/fuzz/corpus/$name" && zip -q -j "$OUT/${name}_seed_corpus.zip" ./*)
  fi
  echo "built $OUT/$name"
}

# fuzzer NAME [extra args...]: compiles fuzz/NAME.cc against the libraries.
fuzzer() {
  local name=$1
  shift
  # shellcheck disable=SC2086
  $CXX $CXXFLAGS "${includes[@]}" "$root/fuzz/$name.cc" "${objects[@]}" "$@" \
    $LIB_FUZZING_ENGINE -o "$OUT/$name"
  package "$name"
}

fuzzer framer
fuzzer multi_framer -I"$root/framing/tests"     # reference_model.hpp, callback_program.hpp
fuzzer frame_assembler -I"$root/framing/tests"  # the same
fuzzer length_field -I"$root/framing/tests"     # reference_length_field.hpp, length_field_harness.hpp
fuzzer outbox -I"$root/framing/tests"           # borrowed_bytes_arena.hpp
fuzzer scenario

# The HTTP example was written separately from these targets: build its
# fuzzer when the example is there, and say so loudly when it cannot be built.
if [ -f "$root/examples/http/request_head.hpp" ]; then
  http_sources=()
  for src in "$root"/examples/http/*.cpp; do
    [ -f "$src" ] || continue
    grep -q 'int main' "$src" || http_sources+=("$src")
  done
  if ! fuzzer http_head -I"$root/examples/http" -I"$root/examples" "${http_sources[@]}"; then
    echo "WARNING: http_head did not build against examples/http; skipped" >&2
  fi
fi

if pkg-config --exists python3-embed 2>/dev/null &&
   [ "$(pkg-config --modversion python3-embed)" = "3.11" ]; then
  # shellcheck disable=SC2046
  fuzzer cpython_differential -DCHATFRAME_CONFORMANCE_DIR="\"$root/conformance\"" \
    $(pkg-config --cflags --libs python3-embed)
else
  echo "libpython3.11 (python3-embed) not found: cpython_differential skipped"
fi
