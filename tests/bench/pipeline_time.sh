#!/bin/sh
# Bench: the default pipeline's time on the BERT fixtures, this tree
# against an older revision, measured side by side in one run.
#
#   tests/bench/pipeline_time.sh [OLD_REV [RUNS]]
#
# Builds OLD_REV (default e6e67d4, before the pass manager provided shape
# inference) and the working tree, both with --buildtype=release, under a
# temporary directory. Then, for each fixture, runs the two binaries
# alternately RUNS times each (default 40) and sums the "passes N ms" line
# of --stats (the pipeline alone: no load, no save). Prints both sums, the
# ratio new/old (below 1: faster) and how often shape inference ran.
set -eu
old_rev=${1:-e6e67d4}
runs=${2:-40}
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/onnxopt-bench-XXXXXX)
cleanup() {
	git -C "$here" worktree remove --force "$tmp/old" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

git -C "$here" worktree add --detach "$tmp/old" "$old_rev" >/dev/null 2>&1
meson setup --buildtype=release "$tmp/old/build" "$tmp/old" >/dev/null
meson compile -C "$tmp/old/build" tools/onnx-opt >/dev/null
meson setup --buildtype=release "$tmp/new-build" "$here" >/dev/null
meson compile -C "$tmp/new-build" tools/onnx-opt >/dev/null
old="$tmp/old/build/tools/onnx-opt"
new="$tmp/new-build/tools/onnx-opt"

pipeline_ms() {
	"$1" --stats "$2" "$tmp/out.onnx" 2>&1 |
		awk '/^load .* passes / {print $5}'
}

printf '%-24s %10s %10s %8s %s\n' fixture old_ms new_ms new/old \
	"inference runs (new)"
for model in "$here"/fixtures/bert_opset12.onnx \
	"$here"/fixtures/bert_opset14.onnx "$here"/fixtures/bert_opset17.onnx; do
	old_sum=0
	new_sum=0
	i=0
	while [ $i -lt "$runs" ]; do
		old_sum=$(echo "$old_sum + $(pipeline_ms "$old" "$model")" | bc)
		new_sum=$(echo "$new_sum + $(pipeline_ms "$new" "$model")" | bc)
		i=$((i + 1))
	done
	inference=$("$new" --stats "$model" "$tmp/out.onnx" 2>&1 |
		awk '/^shape inference ran/ {print $4}')
	printf '%-24s %10.1f %10.1f %8.2f %s\n' "$(basename "$model" .onnx)" \
		"$old_sum" "$new_sum" "$(echo "$new_sum / $old_sum" | bc -l)" \
		"$inference"
done
