#!/bin/bash
# fold_oracle.sh - folds whose right answer only the runtime knows, checked
# against ONNX Runtime (tests/oracle/oracle.mjs compare).
#
#     fold_oracle.sh ONNX_OPT MAKE_HOSTILE_MODELS ORACLE_DIR
#
# Cast of NaN, +-inf and out-of-range floats and doubles to every integer
# type (ONNX leaves these undefined; the folded value must be what ORT
# computes), and Range whose length overflows a naive int64 computation:
# each model is folded with `-p fold,dce`, the fold is asserted to have
# happened (no Cast or Range left), and ORT must give the same outputs for
# the original (computed at run time) and the folded model. Size of a
# tensor declared [2^62, 4] overflows int64 and must stay unfolded.
# Skipped (77) without node and onnxruntime-node. Output is TAP.

set -u
opt=$1
make_hostile_models=$2
oracle=$3/oracle.mjs
command -v node >/dev/null && [ -d "$3/node_modules/onnxruntime-node" ] ||
	{ echo "1..0 # SKIP node or onnxruntime-node missing"; exit 77; }

work=$(mktemp -d /tmp/onnxopt-fold-oracle-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$make_hostile_models" "$work" ||
	{ echo "Bail out! make_hostile_models failed"; exit 1; }

n=0
failed=0
report() {
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		failed=$((failed + 1))
		echo "not ok $n - $1"
		echo "# $2"
	fi
}

# ops MODEL: the op types left in MODEL, one per line.
ops() {
	"$opt" --print-after dce -p dce "$1" "$work/scratch.onnx" 2>&1 |
		sed -n 's/^ *%[^=]*= \([A-Za-z]*\)(.*/\1/p'
}

for name in fold_cast_float fold_cast_double fold_range; do
	in=$work/$name.onnx folded=$work/$name.folded.onnx
	if ! "$opt" -p fold,dce "$in" "$folded" 2>"$work/stderr"; then
		report "$name folds" "onnx-opt failed: $(head -c 200 "$work/stderr")"
		continue
	fi
	left=$(ops "$folded" | sort -u | tr '\n' ' ')
	[ -z "$left" ] && report "$name folds completely" "" ||
		report "$name folds completely" "ops left: $left"
	verdict=$(node "$oracle" compare "$in" "$folded" 2>&1 | tail -1)
	[ "$verdict" = MATCH ] && report "$name: ORT agrees with the fold" "" ||
		report "$name: ORT agrees with the fold" "$verdict"
done

"$opt" -p fold,dce "$work/fold_size.onnx" "$work/size.onnx" 2>"$work/stderr"
left=$(ops "$work/size.onnx" | tr '\n' ' ')
[ "$left" = "Size " ] &&
	report "Size of [2^62, 4] is left alone" "" ||
	report "Size of [2^62, 4] is left alone" "ops left: '$left'"

echo "1..$n"
[ $failed -eq 0 ]
