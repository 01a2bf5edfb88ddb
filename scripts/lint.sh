#!/bin/sh
# make lint: banned unsafe functions, cppcheck and clang-tidy over src/.
set -eu
cd "$(dirname "$0")/.."
status=0

# 1. No unbounded string functions (see docs/STYLE in the project notes).
if grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strtok|gets)\s*\(' src/*.c src/*/*.c; then
	echo "lint: banned function used (use snprintf / memcpy with lengths / strtok_r)" >&2
	status=1
fi

CFLAGS_LINT="-std=c17 -D_GNU_SOURCE -Isrc $(pkg-config --cflags libwebsockets jansson sqlite3 libssl)"

# 2. cppcheck: real bugs only (warnings, portability, performance).
if command -v cppcheck >/dev/null 2>&1; then
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--inline-suppr --suppress=missingIncludeSystem -Isrc -D__GNUC__ \
		src tests/unit || status=1
else
	echo "lint: cppcheck not installed" >&2; status=1
fi

# 3. clang-tidy with the checks in .clang-tidy.
if command -v clang-tidy >/dev/null 2>&1; then
	for f in src/*.c src/*/*.c; do
		clang-tidy --quiet "$f" -- $CFLAGS_LINT 2>/dev/null | grep -E "warning:|error:" && status=1 || true
	done
else
	echo "lint: clang-tidy not installed" >&2; status=1
fi
[ $status -eq 0 ] && echo "lint: clean"
exit $status
