#!/bin/sh
# sanitize.sh - build with AddressSanitizer + UndefinedBehaviorSanitizer and
# run every test suite there. LeakSanitizer is part of ASan on Linux, so
# leaks fail the run too.
#
#     tests/sanitize.sh [BUILD_DIR] [meson test args...]
#
# BUILD_DIR defaults to build-asan. b_lundef=false is needed because the
# shared library cannot resolve the sanitizer runtime at link time. gcc's
# -fsanitize=undefined leaves out float-cast-overflow (a NaN or 1e30
# converted to an integer, which kernels fed hostile data must never do),
# so it is asked for by name; clang includes it.
# UBSan is made fatal (halt_on_error) so a report fails its test instead of
# scrolling past; Check's CK_FORK=no keeps sanitizer reports attached to the
# failing test. fast_unwind_on_malloc=0 gives leak reports full stacks
# through libprotobuf-c, which is built without frame pointers.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-asan}
[ $# -gt 0 ] && shift
if [ ! -d "$build" ]; then
	meson setup "$build" "$root" -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fsanitize=float-cast-overflow \
		-Dc_link_args=-fsanitize=float-cast-overflow
fi
meson compile -C "$build"
# A report exits 86, which no test accepts: the CLI tests accept exit 1
# or 2 from bad input, and a sanitizer's default exit status is 1.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:fast_unwind_on_malloc=0:detect_stack_use_after_return=1:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=86}
export LSAN_OPTIONS=${LSAN_OPTIONS:-exitcode=86}
export CK_FORK=${CK_FORK:-no}
# OpenBLAS starts its worker threads when the library loads; a process that
# exits while one is still starting makes LeakSanitizer report glibc's
# thread attributes (pthread_getattr_np) as a leak, and turns the exit
# status into 1. One BLAS thread means no worker threads at all.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
# ASan and UBSan make the whole-corpus suites (roundtrip: 1,072 models)
# several times slower; their timeouts are set for the plain build.
meson test -C "$build" --print-errorlogs --timeout-multiplier 4 "$@"
