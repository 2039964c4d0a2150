#!/bin/sh
# Golden regression tests over the fixture models.
#
#   tests/golden.sh ONNX_OPT           check
#   tests/golden.sh ONNX_OPT --update  rewrite tests/golden/*.hist
#
# For every fixtures/*.onnx and every pipeline below, the op histogram after
# optimization must equal tests/golden/<fixture>.<pipeline>.hist exactly, and
# the ONNX Runtime oracle must find the optimized model computing what the
# original computes. A changed histogram fails until the golden file is
# deliberately updated with --update (review the diff before committing).
set -u
opt=$1
update=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
golden="$here/golden"
oracle="$here/oracle/oracle.mjs"
# convert17 / convert23: the default pipeline with --target-opset 17 / 23.
pipelines="default fold eliminate fuse dce convert17 convert23"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$golden"
passed=0
failed=0

# Inputs the oracle cannot guess: the Hugging Face-style decoders need
# total_sequence = past_sequence + sequence and position ids after the past.
oracle_args() {
	case $1 in
	hf_*) echo --dim batch=2 --dim sequence=3 --dim past_sequence=4 \
		--dim total_sequence=7 --int-range attention_mask=1:1 \
		--int-range position_ids=4:6 --int-range input_ids=0:63 \
		--int-range token_type_ids=0:1 ;;
	esac
}

fail() {
	echo "FAIL $1"
	failed=$((failed + 1))
}

for model in "$root"/fixtures/*.onnx; do
	name=$(basename "$model" .onnx)
	for p in $pipelines; do
		out="$tmp/$name.$p.onnx"
		case $p in
		default) set -- ;;
		convert*) set -- --target-opset "${p#convert}" ;;
		*) set -- -p "$p" ;;
		esac
		if ! "$opt" "$@" --stats "$model" "$out" 2>"$tmp/stats"; then
			fail "$name [$p]: onnx-opt failed: $(tail -1 "$tmp/stats")"
			continue
		fi
		# The "after" column of the --stats op table, ops with count > 0.
		awk '/^op +before +after$/ {t=1; next} /^total / {t=0}
		     t && NF == 3 && $3 > 0 {print $1, $3}' "$tmp/stats" \
			>"$tmp/hist"
		hist="$golden/$name.$p.hist"
		if [ "$update" = --update ]; then
			cp "$tmp/hist" "$hist"
		elif ! diff -u "$hist" "$tmp/hist" >"$tmp/diff" 2>&1; then
			fail "$name [$p]: op histogram differs from $hist"
			sed 's/^/    /' "$tmp/diff" | head -20
			continue
		fi
		# Identical bytes compute the same thing; skip the oracle then.
		if ! cmp -s "$model" "$out"; then
			# shellcheck disable=SC2046
			if ! node "$oracle" compare "$model" "$out" --rtol 1e-3 \
				--atol 1e-4 $(oracle_args "$name") >"$tmp/oracle" \
				2>&1; then
				fail "$name [$p]: oracle: $(tail -1 "$tmp/oracle")"
				continue
			fi
		fi
		passed=$((passed + 1))
	done
done
echo "golden: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
