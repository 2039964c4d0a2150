#!/bin/bash
# check_backend.sh - `onnx-opt --check` over every libonnx-testdata model.
#
#     tests/check_backend.sh ONNX_OPT [DATA_DIR]
#
# Runs the default pipeline with --check=2 on each model.onnx under
# DATA_DIR (default /usr/share/libonnx-testdata/data) and sorts the cases:
#   pass          exit 0: both models ran and every output matched;
#   no kernel     exit 4 with "no kernel for OP": an op the evaluator
#                 lacks (or a random op, which is never evaluated);
#   cannot run    exit 4 for another reason: random inputs the model
#                 rejects (an index, shape or axis input made of 0s and
#                 1s), a non-tensor input, a kernel that refuses these
#                 inputs;
#   MISMATCH      exit 3: the optimized model computes something else;
#   ERROR         any other exit status.
# Prints the counts (and, with VERBOSE=1, every case that did not pass);
# exits non-zero if any case is a MISMATCH or an ERROR.
set -u
opt=$1
data=${2:-/usr/share/libonnx-testdata/data}
tmp=$(mktemp -d /tmp/onnxopt-check-backend-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

pass=0 no_kernel=0 cannot=0 mismatch=0 error=0 total=0
declare -A missing
while IFS= read -r model; do
	case=${model#"$data"/}
	case=${case%/model.onnx}
	total=$((total + 1))
	timeout 120 "$opt" --check=2 "$model" "$tmp/out.onnx" 2>"$tmp/err" >/dev/null
	rc=$?
	why=$(head -1 "$tmp/err")
	case $rc in
	0) pass=$((pass + 1)) ;;
	4)
		if op=$(grep -o "no kernel for [^ ]*" "$tmp/err"); then
			no_kernel=$((no_kernel + 1))
			missing[${op#no kernel for }]=1
		else
			cannot=$((cannot + 1))
		fi
		[ "${VERBOSE:-0}" = 1 ] && echo "cannot check $case: $why"
		;;
	3)
		mismatch=$((mismatch + 1))
		echo "MISMATCH $case: $why"
		;;
	*)
		error=$((error + 1))
		echo "ERROR (exit $rc) $case: $why"
		;;
	esac
done < <(find "$data" -name model.onnx | sort)
echo "ops without a kernel: $(printf '%s\n' "${!missing[@]}" | sort | tr '\n' ' ')"
echo "check_backend: $total models: $pass pass, $no_kernel lack a kernel," \
	"$cannot cannot run on random inputs, $mismatch mismatch, $error error"
[ "$mismatch" -eq 0 ] && [ "$error" -eq 0 ]
