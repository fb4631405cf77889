#!/usr/bin/env bash
# Runs clang-tidy-14 (.clang-tidy) over framing/src, reactor/src, python/src
# (when the build compiles the Python module) and every
# public header in framing/include and reactor/include, with the
# compile_commands.json of a build directory. Any warning fails the run.
#
#   bash scripts/run_clang_tidy.sh [BUILD_DIR]     (default: build/release)
#
# The build directory must have been configured (CMAKE_EXPORT_COMPILE_COMMANDS
# is on in CMakeLists.txt); `cmake --preset release` is enough.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

build=${1:-build/release}
tidy=${CLANG_TIDY:-clang-tidy-14}
command -v "$tidy" >/dev/null || { echo "run_clang_tidy: $tidy not found" >&2; exit 2; }
[ -f "$build/compile_commands.json" ] || {
  echo "run_clang_tidy: $build/compile_commands.json missing; configure that build first" >&2; exit 2; }
jobs=${CHATFRAME_JOBS:-$(nproc 2>/dev/null || echo 2)}

# Headers are checked through a translation unit that includes each of them,
# compiled with the flags of framing/src/framer.cpp from the database.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  find framing/include reactor/include -name '*.hpp' | sort | while read -r h; do
    printf '#include "%s/%s"\n' "$root" "$h"
  done
} > "$tmp/all_headers.cpp"
python3 - "$build/compile_commands.json" "$tmp" "$root" <<'PY'
import json, shlex, sys, os
db_path, tmp, root = sys.argv[1:4]
db = json.load(open(db_path))
# python/src is compiled once per Python found; tidy checks the build for the main one.
db = [e for e in db if "chatframe_python_3." not in e.get("output", "") + e.get("command", "")]
base = next(e for e in db if e["file"].endswith("framing/src/framer.cpp"))
args = base.get("arguments") or shlex.split(base["command"])
out = []
skip = False
for a in args:
    if skip:
        skip = False
        continue
    if a in ("-o", "-c"):
        skip = a == "-o"
        continue
    if a.endswith("framer.cpp"):
        continue
    out.append(a)
out += ["-I" + os.path.join(root, "reactor/include"), "-c", os.path.join(tmp, "all_headers.cpp")]
entry = {"directory": base["directory"], "file": os.path.join(tmp, "all_headers.cpp"), "arguments": out}
json.dump(db + [entry], open(os.path.join(tmp, "compile_commands.json"), "w"))
PY

files=$(find framing/src reactor/src -name '*.cpp' | sort)
# The Python extension's sources, when this build compiles them.
if grep -q '/python/src/module.cpp"' "$build/compile_commands.json"; then
  files="$files $(find python/src -name '*.cpp' | sort | tr '\n' ' ')"
fi
files="$files $tmp/all_headers.cpp"
log="$tmp/tidy.log"
# shellcheck disable=SC2086
printf '%s\n' $files | xargs -P "$jobs" -n 1 "$tidy" -p "$tmp" --quiet > "$log" 2>&1 || true
if grep -E ': (warning|error):' "$log" >/dev/null; then
  grep -E -A3 ': (warning|error):' "$log" >&2
  echo "run_clang_tidy: $(grep -cE ': (warning|error):' "$log") finding(s)" >&2
  exit 1
fi
echo "run_clang_tidy: $(printf '%s\n' $files | wc -l) files, no findings"
