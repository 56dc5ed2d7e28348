#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Fuzz/) with address sanitizer and runs each for FUZZ_SECONDS,
# from seed corpora that scripts/fuzz/seeds.py writes. Fails on any crash, leak, timeout or
# out-of-memory; lld links them (gold fails on sanitized Swift objects). A finding is kept as .cache/fuzz/findings/HARNESS/crash-* for a regression test.
# Usage: scripts/fuzz/run.sh [HARNESS...]   (default: all)
# Environment: FUZZ_SECONDS (default 180); FUZZ_RUNS stops a harness after that many inputs instead
# (FUZZ_SECONDS then only bounds it).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-180}
all=(FuzzY4M FuzzPNM FuzzImageFile FuzzCascade FuzzModelFile FuzzLabels FuzzRunLog FuzzFlags)
harnesses=("${@:-${all[@]}}")
work=.cache/fuzz
scratch=.build-fuzz

mkdir -p "$work"
python3 scripts/fuzz/seeds.py "$work/seeds"
for h in "${harnesses[@]}"; do
  if ! FERCAM_FUZZ=1 swift build -c release --scratch-path "$scratch" --product "$h" \
      -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld \
      >"$work/build.log" 2>&1; then
    grep -E 'error' -A3 "$work/build.log" >&2 || tail -20 "$work/build.log" >&2
    echo "fuzz: building $h failed" >&2
    exit 1
  fi
done

status=0
summary="$work/summary.txt"
: > "$summary"
for h in "${harnesses[@]}"; do
  corpus="$work/corpus/$h" findings="$work/findings/$h"
  mkdir -p "$corpus" "$findings"
  log="$work/$h.log"
  # 2 GB RSS and 10 s per input are far above what any input may cost (docs/reliability.md).
  if ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=scripts/fuzz/lsan.supp "$scratch/release/$h" "$corpus" "$work/seeds/$h" \
      -max_total_time="$seconds" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
      -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result=FAILED status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  took=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o '[0-9]* second' | grep -o '[0-9]*' || echo "?")
  echo "$h: $result, $runs executions in ${took}s, corpus $(ls "$corpus" | wc -l) inputs" | tee -a "$summary"
  [ "$result" = ok ] || { grep -m3 -E 'ERROR|SUMMARY|==[0-9]+==' "$log" >&2 || true; ls "$findings" >&2; }
done
exit $status
