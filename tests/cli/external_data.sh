#!/bin/bash
# external_data.sh - tensors stored outside the model file, in and out.
#
#     external_data.sh ONNX_OPT LIBONNXOPT TESTDATA_DIR
#
# Models are generated at test time by make_external_models.py (python3
# with onnx); ONNX Runtime checks (tests/oracle) are skipped without its
# node_modules. Cases:
#  - path safety: each hostile location (absolute, `..` escaping, symlinks
#    resolving outside, not a regular file, offset + length past the end)
#    is refused with exit 2, one line naming the tensor and the location,
#    and no output file;
#  - reading: the Transpose of an external weight folds, the output goes to
#    another folder with its own data file, and ORT gives the same outputs;
#  - writing: -p none keeps every tensor's bytes; --external-data[=NAME],
#    -threshold and -align; '-' writes inline; in place works;
#  - a handful of ONNX backend models re-saved with external data pass
#    their recorded outputs under ORT after the default pipeline;
#  - the Python binding's base_dir.
# Output is TAP.

set -u
opt=$1
lib=$2
testdata=${3:-/usr/share/libonnx-testdata/data}
here=$(cd "$(dirname "$0")" && pwd)
oracle=$here/../oracle/oracle.mjs
python=/usr/bin/python3

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do echo "# $line"; done
}
check() { # NAME COMMAND... ; passes when the command succeeds
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name"; fi
}

if ! $python -c 'import onnx, numpy' 2>/dev/null; then
	echo "1..0 # SKIP python3 with onnx and numpy is missing"
	exit 0
fi
have_ort=false
[ -d "$here/../oracle/node_modules/onnxruntime-node" ] && have_ort=true
ort_check() { # NAME ORIGINAL OPTIMIZED
	if ! $have_ort; then
		skip "$1" "no onnxruntime-node"
		return
	fi
	local result
	result=$(node "$oracle" compare "$2" "$3" 2>&1)
	if [ "$result" = MATCH ]; then ok "$1"; else not_ok "$1" "$result"; fi
}

work=$(mktemp -d /tmp/onnxopt-extdata-XXXXXX)
trap 'rm -rf "$work"' EXIT
$python "$here/make_external_models.py" "$work" ||
	{ echo "Bail out! make_external_models.py failed"; exit 1; }
out=$work/out
mkdir -p "$out"

# ------------------------------------------------------------ path safety

refuse() { # NAME MODEL PHRASE
	local name=$1 model=$work/bad/$2 phrase=$3 location status problems=()
	location=$($python -c 'import onnx,sys; m=onnx.load(sys.argv[1], load_external_data=False); print([e.value for e in m.graph.initializer[0].external_data if e.key=="location"][0])' "$model")
	rm -f "$out"/refused.onnx*
	timeout 20 "$opt" "$model" "$out/refused.onnx" >/dev/null 2>"$work/stderr"
	status=$?
	[ $status -eq 2 ] || problems+=("exit status $status, want 2")
	[ "$(wc -l <"$work/stderr")" -eq 1 ] || problems+=("not one line")
	grep -qF "tensor 'W'" "$work/stderr" || problems+=("no tensor name")
	grep -qF "'$location'" "$work/stderr" || problems+=("no location")
	grep -qF "$phrase" "$work/stderr" || problems+=("lacks '$phrase'")
	compgen -G "$out/refused.onnx*" >/dev/null &&
		problems+=("an output file was created")
	if [ ${#problems[@]} -eq 0 ]; then
		ok "refuses $name"
	else
		not_ok "refuses $name" "${problems[@]}" "$(cat "$work/stderr")"
	fi
}
refuse "an absolute location" absolute.onnx "is absolute"
refuse "'..' escaping the folder" dotdot.onnx "escapes the model's folder"
refuse "'sub/../..' escaping the folder" dotdot_deep.onnx \
	"escapes the model's folder"
refuse "a symlink to an absolute path outside" symlink_absolute.onnx \
	"symlink that resolves outside"
refuse "a symlink to '../' outside" symlink_relative.onnx \
	"symlink that resolves outside"
refuse "a symlinked folder leading outside" symlink_dir.onnx \
	"symlink that resolves outside"
refuse "a folder as location" directory.onnx "is not a regular file"
refuse "a FIFO as location (without blocking)" fifo.onnx \
	"is not a regular file"
refuse "offset + length past the end" past_end.onnx "is too short"
refuse "offset past the end" offset_past_end.onnx "is too short"
refuse "a missing data file" missing.onnx "cannot be opened"

# ---------------------------------------------------------------- reading

good=$work/good
initializers() { # MODEL -> "name dims location" per line, external or not
	$python - "$1" <<'PY'
import onnx, sys
m = onnx.load(sys.argv[1], load_external_data=False)
for t in m.graph.initializer:
    ext = {e.key: e.value for e in t.external_data}
    print(t.name, list(t.dims), ext.get("location", "-"),
          ext.get("offset", "-"))
PY
}
count_op() { # MODEL OP
	$python -c 'import onnx,sys; m=onnx.load(sys.argv[1], load_external_data=False); print(sum(n.op_type==sys.argv[2] for n in m.graph.node))' "$1" "$2"
}
same_tensors() { # A B : every initializer's values equal, by name
	$python - "$1" "$2" <<'PY'
import onnx, sys
from onnx import numpy_helper
a, b = (onnx.load(p) for p in sys.argv[1:3])
ta = {t.name: numpy_helper.to_array(t) for t in a.graph.initializer}
tb = {t.name: numpy_helper.to_array(t) for t in b.graph.initializer}
sys.exit(0 if ta.keys() == tb.keys() and all(
    ta[k].dtype == tb[k].dtype and ta[k].shape == tb[k].shape and
    ta[k].tobytes() == tb[k].tobytes() for k in ta) else 1)
PY
}

"$opt" "$good/model.onnx" "$out/model.onnx" 2>"$work/stderr"
check "default pipeline on external data: exit 0" [ $? -eq 0 ]
check "the external weight's Transpose folded" \
	[ "$(count_op "$out/model.onnx" Transpose)" = 0 ]
check "the output's data file sits beside it" [ -s "$out/model.onnx.data" ]
check "the output refers to its own data file" \
	grep -q "^Wt \[32, 64\] model.onnx.data " \
	<(initializers "$out/model.onnx")
ort_check "ORT: same outputs, output in another folder" \
	"$good/model.onnx" "$out/model.onnx"
"$opt" "$good/via_link.onnx" "$out/via_link.onnx"
check "a symlink inside the folder is followed" [ $? -eq 0 ]
ort_check "ORT: same outputs through the symlink" \
	"$good/model.onnx" "$out/via_link.onnx"

# ---------------------------------------------------------------- writing

"$opt" -p none "$good/model.onnx" "$out/none.onnx"
check "-p none: exit 0" [ $? -eq 0 ]
check "-p none keeps every tensor's bytes" \
	same_tensors "$good/model.onnx" "$out/none.onnx"
check "-p none: W stays external, B stays inline" \
	diff <(initializers "$out/none.onnx" | awk '{print $1, $4}') \
	<(printf 'W none.onnx.data\nB -\n')
"$opt" -p none "$good/model.onnx" - >"$out/stdout.onnx"
check "'-': written inline" same_tensors "$good/model.onnx" \
	"$out/stdout.onnx"
check "'-': no external reference left" \
	eval '! initializers "$out/stdout.onnx" | grep -q data'

cp -r "$good" "$work/inplace"
"$opt" "$work/inplace/model.onnx" "$work/inplace/model.onnx"
check "in place: exit 0" [ $? -eq 0 ]
ort_check "ORT: in place gives the same outputs" "$good/model.onnx" \
	"$work/inplace/model.onnx"

"$opt" --external-data "$work/inline.onnx" "$out/forced.onnx"
check "--external-data: data file beside OUT" [ -s "$out/forced.onnx.data" ]
check "--external-data: the weight goes, the 256-byte bias stays" \
	[ "$(initializers "$out/forced.onnx" | grep -c forced.onnx.data)" = 1 ]
ort_check "ORT: --external-data gives the same outputs" \
	"$work/inline.onnx" "$out/forced.onnx"
"$opt" -p none --external-data=weights.bin --external-data-threshold 0 \
	--external-data-align 64 "$work/inline.onnx" "$out/named.onnx"
check "--external-data=NAME names the file" [ -s "$out/weights.bin" ]
check "--external-data-threshold 0: every tensor goes" \
	[ "$(initializers "$out/named.onnx" | grep -c weights.bin)" = 2 ]
check "--external-data-align 64: offsets are multiples of 64" \
	eval '[ -z "$(initializers "$out/named.onnx" | awk "\$4 % 64")" ]'
check "--external-data, -p none: bytes kept" \
	same_tensors "$work/inline.onnx" "$out/named.onnx"
"$opt" --external-data=../escape.bin "$work/inline.onnx" "$out/x.onnx" \
	2>"$work/stderr"
check "--external-data=../NAME is refused (exit 2)" [ $? -eq 2 ]
check "--external-data=../NAME: nothing written" \
	eval '[ ! -e "$out/x.onnx" ] && [ ! -e "$work/escape.bin" ]'

# ------------------------------------------ backend models, external data

cases=(test_Conv2d test_Conv2d_no_bias test_Conv1d_groups test_Embedding
	test_ConvTranspose2d test_Conv3d)
for name in "${cases[@]}"; do
	case_dir=$testdata/pytorch-converted/$name
	if [ ! -f "$case_dir/model.onnx" ]; then
		skip "backend $name with external data" "no test data"
		continue
	fi
	mkdir -p "$work/in_$name" "$work/out_$name"
	$python - "$case_dir/model.onnx" "$work/in_$name/model.onnx" <<'PY'
import onnx, sys
m = onnx.load(sys.argv[1])
onnx.save_model(m, sys.argv[2], save_as_external_data=True,
                all_tensors_to_one_file=True, location="model.data",
                size_threshold=0)
PY
	"$opt" "$work/in_$name/model.onnx" "$work/out_$name/model.onnx" \
		2>"$work/stderr" ||
		{ not_ok "backend $name with external data" "$(cat "$work/stderr")"; continue; }
	if ! $have_ort; then
		skip "backend $name with external data" "no onnxruntime-node"
		continue
	fi
	result=$(node "$oracle" backend "$case_dir" \
		"$work/out_$name/model.onnx" 2>&1)
	if [ "$result" = PASS ]; then
		ok "backend $name with external data: PASS under ORT"
	else
		not_ok "backend $name with external data" "$result"
	fi
done

# ---------------------------------------------------------------- binding

# A sanitizer build's library cannot load into an uninstrumented python.
if ldd "$lib" 2>/dev/null | grep -q libasan; then
	skip "Python: optimize(base_dir=...)" "sanitizer build"
	echo "1..$n"
	[ $failed -eq 0 ]
	exit
fi
ONNXOPT_LIBRARY=$lib $python - "$here/../../tools/python" "$good" <<'PY' \
	>"$work/py" 2>&1
import sys
sys.path.insert(0, sys.argv[1])
import onnxopt, onnx
data = open(sys.argv[2] + "/model.onnx", "rb").read()
out = onnxopt.optimize(data, passes="none", base_dir=sys.argv[2])
m = onnx.load_from_string(out)
assert all(not t.external_data for t in m.graph.initializer), "external"
try:
    onnxopt.optimize(data, base_dir="/nonexistent")
except onnxopt.OnnxOptError as e:
    assert "weights.bin" in str(e), str(e)
else:
    raise SystemExit("a missing base_dir was accepted")
print("fine")
PY
check "Python: optimize(base_dir=...) reads external data inline" \
	grep -qx fine "$work/py"

echo "1..$n"
[ $failed -eq 0 ]
