#!/bin/sh
# Build the libFuzzer target with clang (ASan + UBSan) and fuzz the loader
# and the default pipeline for SECONDS (default 60), seeded with the
# fixtures and ONNX's backend test models. Crashing inputs are written to
# build-fuzz/crashes/.
#
#   tests/fuzz/run.sh [SECONDS]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-fuzz"
seconds=${1:-60}
if [ ! -d "$build" ]; then
	CC=clang meson setup "$build" "$root" -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
meson compile -C "$build" tests/fuzz_load >/dev/null
corpus="$build/corpus"
mkdir -p "$corpus" "$build/crashes"
cp "$root"/fixtures/*.onnx "$corpus"/ 2>/dev/null || true
for m in /usr/share/libonnx-testdata/data/*/*/model.onnx; do
	[ -f "$m" ] || continue
	cp "$m" "$corpus/$(basename "$(dirname "$m")").onnx"
done
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
"$build/tests/fuzz_load" -max_total_time="$seconds" -max_len=262144 \
	-artifact_prefix="$build/crashes/" -print_final_stats=1 "$corpus"
