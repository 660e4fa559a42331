#!/usr/bin/env bash
# The quantized rows of bench/repair (issue 14): `nncert repair --bits 8` on MANNERS-DB P1 for two
# architectures (the paper's setting: C = 50, S = 20, seed 100, 100 epochs, patience 20, batch 100,
# MSE, lr 0.01), the loop certifying the 8-bit QNetwork itself; then `nncert conform --target host`
# on each certified result. Reads ../shared/data/manners in place; skips cleanly when it is absent.
# usage: bench/repair/quantized_p1.sh [BUILD_DIR] [ARCHS (default "6x9 10x10")] [TIMEOUT_S (default 1800)]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build}
archs=${2:-"6x9 10x10"}
timeout=${3:-1800}
nncert="$build/nncert"
data="$here/../shared/data/manners/not_normallized.csv"
if [ ! -f "$data" ]; then
  echo "bench_repair (quantized): $data is absent (../shared/data/manners); skipping"
  exit 0
fi
[ -x "$nncert" ] || { echo "bench_repair (quantized): build nncert first ($nncert)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
widths() {  # "6x9" -> 28:9:9:9:9:9:9:8 (L hidden layers of N)
  local l=${1%x*} n=${1#*x} w=28
  for ((i = 0; i < l; i++)); do w="$w:$n"; done
  echo "$w:8"
}
# MSE 1st / end: the float master's test MSE (first and last round); Q MSE: the shipped QNetwork's.
printf '%-6s | %5s %8s %8s %8s %8s %8s %8s %5s | %-22s | %s\n' "LxN" "iter" "total s" "train s" "verif s" "MSE 1st" \
  "MSE end" "Q MSE" "cert" "input grid, accumulator" "conform host"
for arch in $archs; do
  set +e
  "$nncert" repair --bits 8 --arch "$(widths "$arch")" --data "$data" --columns "$here/examples/manners/columns.toml" \
    --property "$here/examples/manners/p1.vnnlib" --loss mse --epochs 100 --batch 100 --patience 20 --lr 0.01 \
    --counterexamples 50 --samples 20 --seed 100 --timeout "$timeout" --json -o "$out/$arch.nnc" \
    > "$out/$arch.json" 2> "$out/$arch.err"
  rc=$?
  conform="-"
  if [ "$rc" -eq 0 ]; then
    "$nncert" conform "$out/$arch.nnc" --target host --vectors 500 > "$out/$arch.conform" 2>&1
    conform=$([ $? -eq 0 ] && echo "0 mismatches" || echo "MISMATCH (see below)")
  fi
  set -e
  if [ ! -s "$out/$arch.json" ]; then
    echo "$arch: repair exited $rc: $(tail -n 1 "$out/$arch.err")"
    continue
  fi
  python3 - "$out/$arch.json" "$arch" "$conform" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
h = d["history"]
q = d.get("quantized", {})
print("%-6s | %5d %8.1f %8.1f %8.1f %8.4f %8.4f %8.4f %5s | %-22s | %s" % (
    sys.argv[2], len(h), d["seconds"], sum(i["train_seconds"] for i in h), sum(i["verify_seconds"] for i in h),
    h[0].get("test_mse", float("nan")), h[-1].get("test_mse", float("nan")), q.get("test_mse", float("nan")), "yes" if d["certified"] else "no",
    q.get("input", "-") + ", " + q.get("accumulator", "-"), sys.argv[3]))
PY
  if [ "$conform" = "MISMATCH (see below)" ]; then cat "$out/$arch.conform"; fi
done
exit 0
