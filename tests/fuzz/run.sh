#!/usr/bin/env bash
# run.sh HARNESS [SECONDS] - a real libFuzzer run of one harness.
#
#   tests/fuzz/run.sh fuzz_wire 300
#
# Configures build-fuzz/ (clang, ASan+UBSan, every library instrumented for
# coverage with -fsanitize=fuzzer-no-link, -Dfuzzing=true), builds the
# harness and fuzzes for SECONDS (default 60) on one core, starting from
# the committed seeds. New inputs go to build-fuzz/corpus/HARNESS (never
# into the repository); crashes go to build-fuzz/artifacts/HARNESS/.
# MAX_LEN (default 8192) bounds input size: two 4 KiB strings fit.
# Exit status: libFuzzer's (0 when nothing was found).
set -eu
cd "$(dirname "$0")/../.."
harness=${1:?usage: tests/fuzz/run.sh HARNESS [SECONDS]}
secs=${2:-60}
[ -d "tests/fuzz/corpus/$harness" ] || { echo "no seed corpus for $harness" >&2; exit 2; }
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dintegration=false -Dtests=disabled \
		-Dc_args=-fsanitize=fuzzer-no-link -Dbuildtype=debugoptimized
fi
ninja -C build-fuzz -j2 "tests/fuzz/$harness"
mkdir -p "build-fuzz/corpus/$harness" "build-fuzz/artifacts/$harness"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
exec "build-fuzz/tests/fuzz/$harness" -max_total_time="$secs" -print_final_stats=1 \
	-max_len="${MAX_LEN:-8192}" \
	-artifact_prefix="build-fuzz/artifacts/$harness/" \
	"build-fuzz/corpus/$harness" "tests/fuzz/corpus/$harness"
