#!/bin/bash
# check.sh - `onnx-opt --check` passes on good rewrites and catches bad ones.
#
#     check.sh ONNX_OPT MAKE_BAD_MODELS FIXTURES_DIR [hooks]
#
# - every fixture: the default pipeline with --check=2 exits 0, writes the
#   output and prints one line per graph output;
# - a model with an op the evaluator has no kernel for: exit 4, "cannot
#   check: no kernel for com.example:MyCustomOp", no output file;
# - bad values of the check options: exit 2 before any work;
# - with "hooks" (a build with -Dtest_hooks=true): a deliberately broken
#   pass (ONNXOPT_TEST_BREAK_AFTER=fuse_bn_into_conv adds 1.0 to a weight)
#   goes unnoticed without --check, and with it exits 3 naming the output
#   and the first differing index, writing no output and leaving an
#   existing one untouched.
# Output is TAP.

set -u
opt=$1
make_bad_models=$2
fixtures=$3
hooks=${4:-}

work=$(mktemp -d /tmp/onnxopt-check-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$make_bad_models" "$work" || { echo "Bail out! make_bad_models failed"; exit 1; }

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do echo "# $line"; done
}

for model in "$fixtures"/*.onnx; do
	name=$(basename "$model" .onnx)
	out=$work/$name.out.onnx
	# The decoders' inputs must agree: total = past + sequence.
	extra=
	case $name in
	hf_gpt2* | hf_llama*) extra="--dim-param sequence=3
		--dim-param past_sequence=4 --dim-param total_sequence=7" ;;
	esac
	# shellcheck disable=SC2086
	"$opt" --check=2 $extra "$model" "$out" 2>"$work/err"
	rc=$?
	if [ $rc -eq 0 ] && [ -s "$out" ] &&
		grep -q "^check: 2 runs, " "$work/err"; then
		ok "--check=2 passes on fixture $name"
	else
		not_ok "--check=2 passes on fixture $name" "exit $rc" \
			"$(head -3 "$work/err")"
	fi
done

# expect STATUS PHRASE NAME ARGS... (the last argument is the output)
expect() {
	local status=$1 phrase=$2 name=$3
	shift 3
	local out=${*: -1}
	rm -f "$out"
	"$@" 2>"$work/err"
	local rc=$?
	if [ $rc -ne "$status" ]; then
		not_ok "$name" "exit $rc, expected $status" "$(cat "$work/err")"
	elif [ -n "$phrase" ] && ! grep -qF -- "$phrase" "$work/err"; then
		not_ok "$name" "stderr lacks '$phrase'" "$(cat "$work/err")"
	elif [ "$status" -ne 0 ] && [ -e "$out" ]; then
		not_ok "$name" "an output file was written"
	else
		ok "$name"
	fi
}

expect 4 "cannot check: no kernel for com.example:MyCustomOp" \
	"an op without a kernel: exit 4, named, no output" \
	"$opt" -p none --check "$work/custom_op.onnx" "$work/custom.out.onnx"
expect 0 "" "the same model without --check is fine" \
	"$opt" -p none "$work/custom_op.onnx" "$work/custom.out.onnx"
expect 2 "--check needs a whole number" "--check=abc is a usage error" \
	"$opt" --check=abc "$work/good.onnx" "$work/good.out.onnx"
expect 2 "--check-rtol needs a number" "--check-rtol x is a usage error" \
	"$opt" --check --check-rtol x "$work/good.onnx" "$work/good.out.onnx"
expect 2 "--check-atol must not be negative" "a negative tolerance" \
	"$opt" --check --check-atol -1 "$work/good.onnx" "$work/good.out.onnx"
expect 0 "check: 3 runs, 1 output" "--check=3 --check-seed 7 on good.onnx" \
	"$opt" --check=3 --check-seed 7 "$work/good.onnx" "$work/good.out.onnx"

expect 0 "check: 1 run, 2 outputs" "--check with --input-shape input_ids:3,5" \
	"$opt" --check --input-shape input_ids:3,5 \
	"$fixtures/bert_opset14.onnx" "$work/bert.out.onnx"
expect 0 "check: 1 run, 2 outputs" "--check with --dim-param sequence=16" \
	"$opt" --check --dim-param sequence=16 --dim-param batch=2 \
	"$fixtures/bert_opset14.onnx" "$work/bert.out.onnx"

# External data: the original is re-read with its weights resolved from
# the same folder (needs /usr/bin/python3 with onnx to write the model).
if /usr/bin/python3 -c "import onnx" 2>/dev/null; then
	mkdir -p "$work/ext"
	/usr/bin/python3 - "$work/ext/model.onnx" <<'PY'
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
w = numpy_helper.from_array(np.arange(64, dtype=np.float32).reshape(8, 8) / 64, "w")
g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["m"]),
                       helper.make_node("Relu", ["m"], ["y"])], "ext",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])], [w])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
onnx.save(m, sys.argv[1], save_as_external_data=True,
          all_tensors_to_one_file=True, location="weights.bin",
          size_threshold=0)
PY
	expect 0 "check: 1 run, 1 output" "--check on a model with external data" \
		"$opt" --check "$work/ext/model.onnx" "$work/ext/out.onnx"
fi

if [ "$hooks" = hooks ]; then
	cnn=$fixtures/cnn_conv_bn.onnx
	export ONNXOPT_TEST_BREAK_AFTER=fuse_bn_into_conv
	expect 0 "" "the broken pass goes unnoticed without --check" \
		"$opt" "$cnn" "$work/broken.onnx"
	expect 3 "check failed: output 'features' differs at index" \
		"--check catches the broken pass: exit 3, no output" \
		"$opt" --check "$cnn" "$work/broken.onnx"
	# --stats-json is written all the same, with the check's failure.
	rm -f "$work/broken.json"
	"$opt" --check --stats-json "$work/broken.json" "$cnn" \
		"$work/broken.onnx" 2>/dev/null
	if [ $? -eq 3 ] && [ ! -e "$work/broken.onnx" ] &&
		/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["check"]
assert c["passed"] is False and c["runs"] == 1, c
assert c["error"].startswith("check failed: output \x27features\x27"), c
assert d["after"]["file_bytes"] is None and d["after"]["nodes"] > 0, d
' "$work/broken.json"; then
		ok "a failed check still writes --stats-json, passed false"
	else
		not_ok "a failed check still writes --stats-json, passed false"
	fi
	echo keep >"$work/existing.onnx"
	"$opt" --check "$cnn" "$work/existing.onnx" 2>/dev/null
	if [ "$(cat "$work/existing.onnx")" = keep ]; then
		ok "a failed check leaves an existing output untouched"
	else
		not_ok "a failed check leaves an existing output untouched"
	fi
	unset ONNXOPT_TEST_BREAK_AFTER
fi

echo "1..$n"
[ "$failed" -eq 0 ]
