#!/usr/bin/env bash
# Runs the README's test command three times while a CPU burner keeps every core busy, the way a shared CI machine
# is, and fails if any run fails. Each run's summary is printed; the full logs stay in the log folder.
#
#   scripts/test-under-load.sh [runs (default 3)] [extra dotnet test arguments...]
#
# Examples: scripts/test-under-load.sh
#           scripts/test-under-load.sh 1 tests/MLNetInference.Serving.Tests   (one project, one run)
set -euo pipefail

runs="${1:-3}"
shift || true
target=("$@")
if [ ${#target[@]} -eq 0 ]; then
  target=(MLNetInference.sln)
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
logs="${TEST_UNDER_LOAD_LOGS:-$root/artifacts/test-under-load}"
mkdir -p "$logs"

burners=()
stop_burners() {
  for pid in "${burners[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait "${burners[@]}" 2>/dev/null || true
}
trap stop_burners EXIT INT TERM

cores="$(nproc)"
for _ in $(seq "$cores"); do
  yes > /dev/null &
  burners+=("$!")
done
echo "burning $cores cores (pids ${burners[*]}); $runs runs of: dotnet test ${target[*]} -c Release"

# Build once outside the timed runs, so that every run tests the same binaries.
dotnet build "${target[@]}" -c Release > "$logs/build.log" 2>&1 || { tail -n 30 "$logs/build.log"; echo "build failed"; exit 1; }

failed=0
for run in $(seq "$runs"); do
  log="$logs/run-$run.log"
  start=$(date +%s)
  if dotnet test "${target[@]}" -c Release --no-build > "$log" 2>&1; then
    status=passed
  else
    status=FAILED
    failed=$((failed + 1))
  fi

  echo "run $run: $status in $(( $(date +%s) - start )) s ($log)"
  grep -E "^(Passed|Failed)!|^[[:space:]]+Failed [A-Za-z]" "$log" | sed 's/^/  /' || true
done

if [ "$failed" -ne 0 ]; then
  echo "$failed of $runs runs failed under load"
  exit 1
fi

echo "all $runs runs passed under load"
