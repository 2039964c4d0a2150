#!/bin/bash
# untouched.sh - a pass that reports 0 changes leaves the model untouched.
#
#     untouched.sh ONNX_OPT FIXTURES_DIR
#
# Runs every pass alone (`-p PASS --stats`) on every fixture. Where the
# pass reports 0 changes, the saved bytes must equal those of `-p none`:
# neither the shape inference the pass manager ran for the pass nor
# anything else may leak into the output (passes/pass.h). Output is TAP,
# one line per fixture.

set -u
opt=$1
fixtures=$2

work=$(mktemp -d /tmp/onnxopt-untouched-XXXXXX)
trap 'rm -rf "$work"' EXIT

# Pass names: the indented lines of --list-passes.
passes=$("$opt" --list-passes | awk '/^  / {print $1}')
[ -n "$passes" ] || { echo "Bail out! --list-passes listed nothing"; exit 1; }

n=0
failed=0
checked=0
for model in "$fixtures"/*.onnx; do
	name=$(basename "$model" .onnx)
	n=$((n + 1))
	if ! "$opt" -p none "$model" "$work/none.onnx" 2>"$work/err"; then
		failed=$((failed + 1))
		echo "not ok $n - $name: -p none failed: $(tail -1 "$work/err")"
		continue
	fi
	bad=""
	for pass in $passes; do
		if ! "$opt" -p "$pass" --stats "$model" "$work/out.onnx" \
			2>"$work/stats"; then
			bad="$bad $pass(failed: $(tail -1 "$work/stats"))"
			continue
		fi
		# The pass's own rows of the timing table: "NAME ITER CHANGES MS".
		changes=$(awk -v p="$pass" '$1 == p && NF == 4 {c += $3}
		                            END {print c + 0}' "$work/stats")
		[ "$changes" -eq 0 ] || continue
		checked=$((checked + 1))
		cmp -s "$work/none.onnx" "$work/out.onnx" || bad="$bad $pass"
	done
	if [ -n "$bad" ]; then
		failed=$((failed + 1))
		echo "not ok $n - $name: 0 changes but output differs from -p none:$bad"
	else
		echo "ok $n - $name"
	fi
done
n=$((n + 1))
if [ "$checked" -gt 0 ]; then
	echo "ok $n - $checked (pass, fixture) runs with 0 changes compared"
else
	failed=$((failed + 1))
	echo "not ok $n - no run reported 0 changes: nothing was compared"
fi
echo "1..$n"
[ "$failed" -eq 0 ]
