#!/bin/sh
# Installs the Debian 12 packages ChargeOps needs to build and test, only when
# something is missing, so that `make demo` and `make test` work on a fresh machine.
# Usage: scripts/deps.sh [build|test|browser|web]
set -eu
want="build"
[ $# -gt 0 ] && want="$1"

build_pkgs="build-essential pkg-config curl libwebsockets-dev libwebsockets-evlib-uv libuv1-dev libjansson-dev libsqlite3-dev libssl-dev libcmocka-dev tzdata libxgboost-dev"
test_pkgs="nodejs npm sqlite3 curl"
browser_pkgs="nodejs npm chromium"
web_pkgs="nodejs npm"

missing=""
for p in $build_pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
extra=""
[ "$want" = "test" ] && extra="$test_pkgs"
[ "$want" = "browser" ] && extra="$browser_pkgs"
[ "$want" = "web" ] && extra="$web_pkgs"
if [ -n "$extra" ]; then
	for p in $extra; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
			# node and npm may come from outside Debian; accept them if present on PATH.
			case "$p" in
			nodejs) command -v node >/dev/null 2>&1 && continue ;;
			npm) command -v npm >/dev/null 2>&1 && continue ;;
			esac
			missing="$missing $p"
		}
	done
fi
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
