#!/usr/bin/env bash
# test.sh - the full vaultgate test suite on a fresh Debian 12 machine (root).
#
#   ./test.sh            install what is missing, build (-Dwerror=true), run every
#                        test under meson test, then the unit suites again under
#                        ASan+UBSan, then the image boot test
#   ./test.sh --quick    the same without the ASan build and the image boot test
#
# Idempotent: packages already present are not reinstalled, build dirs are reused.
set -euo pipefail
cd "$(dirname "$0")"
quick=0
for a in "$@"; do
	case "$a" in
	--quick) quick=1 ;;
	*) echo "usage: $0 [--quick]" >&2; exit 2 ;;
	esac
done

./scripts/install-deps.sh

echo "== build (werror)"
# A build/ left by someone else may lack werror: reconfigure it, never trust it.
if [ -d build ]; then meson configure build -Dwerror=true; else meson setup build -Dwerror=true; fi
ninja -C build
echo "== meson test"
meson test -C build --print-errorlogs --num-processes 2

if [ "$quick" = 0 ]; then
	echo "== unit suites under ASan+UBSan"
	if [ -d build-asan ]; then meson configure build-asan -Dwerror=true; else
		meson setup build-asan -Db_sanitize=address,undefined \
			-Db_lundef=false -Dintegration=false -Dwerror=true; fi
	ninja -C build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --print-errorlogs --suite unit --suite fuzz
	echo "== VM image: build, boot under qemu, backup and restore (image/smoke-test.sh)"
	./image/smoke-test.sh
fi
echo "== all tests passed"
