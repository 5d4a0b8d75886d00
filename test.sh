#!/usr/bin/env bash
# Runs the test suite: installs what the tests need, builds, tests, and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
scripts/setup.sh --reference || exit 1
results="$(mktemp -d)"
dotnet test VisionLab.sln -c Release --nologo --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?
passed=0; failed=0
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
rm -rf "$results"
if ((status != 0 && failed == 0)); then failed=1; echo "test.sh: dotnet test exited with $status" >&2; fi
echo "$passed passed, $failed failed"
exit $status
