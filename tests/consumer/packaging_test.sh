#!/bin/sh
# packaging_test.sh MODE SOURCE_DIR WORK_DIR CXX [PREFIX]: one way of consuming
# chatframe, as a user's project would (tests/consumer, tests/consumer_subdir).
#   find_package  PREFIX holds an installed chatframe: find_package(chatframe
#                 COMPONENTS framing reactor) builds and runs the consumer; an
#                 unknown component fails find_package with a reason
#   pkg_config    PREFIX as above: `pkg-config --cflags --libs chatframe`
#                 carries no -std=, and a C++23 consumer builds and runs
#   subdir        add_subdirectory with nothing but a compiler and CMake (every
#                 package chatframe's other parts use is disabled): framing
#                 only, and chatframe::reactor is not compiled
#   fetchcontent  FetchContent_MakeAvailable, the same way, linking reactor too
#   shared        chatframe built alone as shared libraries without reactor,
#                 installed: the SONAME carries the version, find_package
#                 COMPONENTS framing works, COMPONENTS reactor fails with a reason
set -eu
mode=$1 src=$2 work=$3 cxx=$4 prefix=${5:-}
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL ($mode): $*"; exit 1; }
cmake_nothing_else() {  # cmake ARGS... with no package findable
  cmake -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_FIND_ROOT_PATH=/nonexistent -DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY \
    -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON \
    -DCMAKE_DISABLE_FIND_PACKAGE_rapidcheck=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON \
    -DCMAKE_DISABLE_FIND_PACKAGE_Boost=ON -DCMAKE_DISABLE_FIND_PACKAGE_CLI11=ON \
    -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON -DCMAKE_DISABLE_FIND_PACKAGE_Threads=ON \
    -DCMAKE_DISABLE_FIND_PACKAGE_Python3=ON -DCMAKE_DISABLE_FIND_PACKAGE_Doxygen=ON "$@"
}
consumer() {  # consumer BUILD_DIR PREFIX COMPONENTS: configure, build, run
  cmake -S "$src/tests/consumer" -B "$1" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_PREFIX_PATH="$2" "-DCONSUMER_COMPONENTS=$3"
  cmake --build "$1"
  "$1/consumer"
}
refused() {  # refused PREFIX COMPONENTS REGEX: find_package fails, saying why
  if out=$(cmake -S "$src/tests/consumer" -B "$work/refused" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
             -DCMAKE_PREFIX_PATH="$1" "-DCONSUMER_COMPONENTS=$2" 2>&1); then
    fail "find_package(chatframe COMPONENTS $2) succeeded"
  fi
  printf '%s\n' "$out" | tr '\n' ' ' | grep -Eq "$3" || { printf '%s\n' "$out"; fail "no reason given for COMPONENTS $2"; }
  printf '%s\n' "$out" | grep -E "chatframe" | head -3
  rm -rf "$work/refused"
}

case $mode in
  find_package)
    consumer "$work/both" "$prefix" "framing;reactor"
    consumer "$work/framing" "$prefix" "framing"
    refused "$prefix" "framing;bogus" "chatframe has no component 'bogus'"
    ;;
  pkg_config)
    PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name chatframe.pc | head -1)")
    export PKG_CONFIG_PATH
    flags=$(pkg-config --cflags --libs chatframe)
    echo "pkg-config: $flags"
    case " $flags " in *" -std="*) fail "pkg-config imposes a standard: $flags" ;; esac
    pkg-config --print-variables chatframe >/dev/null
    pkg-config --modversion chatframe
    # shellcheck disable=SC2086
    "$cxx" -std=c++23 -DCONSUMER_CXX23 -DCONSUMER_WITH_REACTOR "$src/tests/consumer/consumer.cpp" \
      $flags -o "$work/consumer"
    "$work/consumer"
    ;;
  subdir)
    cmake_nothing_else -S "$src/tests/consumer_subdir" -B "$work/b" -DCHATFRAME_SOURCE_DIR="$src"
    cmake --build "$work/b"
    "$work/b/consumer"
    [ -z "$(find "$work/b" -name 'libchatframe_reactor*')" ] || fail "chatframe::reactor was built without being linked"
    [ -n "$(find "$work/b" -name 'libchatframe_framing*')" ] || fail "no chatframe::framing library"
    ;;
  fetchcontent)
    cmake_nothing_else -S "$src/tests/consumer_subdir" -B "$work/b" -DCHATFRAME_SOURCE_DIR="$src" \
      -DCONSUMER_FETCHCONTENT=ON -DCONSUMER_WITH_REACTOR=ON
    cmake --build "$work/b"
    "$work/b/consumer"
    ;;
  shared)
    cmake_nothing_else -S "$src" -B "$work/lib" -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE=Release \
      -DCHATFRAME_BUILD_REACTOR=OFF -DCHATFRAME_BUILD_CONFORMANCE=OFF -DCHATFRAME_BUILD_TESTS=OFF \
      -DCHATFRAME_BUILD_TOOLS=OFF -DCHATFRAME_BUILD_BENCHMARKS=OFF -DCHATFRAME_BUILD_PYTHON=OFF
    cmake --build "$work/lib"
    cmake --install "$work/lib" --prefix "$work/prefix"
    version=$(sed -n 's/^project(chatframe VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
    soversion=$(echo "$version" | sed -E 's/^0\.([0-9]+)\..*/0.\1/; s/^([1-9][0-9]*)\..*/\1/')
    lib=$(find "$work/prefix" -name "libchatframe_framing.so.$version" | head -1)
    [ -n "$lib" ] || fail "no libchatframe_framing.so.$version installed"
    soname=$(objdump -p "$lib" | sed -n 's/^ *SONAME *//p')
    echo "SONAME $soname"
    [ "$soname" = "libchatframe_framing.so.$soversion" ] || fail "SONAME $soname, want libchatframe_framing.so.$soversion"
    [ -L "$(dirname "$lib")/libchatframe_framing.so" ] || fail "no libchatframe_framing.so link for -l"
    consumer "$work/framing" "$work/prefix" "framing"
    refused "$work/prefix" "framing;reactor" "component 'reactor' is not in this installation"
    ;;
  *) echo "unknown mode $mode"; exit 2 ;;
esac
echo "PASS ($mode)"
