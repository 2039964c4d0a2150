#!/bin/sh
# Extra check on real exporter output that is too big to commit: exports
# torchvision CNNs (random weights; opsets 13 and 17, and with BatchNorm
# kept by TrainingMode.PRESERVE) and a torch.nn.TransformerEncoder model
# (opsets 13, 14, 17, dynamic batch and sequence) with Debian's
# python3-torch and python3-torchvision, runs onnx-opt's default pipeline
# with the verifier and --check=2 (its own evaluator) on each, and
# compares outputs with the ORT oracle.
#
#   tests/bench/exported_models.sh ONNX_OPT
#
# Prints a row per model (nodes before -> after, MATCH or MISMATCH) and a
# final "exported: N passed, M failed"; a failed --check fails the model.
set -u
opt=$1
here=$(cd "$(dirname "$0")/.." && pwd)
oracle="$here/oracle/oracle.mjs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" <<'PY' || exit 1
import sys, warnings
import torch, torchvision
warnings.filterwarnings("ignore")
out = sys.argv[1]
torch.manual_seed(0)
axes = {"image": {0: "batch"}, "logits": {0: "batch"}}
for name in ["resnet18", "mobilenet_v3_small", "squeezenet1_0",
             "efficientnet_b0", "shufflenet_v2_x0_5"]:
    m = getattr(torchvision.models, name)(weights=None).eval()
    x = torch.randn(1, 3, 224, 224)
    for opset in (13, 17):
        torch.onnx.export(m, x, f"{out}/{name}_{opset}.onnx",
                          opset_version=opset, input_names=["image"],
                          output_names=["logits"], dynamic_axes=axes)
    torch.onnx.export(m, x, f"{out}/{name}_bn.onnx", opset_version=13,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes=axes, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE)

class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(1000, 128)
        layer = torch.nn.TransformerEncoderLayer(
            128, 4, 512, activation="gelu", batch_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, 2)
        self.head = torch.nn.Linear(128, 10)

    def forward(self, ids, mask):
        h = self.enc(self.emb(ids), src_key_padding_mask=mask == 0)
        return self.head(h[:, 0])

m = Encoder().eval()
ids = torch.randint(0, 1000, (2, 16))
mask = torch.ones(2, 16, dtype=torch.int64)
seq = {0: "batch", 1: "sequence"}
for opset in (13, 14, 17):
    torch.onnx.export(m, (ids, mask), f"{out}/transformer_{opset}.onnx",
                      opset_version=opset,
                      input_names=["input_ids", "attention_mask"],
                      output_names=["logits"],
                      dynamic_axes={"input_ids": seq, "attention_mask": seq,
                                    "logits": {0: "batch"}})
PY
passed=0
failed=0
for model in "$tmp"/*.onnx; do
	name=$(basename "$model" .onnx)
	out="$tmp/$name.opt"
	if ! "$opt" --verify --stats --check=2 "$model" "$out" \
		2>"$tmp/stats"; then
		echo "$name: onnx-opt failed: $(tail -1 "$tmp/stats")"
		failed=$((failed + 1))
		continue
	fi
	nodes=$(awk '/^total /{print $2 " -> " $3}' "$tmp/stats")
	result=$(node "$oracle" compare "$model" "$out" --rtol 1e-3 \
		--atol 1e-4 --dim batch=2 --dim sequence=7 \
		--int-range attention_mask=0:1 | head -1)
	printf '%-28s %-12s %s\n' "$name" "$nodes" "$result"
	if [ "$result" = MATCH ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "exported: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
