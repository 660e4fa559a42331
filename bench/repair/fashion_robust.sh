#!/usr/bin/env bash
# The local-robustness row of bench/repair (issue 14; NeVer 2.0's verification-based adversarial
# learning): a small Fashion-MNIST net (784:32:16:10, 3 epochs, seed 1), its L_inf robustness at
# EPS on test samples A:B verified before, `nncert repair --robust` (fine-tuning, property
# penalty on), the repaired net verified again by the plain verifier; accuracy before and after.
# Fashion-MNIST comes from Debian (dataset-fashion-mnist); skips cleanly when it is absent.
# usage: bench/repair/fashion_robust.sh [BUILD_DIR] [EPS (default 0.02)] [SAMPLES (default 0:29)] [TIMEOUT_S (default 900)]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build}
eps=${2:-0.02}
samples=${3:-0:29}
timeout=${4:-900}
nncert="$build/nncert"
if [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
  echo "bench_repair (robustness): Fashion-MNIST is absent (Debian package dataset-fashion-mnist); skipping"
  exit 0
fi
[ -x "$nncert" ] || { echo "bench_repair (robustness): build nncert first ($nncert)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$nncert" train --arch 784:32:16:10 --data fashion-mnist --epochs 3 --seed 1 --json -o "$out/net.nnc" > "$out/train.json"
verify() {  # model -> "verified falsified unknown misclassified"
  "$nncert" verify "$1" --robust "linf:$eps" --samples "$samples" --data fashion-mnist --timeout 20 --json > "$out/v.json" || true
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["verified"], s["falsified"], s["unknown"], s["misclassified"])' "$out/v.json"
}
before=$(verify "$out/net.nnc")
set +e
"$nncert" repair "$out/net.nnc" --data fashion-mnist --robust "linf:$eps" --robust-samples "$samples" --retrain finetune \
  --epochs 1 --max-iterations 10 --timeout "$timeout" --json -o "$out/rep.nnc" > "$out/rep.json" 2> "$out/rep.err"
rc=$?
set -e
if [ ! -s "$out/rep.json" ]; then echo "repair exited $rc: $(tail -n 1 "$out/rep.err")"; exit 0; fi
after=$(verify "$out/rep.nnc")
python3 - "$out/rep.json" "$eps" "$samples" "$before" "$after" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
h = d["history"]
b, a = sys.argv[4].split(), sys.argv[5].split()
print("linf:%s on test samples %s (verified / falsified / unknown / misclassified)" % (sys.argv[2], sys.argv[3]))
print("%-8s | %-15s | %-15s | %8s %8s | %5s %8s %s" % ("net", "before", "after", "acc 1st", "acc end", "iter", "total s", "certified"))
print("%-8s | %-15s | %-15s | %8.4f %8.4f | %5d %8.1f %s" % ("784:32:16:10", "/".join(b), "/".join(a),
      h[0].get("test_accuracy", float("nan")), h[d.get("best_iteration", len(h) - 1)].get("test_accuracy", float("nan")),
      len(h), d["seconds"], "yes" if d["certified"] else "no"))
print("counterexamples per round: " + ", ".join(str(i["counterexamples"]) for i in h))
PY
