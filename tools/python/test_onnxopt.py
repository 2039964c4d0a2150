"""Checks of the Python binding against the real library (no onnx import:
the model bytes come from a bundled fixture)."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnxopt  # noqa: E402

root = sys.argv[1]
fixture = os.path.join(root, "fixtures", "cnn_conv_bn.onnx")
original = open(fixture, "rb").read()
failures = 0
checks = 0


def check(name, condition):
    global failures, checks
    print(("ok   " if condition else "FAIL ") + name)
    checks += 1
    failures += 0 if condition else 1


check("version is a string", onnxopt.version().count(".") == 2)
check("'-p none' gives the bytes back",
      onnxopt.optimize(original, passes="none") == original)
names = [p[0] for p in onnxopt.list_passes()]
check("dce is listed", "dce" in names)
try:
    onnxopt.optimize(b"not a model", passes="none")
    check("bad bytes raise", False)
except onnxopt.OnnxOptError as e:
    check("bad bytes raise with a message", "not an ONNX model" in str(e))
try:
    onnxopt.optimize(original, passes="no_such_pass")
    check("unknown pass raises", False)
except onnxopt.OnnxOptError as e:
    check("unknown pass raises with its name", "no_such_pass" in str(e))
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "out.onnx")
    onnxopt.optimize_file(fixture, out, passes="dce")
    check("optimize_file writes a model", os.path.getsize(out) > 0)
    try:
        onnxopt.optimize_file(os.path.join(tmp, "missing.onnx"),
                              os.path.join(tmp, "never.onnx"))
    except onnxopt.OnnxOptError:
        pass
    check("a failed load leaves no output",
          not os.path.exists(os.path.join(tmp, "never.onnx")))
option_names = [o[0] for o in onnxopt.list_options()]
check("fold-size-limit is a listed option", "fold-size-limit" in option_names)
check("an option is a keyword",
      len(onnxopt.optimize(original, passes="dce", fold_size_limit=0)) > 0)
try:
    onnxopt.optimize(original, passes="dce", fold_size_limit="lots")
    check("a bad option value raises", False)
except onnxopt.OnnxOptError as e:
    check("a bad option value raises naming the option",
          "fold-size-limit" in str(e))
try:
    onnxopt.optimize(original, passes="dce", no_such_option=1)
    check("an unknown option raises", False)
except onnxopt.OnnxOptError as e:
    check("an unknown option raises naming it", "no-such-option" in str(e))
check("input-shape is a keyword (a list repeats it)",
      len(onnxopt.optimize(original, input_shape=["image:1,3,16,16"])) > 0)
try:
    onnxopt.optimize(original, input_shape="image:1,3,16")
    check("a wrong-rank input shape raises", False)
except onnxopt.OnnxOptError as e:
    check("a wrong-rank input shape raises naming the input",
          "'image'" in str(e))
print("python: %d passed, %d failed" % (checks - failures, failures))
sys.exit(1 if failures else 0)
