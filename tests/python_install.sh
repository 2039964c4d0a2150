#!/bin/sh
# python_install.sh - the Python module works from where `meson install`
# puts it, not from the source tree.
#
#     tests/python_install.sh BUILD_DIR
#
# Installs BUILD_DIR into a temporary DESTDIR tree, then runs
# /usr/bin/python3 with PYTHONPATH set to that tree's site-packages only
# (that is how a DESTDIR install is found; a real install is on the
# default path) and ONNXOPT_LIBRARY unset: import onnx and onnxopt,
# optimize an onnx.ModelProto with check=2, check the result, and run
# `python3 -m onnxopt IN OUT --check`. The module must load the library
# from the same tree.
set -eu
build=$1
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mktemp -d /tmp/onnxopt-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --no-rebuild --destdir "$dest" --quiet >/dev/null
package=$(find "$dest" -type d -name onnxopt -path '*-packages/*' | head -1)
[ -n "$package" ] || { echo "python_install: no onnxopt package installed"; exit 1; }
site=$(dirname "$package")
unset ONNXOPT_LIBRARY
cd "$dest" # not the source tree
PYTHONPATH=$site /usr/bin/python3 - "$root/fixtures/bert_opset17.onnx" "$dest" <<'PY'
import os
import sys

import onnx
import onnxopt

fixture, dest = sys.argv[1], sys.argv[2]
failures = 0


def check(name, ok):
    global failures
    print(("ok   " if ok else "FAIL ") + name)
    failures += 0 if ok else 1


check("onnxopt is imported from the installed tree",
      onnxopt.__file__.startswith(dest))
check("the library is loaded from the installed tree",
      onnxopt._lib._name.startswith(dest))
model = onnx.load(fixture)
optimized = onnxopt.optimize(model, check=2)
check("optimize(ModelProto) returns a ModelProto",
      isinstance(optimized, onnx.ModelProto))
onnx.checker.check_model(optimized)
check("the result is a valid, smaller model",
      0 < len(optimized.graph.node) < len(model.graph.node))
check("graph inputs and outputs keep their names",
      [i.name for i in optimized.graph.input] ==
      [i.name for i in model.graph.input] and
      [o.name for o in optimized.graph.output] ==
      [o.name for o in model.graph.output])
check("the argument is not changed", len(model.graph.node) == 206)
data = onnxopt.optimize(model.SerializeToString(), passes="dce")
check("bytes in, bytes out", isinstance(data, bytes))
try:
    onnxopt.optimize(model, no_such_option=1)
    check("an unknown option raises onnxopt.Error", False)
except onnxopt.Error as e:
    check("an unknown option raises onnxopt.Error",
          "no_such_option" in str(e).replace("-", "_"))
check("OnnxOptError is onnxopt.Error", onnxopt.OnnxOptError is onnxopt.Error)
out = os.path.join(dest, "out.onnx")
check("optimize(path, output=path)",
      onnxopt.optimize(fixture, output=out, check=True) == out and
      os.path.getsize(out) > 0)
sys.exit(1 if failures else 0)
PY
PYTHONPATH=$site /usr/bin/python3 -m onnxopt --check=2 \
	"$root/fixtures/cnn_conv_bn.onnx" "$dest/m.onnx" 2>"$dest/err"
grep -q "^check: 2 runs" "$dest/err" && [ -s "$dest/m.onnx" ] ||
	{ echo "FAIL python3 -m onnxopt IN OUT --check=2"; cat "$dest/err"; exit 1; }
echo "ok   python3 -m onnxopt IN OUT --check=2"
PYTHONPATH=$site /usr/bin/python3 -m onnxopt "$dest/missing.onnx" "$dest/x.onnx" 2>/dev/null &&
	{ echo "FAIL python3 -m onnxopt on a missing file exits 0"; exit 1; }
echo "ok   python3 -m onnxopt on a missing file fails"
