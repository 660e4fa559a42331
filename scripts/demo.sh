#!/usr/bin/env bash
# `make demo`: the longest pipeline that exists today — import, inspect, convert and evaluate
# ONNX models and verify ACAS Xu properties; then train, prune and verify a small net, abstract it
# (DeepAbstract) and verify through the abstraction, repair a regression net with CEGIS until a
# property holds, quantize the small net, verify the fixed-point net
# exactly, generate integer-only C++ and check it bit for bit on every installed target; finally
# the same chain as one `nncert certify` pipeline into a bundle that `nncert check` re-validates.
set -euo pipefail
build=${1:-build}
nncert="$build/nncert"
here=$(cd "$(dirname "$0")/.." && pwd)
data="$here/../shared/data"
out="$here/out/demo"
mkdir -p "$out"

step() { printf '\n== %s\n' "$*"; }
# Verification commands exit 1 (falsified) or 3 (unknown) on a valid run; only other codes stop the demo.
verdict() { "$@" || { rc=$?; [ "$rc" -eq 1 ] || [ "$rc" -eq 3 ] || exit "$rc"; }; }

if [ -d "$data/qvip" ]; then
  step "QVIP's Fashion-MNIST network (P4-6) from ONNX"
  "$nncert" info "$data/qvip/fashion-mnist_1blk_64_q6.onnx"
  "$nncert" convert "$data/qvip/fashion-mnist_1blk_64_q6.onnx" "$out/p4-6.nnc"
  step "Float evaluation on the Fashion-MNIST test set"
  "$nncert" eval "$out/p4-6.nnc" --data fashion-mnist
  step "ACAS Xu network 1_1 (MATLAB export, opset 8)"
  "$nncert" info "$data/acasxu/ACASXU_run2a_1_1_batch_2000.onnx"
  step "ACAS Xu VNN-LIB properties (VNN-COMP 2021): 1_1 against property 1 (unsat), 1_7 against property 3 (sat)"
  verdict "$nncert" verify "$data/acasxu/ACASXU_run2a_1_1_batch_2000.onnx" --vnnlib "$data/acasxu/prop_1.vnnlib" --timeout 20
  verdict "$nncert" verify "$data/acasxu/ACASXU_run2a_1_7_batch_2000.onnx" --vnnlib "$data/acasxu/prop_3.vnnlib" --timeout 20 \
    --results "$out/acas_1_7_prop_3.txt"
else
  echo "demo: ../shared/data is absent; using the repository's own PyTorch-exported model"
fi

step "A PyTorch-exported MLP with BatchNorm: ONNX -> .nnc -> ONNX round trip"
model="$here/tests/data/torch_batchnorm.onnx"
"$nncert" info "$model"
"$nncert" convert "$model" "$out/torch_batchnorm.nnc"
"$nncert" convert "$out/torch_batchnorm.nnc" "$out/torch_batchnorm_roundtrip.onnx"
"$nncert" info --json "$out/torch_batchnorm_roundtrip.onnx" | grep -m1 '"digest"'

step "Train a small MLP with BatchNorm on Fashion-MNIST, prune it, evaluate"
"$nncert" train --arch 784:32:16:10 --bn --data fashion-mnist --epochs 2 --batch 64 --threads 1 -o "$out/small.nnc"
"$nncert" prune weights "$out/small.nnc" --sparsity 0.7 --finetune 1 --threads 1 -o "$out/small_pruned.nnc"
"$nncert" eval "$out/small_pruned.nnc" --data fashion-mnist

step "Verify L-inf robustness (eps 0.01) of the pruned net on 10 test images: DeepPoly, then MILP"
verdict "$nncert" verify "$out/small_pruned.nnc" --robust linf:0.01 --data fashion-mnist --samples 0:9 --timeout 20

step "DeepAbstract: merge similar neurons (at most 1% accuracy drop), verify via the abstraction"
"$nncert" abstract "$out/small.nnc" --data fashion-mnist --max-drop 0.01 -o "$out/small_abs.nnc"
verdict "$nncert" verify "$out/small.nnc" --robust linf:0.005 --data fashion-mnist --samples 0:9 \
  --via-abstraction "$out/small_abs.nnc" --compare-direct

step "Repair (CEGIS): a regression net that breaks a property with a 0/1 input, repaired until certified"
# Raw a, b in 0..10 and a flag; target a + b + 2 flag. Property: with a <= 2 (0.2 scaled) and the
# flag set, the scaled output stays below 0.6 -- the data themselves reach 0.7 there.
awk 'BEGIN { srand(2); print "id,a,b,flag,target";
  for (i = 0; i < 900; i++) { a = 10 * rand(); b = 10 * rand(); f = i % 2; printf "%d,%.6f,%.6f,%d,%.6f\n", i, a, b, f, a + b + 2 * f } }' \
  > "$out/task.csv"
cat > "$out/task.toml" <<'TOML'
drop = ["id"]
inputs = [{ column = "a", divide = 10, clamp = [0, 1] }, { column = "b", divide = 10, clamp = [0, 1] },
          { column = "flag", binary = true }]
targets = [{ column = "target", divide = 20 }]
[split]
train = 600
validation = 150
shuffle = "seeded"
seed = 4
TOML
cat > "$out/cap.vnnlib" <<'VNNLIB'
; nncert's VNN-LIB superset: X_2 is a 0/1 input (Int)
(declare-const X_0 Real) (declare-const X_1 Real) (declare-const X_2 Int) (declare-const Y_0 Real)
(assert (<= 0 X_0)) (assert (<= X_0 0.2)) (assert (<= 0 X_1)) (assert (<= X_1 1))
(assert (<= 1 X_2)) (assert (<= X_2 1))
(assert (>= Y_0 0.6))
VNNLIB
"$nncert" repair --arch 3:10:10:1 --data "$out/task.csv" --columns "$out/task.toml" --property "$out/cap.vnnlib" \
  --loss mse --epochs 40 --batch 32 --lr 0.01 --patience 10 --counterexamples 20 --samples 10 --sigma 0.05 \
  --max-iterations 30 --seed 3 -o "$out/cap.nnc"
"$nncert" info "$out/cap.nnc" | tail -n 3

step "Quantize the pruned net to 8-bit fixed point (calibrated PTQ), evaluate it on exact integers"
"$nncert" quantize "$out/small_pruned.nnc" --bits 8 -o "$out/small_q8.nnc"
"$nncert" eval "$out/small_q8.nnc" --data fashion-mnist

step "Verify the quantized net exactly (ILP): L-inf radius 3 pixel levels on 5 test images"
verdict "$nncert" verify "$out/small_q8.nnc" --robust linf:3 --data fashion-mnist --samples 0:4 --encoding compact \
  --timeout 5 --results "$out/small_q8_robust.txt"

step "Generate integer-only C++11 for the quantized net"
"$nncert" codegen "$out/small_q8.nnc" -o "$out/small_q8_code" --name fmnist

step "Conformance: generated code vs the reference evaluator, bit for bit, on every installed target"
# Dataset samples, grid corners, random grid points and the counterexamples found above.
conform() { "$nncert" conform "$out/small_q8.nnc" --vectors 1000 --data fashion-mnist \
  --counterexamples "$out/small_q8_robust.txt" "$@"; }
# conform exits 2 naming the packages when a cross toolchain is missing: then the host only.
conform --target all || { rc=$?; [ "$rc" -eq 2 ] || exit "$rc"
  echo "demo: some cross toolchains are missing (\`make deps-targets\`); conformance on the host only"
  conform --target host; }

step "One pipeline from data to certified code: nncert certify (examples/certify/fashion_small.toml), then check"
# Run from the repository root so the example's relative settings read the same everywhere.
nncert_abs="$(cd "$(dirname "$nncert")" && pwd)/$(basename "$nncert")"
(cd "$here" && "$nncert_abs" certify examples/certify/fashion_small.toml -o "$out/fashion_small_bundle")
"$nncert" check "$out/fashion_small_bundle"
echo "demo: open $out/fashion_small_bundle/report.html in a browser"
