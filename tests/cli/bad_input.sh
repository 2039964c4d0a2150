#!/bin/bash
# bad_input.sh - onnx-opt fails cleanly on bad input and works on good input.
#
#     bad_input.sh ONNX_OPT MAKE_BAD_MODELS [FIXTURES_DIR]
#
# Every failure case asserts: exit status exactly 2, one line on stderr that
# starts with "onnx-opt: " and contains the case's key phrase, no output
# file created, a pre-existing output file left byte-for-byte as it was,
# and no OUT.tmp.* file left behind. The bad models are written by
# make_bad_models (protobuf-c), so no Python runs at test time.
# Output is TAP.

set -u
opt=$1
make_bad_models=$2
fixtures=${3:-}

work=$(mktemp -d /tmp/onnxopt-cli-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$make_bad_models" "$work" || { echo "Bail out! make_bad_models failed"; exit 1; }
models=$work

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

leftover_tmp() { compgen -G "$1.tmp.*" >/dev/null; }

# expect_failure NAME PHRASE ARGS... -- the last argument is the output.
# Runs twice: once with no output file, once over an existing one.
expect_failure() {
	local name=$1 phrase=$2
	shift 2
	local out=${!#}
	local variant status lines before after problems
	for variant in absent existing; do
		rm -f "$out"
		before=
		if [ $variant = existing ]; then
			printf 'precious bytes\n' >"$out"
			before=$(cksum <"$out")
		fi
		"$opt" "$@" >"$work/stdout" 2>"$work/stderr"
		status=$?
		problems=()
		[ $status -eq 2 ] || problems+=("exit status $status, want 2")
		lines=$(wc -l <"$work/stderr")
		[ "$lines" -eq 1 ] || problems+=("$lines lines on stderr, want 1")
		grep -q '^onnx-opt: ' "$work/stderr" ||
			problems+=("message does not start with 'onnx-opt: '")
		grep -qF -- "$phrase" "$work/stderr" ||
			problems+=("message lacks '$phrase'")
		if [ $variant = absent ]; then
			[ ! -e "$out" ] || problems+=("output file was created")
		else
			after=$(cksum <"$out" 2>/dev/null)
			[ "$before" = "$after" ] ||
				problems+=("existing output file was changed")
		fi
		leftover_tmp "$out" && problems+=("left $out.tmp.* behind")
		if [ ${#problems[@]} -eq 0 ]; then
			ok "$name ($variant output)"
		else
			not_ok "$name ($variant output)" "${problems[@]}" \
				"stderr: $(head -c 300 "$work/stderr")"
		fi
		rm -f "$out" "$out".tmp.*
	done
}

out=$work/out.onnx

# ----------------------------------------------------------- bad inputs

printf 'this is a text file, not a model\n' >"$work/text.onnx"
: >"$work/empty.onnx"
size=$(wc -c <"$models/good.onnx")
head -c $((size / 2)) "$models/good.onnx" >"$work/truncated.onnx"

expect_failure "missing input file" "$work/missing.onnx" \
	"$work/missing.onnx" "$out"
expect_failure "input is a directory" "not a regular file" "$work" "$out"
expect_failure "text file" "not an ONNX model" "$work/text.onnx" "$out"
expect_failure "random bytes" "not an ONNX model" "$models/random.bin" "$out"
expect_failure "empty file" "not an ONNX model" "$work/empty.onnx" "$out"
expect_failure "truncated protobuf" "truncated" "$work/truncated.onnx" "$out"
# The same for an exported model, when the fixtures are present.
if [ -n "$fixtures" ] && [ -f "$fixtures/bert_opset17.onnx" ]; then
	size=$(wc -c <"$fixtures/bert_opset17.onnx")
	head -c $((size / 2)) "$fixtures/bert_opset17.onnx" \
		>"$work/truncated_bert.onnx"
	expect_failure "truncated exported model" "truncated" \
		"$work/truncated_bert.onnx" "$out"
fi
expect_failure "undefined value" "undefined value 'ghost'" \
	"$models/undefined_value.onnx" "$out"
expect_failure "undefined value names the node" "'reads_ghost'" \
	"$models/undefined_value.onnx" "$out"
expect_failure "cycle" "cycle through node 'spin_" \
	"$models/cycle.onnx" "$out"
expect_failure "duplicate definition" "'twice' is defined twice" \
	"$models/duplicate.onnx" "$out"
expect_failure "unknown pass name" "unknown pass or group 'no_such_pass'" \
	-p dce,no_such_pass "$models/good.onnx" "$out"
expect_failure "unknown pass, bad input too: usage is reported first" \
	"unknown pass" -p no_such_pass "$work/text.onnx" "$out"
expect_failure "unknown --print-after pass" "unknown pass 'nope'" \
	--print-after nope "$models/good.onnx" "$out"
expect_failure "empty pass list" "empty pass list" -p "" \
	"$models/good.onnx" "$out"
expect_failure "pass list of only commas" "empty pass list" -p " , " \
	"$models/good.onnx" "$out"
expect_failure "negative size other than -1" \
	"--fold-size-limit must be a size in bytes or -1" \
	--fold-size-limit -2 "$models/good.onnx" "$out"
expect_failure "missing output argument" "expected IN and OUT" "$out"
expect_failure "--input-shape without NAME:" "expects NAME:D0,D1" \
	--input-shape 1,2 "$models/good.onnx" "$out"
expect_failure "--input-shape with an empty dim" "empty dim" \
	--input-shape x:1,,2 "$models/good.onnx" "$out"
expect_failure "--dim-param without a size" "expects NAME=SIZE" \
	--dim-param batch=-1 "$models/good.onnx" "$out"
if [ -n "$fixtures" ] && [ -f "$fixtures/vit_block.onnx" ]; then
	vit=$fixtures/vit_block.onnx
	expect_failure "--input-shape: unknown input" "no input 'pixels'" \
		--input-shape pixels:1,3,16,16 "$vit" "$out"
	expect_failure "--input-shape: wrong rank" \
		"input 'pixel_values' has rank 4, the spec gives 3" \
		--input-shape pixel_values:1,3,16 "$vit" "$out"
	expect_failure "--input-shape: contradicts a fixed dim" \
		"input 'pixel_values' dim 2 is fixed to 16, not 32" \
		--input-shape pixel_values:1,3,32,16 "$vit" "$out"
	expect_failure "--input-shape: a symbol for a fixed dim" \
		"dim 1 is fixed to 3, not the symbol 'c'" \
		--input-shape pixel_values:1,c,16,16 "$vit" "$out"
	expect_failure "--dim-param: no input has the name" \
		"no input of the model has a dim named 'sequence'" \
		--dim-param sequence=8 "$vit" "$out"
fi
expect_failure "bad option" "bad option" --no-such-option \
	"$models/good.onnx" "$out"

# Output directory does not exist: reported, nothing created.
"$opt" "$models/good.onnx" "$work/no/such/dir/out.onnx" 2>"$work/stderr"
status=$?
if [ $status -eq 2 ] && grep -qF "cannot create" "$work/stderr" &&
	[ ! -e "$work/no" ]; then
	ok "unwritable output path"
else
	not_ok "unwritable output path" "exit $status" "$(cat "$work/stderr")"
fi

# --------------------------------------------------------------- success

check() { # NAME COMMAND... ; passes when the command succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

rm -f "$out"
"$opt" "$models/good.onnx" "$out" 2>"$work/stderr"
status=$?
check "default pipeline: exit 0" [ $status -eq 0 ]
check "default pipeline: output exists" [ -s "$out" ]
check "default pipeline: quiet" [ ! -s "$work/stderr" ]
check "default pipeline: no temporary left" eval '! leftover_tmp "$out"'
check "default pipeline: output loads again" \
	"$opt" -p none "$out" "$work/again.onnx"

"$opt" -p none "$models/good.onnx" "$out"
check "-p none reproduces the input bytes" cmp -s "$models/good.onnx" "$out"

printf 'old contents\n' >"$out"
"$opt" -p none "$models/good.onnx" "$out"
check "success replaces an existing output" cmp -s "$models/good.onnx" "$out"

# In place: the input is mapped while the output replaces it by rename.
cp "$models/good.onnx" "$work/inplace.onnx"
"$opt" -p none "$work/inplace.onnx" "$work/inplace.onnx"
check "in place, -p none: same bytes" cmp -s "$models/good.onnx" \
	"$work/inplace.onnx"
"$opt" -p dce "$work/inplace.onnx" "$work/inplace.onnx" &&
	"$opt" --stats -p none "$work/inplace.onnx" "$work/again.onnx" \
		2>"$work/stats"
check "in place, -p dce: dead Neg gone" grep -qE '^total +2 +2$' "$work/stats"

"$opt" -p none "$models/good.onnx" - >"$work/stdout.onnx"
check "'-' writes to stdout" cmp -s "$models/good.onnx" "$work/stdout.onnx"
"$opt" -p none - "$out" <"$models/good.onnx"
check "'-' reads stdin" cmp -s "$models/good.onnx" "$out"

"$opt" --stats -p dce "$models/good.onnx" "$out" 2>"$work/stats"
status=$?
check "--stats: exit 0" [ $status -eq 0 ]
check "--stats: table header" grep -qE '^op +before +after$' "$work/stats"
check "--stats: dead Neg counted 1 -> 0" grep -qE '^Neg +1 +0$' "$work/stats"
check "--stats: Relu kept 1 -> 1" grep -qE '^Relu +1 +1$' "$work/stats"
check "--stats: totals 3 -> 2" grep -qE '^total +3 +2$' "$work/stats"
check "--stats: pass timing row" grep -qE '^dce +1 +1 ' "$work/stats"

"$opt" -p dce --print-after dce "$models/good.onnx" "$out" 2>"$work/print"
status=$?
check "--print-after: exit 0" [ $status -eq 0 ]
check "--print-after: header names the pass" \
	grep -qE '^; after pass dce \(iteration 1, 1 changes\)$' "$work/print"
check "--print-after: the dump shows the kept Relu" \
	grep -qE ' = Relu\(%' "$work/print"
check "--print-after: the dead Neg is gone" eval '! grep -q "Neg(" "$work/print"'

"$opt" --list-passes >"$work/list"
status=$?
check "--list-passes: exit 0" [ $status -eq 0 ]
check "--list-passes: lists dce" grep -qE '^  dce ' "$work/list"
check "--list-passes: default pipeline" grep -q '^default pipeline: ' "$work/list"

"$opt" --help >"$work/help"
status=$?
check "--help: exit 0" [ $status -eq 0 ]
check "--help: usage line" grep -q '^usage: onnx-opt ' "$work/help"

"$opt" --version >"$work/version"
status=$?
check "--version: exit 0" [ $status -eq 0 ]
check "--version: one line" grep -qxE 'onnx-opt [0-9]+\.[0-9]+\.[0-9]+' \
	"$work/version"

# Input-shape specialization: with every input fixed, no Shape is left;
# a dim kept symbolic by name keeps its Shape arithmetic.
if [ -n "$fixtures" ] && [ -f "$fixtures/bert_opset14.onnx" ]; then
	bert=$fixtures/bert_opset14.onnx
	"$opt" --stats --input-shape input_ids:2,5 \
		--input-shape attention_mask:2,5 \
		--input-shape token_type_ids:2,5 "$bert" "$out" 2>"$work/stats"
	check "--input-shape fixing every input: no Shape left" \
		grep -qE '^Shape +[0-9]+ +0$' "$work/stats"
	"$opt" --stats --dim-param batch=2 --dim-param sequence=5 \
		"$bert" "$out" 2>"$work/stats"
	check "--dim-param fixing every dim: no Shape left" \
		grep -qE '^Shape +[0-9]+ +0$' "$work/stats"
	"$opt" --stats --input-shape input_ids:2,sequence "$bert" "$out" \
		2>"$work/stats"
	check "--input-shape with a symbol: Shape stays" \
		grep -qE '^Shape +[0-9]+ +[1-9][0-9]*$' "$work/stats"
fi

# Real models, when the fixtures are present: dce with --verify succeeds.
if [ -n "$fixtures" ] && compgen -G "$fixtures/*.onnx" >/dev/null; then
	bad=()
	for model in "$fixtures"/*.onnx; do
		"$opt" --verify -p dce "$model" "$out" 2>"$work/stderr" ||
			bad+=("$(basename "$model"): $(cat "$work/stderr")")
	done
	if [ ${#bad[@]} -eq 0 ]; then
		ok "fixtures: -p dce --verify"
	else
		not_ok "fixtures: -p dce --verify" "${bad[@]}"
	fi
fi

echo "1..$n"
[ $failed -eq 0 ]
