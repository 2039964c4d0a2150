#!/bin/sh
# Build the libFuzzer targets with clang (ASan + UBSan) and fuzz the
# loader, the default pipeline and the exporter for SECONDS (default 60):
#
#   tests/fuzz/run.sh [SECONDS] [bytes|structure] [-jobs=N ...]
#
#   bytes      tests/fuzz_load: libFuzzer's own byte-level mutations
#   structure  tests/fuzz_structure: the same target with the
#              structure-aware mutator of fuzz_mutate.c (parse the model,
#              edit dims, dtypes, attributes, edges and nesting, pack it
#              again; one mutation in four, and any input that does not
#              parse, falls back to byte mutation)
#
# Extra arguments go to libFuzzer. Both share one corpus, seeded with the
# fixtures (and the Hugging Face-style ones converted to opset 23), ONNX's
# backend test models, the hostile models of
# tests/make_hostile_models.c, and exported models too big to commit
# (tests/fuzz/seeds.py and tests/bench/hf_models.py, generated once into
# build-fuzz/seeds); inputs may be up to 8 MiB so that those fit. The
# dictionary tests/fuzz/onnx.dict holds the exact values (dims of
# 2^61 + 1, INT64_MIN, NaN, nesting tags) that byte mutation alone does not
# find. Crashing inputs are written to build-fuzz/crashes/ (once fixed,
# keep one in tests/fuzz/regressions/: hostile.sh runs them all); rerun
# one with
#   build-fuzz/tests/fuzz_load build-fuzz/crashes/crash-...
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-fuzz"
seconds=${1:-60}
kind=${2:-bytes}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
case $kind in
bytes) target=fuzz_load ;;
structure) target=fuzz_structure ;;
*) echo "run.sh: kind must be bytes or structure" >&2; exit 2 ;;
esac
if [ ! -d "$build" ]; then
	CC=clang meson setup "$build" "$root" -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
meson compile -C "$build" tests/fuzz_load tests/fuzz_structure \
	tests/make_hostile_models tools/onnx-opt >/dev/null
corpus="$build/corpus"
seeds="$build/seeds"
mkdir -p "$corpus" "$build/crashes"
if [ ! -d "$seeds" ]; then
	mkdir -p "$seeds.tmp"
	"$build/tests/make_hostile_models" "$seeds.tmp"
	# 1,000 levels of If takes seconds under ASan, and hostile.sh runs it
	# already; the mutator makes its own nesting.
	rm -f "$seeds.tmp/if_nested_1000.onnx"
	# torch's export chatter goes to a log; the scripts' own notes (a
	# skipped seed) and failures reach the terminal.
	/usr/bin/python3 "$root/tests/fuzz/seeds.py" "$seeds.tmp" \
		>"$build/seeds.log" 2>&1 ||
		echo "run.sh: torch exports failed (see $build/seeds.log); seeding without them" >&2
	grep '^seeds.py:' "$build/seeds.log" >&2 || true
	/usr/bin/python3 "$root/tests/bench/hf_models.py" all --size small \
		--opset 14 --opset 17 --out "$seeds.tmp" >>"$build/seeds.log" 2>&1 ||
		echo "run.sh: hf_models.py failed (see $build/seeds.log); seeding without it" >&2
	mv "$seeds.tmp" "$seeds"
fi
cp "$root"/fixtures/*.onnx "$seeds"/*.onnx "$root"/tests/fuzz/regressions/*.onnx \
	"$corpus"/ 2>/dev/null || true
# The opset-23 fusions (RMSNormalization, RotaryEmbedding, Attention) only
# run on opset-23 models: the Hugging Face-style fixtures converted to 23
# (unfused) give the default pipeline something to fuse.
for m in "$root"/fixtures/hf_*.onnx; do
	"$build/tools/onnx-opt" --quiet -p none --target-opset 23 "$m" \
		"$corpus/$(basename "$m" .onnx)_opset23.onnx" || true
done
for m in /usr/share/libonnx-testdata/data/*/*/model.onnx; do
	[ -f "$m" ] || continue
	cp "$m" "$corpus/$(basename "$(dirname "$m")").onnx"
done
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
"$build/tests/$target" -max_total_time="$seconds" -max_len=8388608 \
	-dict="$root/tests/fuzz/onnx.dict" -rss_limit_mb=4096 \
	-artifact_prefix="$build/crashes/" -print_final_stats=1 "$@" "$corpus"
