#!/usr/bin/env bash
# Checks that every C++ file in framing/ reactor/ conformance/ examples/ fuzz/
# bench/ tools/ is formatted as .clang-format says (clang-format-14). Exits non-zero
# and lists the files that differ.
#
#   bash scripts/check_format.sh          check
#   bash scripts/check_format.sh --fix    reformat those files in place
set -euo pipefail
cd "$(dirname "$0")/.."

clang_format=${CLANG_FORMAT:-clang-format-14}
command -v "$clang_format" >/dev/null || { echo "check_format: $clang_format not found" >&2; exit 2; }

mapfile -d '' files < <(find framing reactor conformance examples fuzz bench tools -type f \
  \( -name '*.cpp' -o -name '*.hpp' -o -name '*.cc' -o -name '*.h' \) -print0 | sort -z)

if [ "${1:-}" = "--fix" ]; then
  "$clang_format" -i --style=file "${files[@]}"
  echo "check_format: formatted ${#files[@]} files"
  exit 0
fi

bad=()
for f in "${files[@]}"; do
  if ! "$clang_format" --dry-run -Werror --style=file "$f" >/dev/null 2>&1; then bad+=("$f"); fi
done
if [ "${#bad[@]}" -ne 0 ]; then
  printf 'check_format: %s is not formatted (run bash scripts/check_format.sh --fix)\n' "${bad[@]}" >&2
  # Show the first differences.
  "$clang_format" --dry-run -Werror --style=file "${bad[0]}" 2>&1 | head -n 30 >&2 || true
  exit 1
fi
echo "check_format: ${#files[@]} files OK"
