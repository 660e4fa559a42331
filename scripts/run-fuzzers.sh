#!/usr/bin/env bash
# Runs every libFuzzer target BUILD_DIR/*_fuzz for SECONDS each and prints one summary line per
# target. Exits non-zero if any target found a crash, leak, timeout or sanitizer report.
#
# Each target grows its own working corpus in fuzz-corpus/<target> (gitignored, kept between
# runs so coverage accumulates) and also reads the committed seeds in fuzz/corpus/<name>, where
# <name> is the target without "_fuzz". Reproducers land in fuzz-corpus/artifacts/<target>/ and
# the full log in fuzz-corpus/logs/<target>.log.
#
# Usage: scripts/run-fuzzers.sh BUILD_DIR SECONDS   (what `make fuzz` calls)
set -uo pipefail

if [[ $# -ne 2 || ! $2 =~ ^[0-9]+$ || $2 -eq 0 ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$1
seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/fuzz-corpus

# UBSan only reports and carries on by default; a finding must stop the run and fail it.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

shopt -s nullglob
targets=()
for exe in "$build"/*_fuzz; do
  [[ -f $exe && -x $exe ]] && targets+=("$exe")
done
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "no *_fuzz executables in $build (configure with -DNNCERT_FUZZ=ON and build first)" >&2
  exit 2
fi

# One line from a libFuzzer log: runs, coverage and corpus size from its last status line.
summarize() {
  local log=$1 runs cov corp
  runs=$(grep -oE 'Done [0-9]+ runs' "$log" | tail -1 | grep -oE '[0-9]+')
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
  echo "${runs:-?} runs, coverage ${cov:-?}, corpus ${corp:-?}"
}

failed=0
echo "fuzzing ${#targets[@]} target(s) for ${seconds}s each"
for exe in "${targets[@]}"; do
  target=$(basename "$exe")
  seeds=$root/fuzz/corpus/${target%_fuzz}
  corpus=$work/$target
  artifacts=$work/artifacts/$target/
  log=$work/logs/$target.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  dirs=("$corpus")
  [[ -d $seeds ]] && dirs+=("$seeds")
  # New inputs are written only to the first folder, so the committed seeds stay untouched.
  "$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "${dirs[@]}" >"$log" 2>&1
  status=$?
  if [[ $status -eq 0 ]]; then
    echo "  ok     $target: $(summarize "$log")"
  else
    failed=1
    crash=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | cut -d' ' -f5)
    echo "  FAILED $target (exit $status): $(grep -m1 -E 'ERROR: |runtime error:|==ERROR' "$log" || echo 'see log')"
    echo "         reproducer: ${crash:-none written}; log: $log"
  fi
done
exit $failed
