#!/usr/bin/env bash
# Run every fuzz target of docflow, one after another, for FUZZTIME each.
#
#   scripts/fuzz.sh                        every target, 30s each
#   FUZZTIME=5m scripts/fuzz.sh ./extractors/...
#   FUZZ='^FuzzReadSheet$' scripts/fuzz.sh ./extractors/reader
#
# `go test -fuzz` takes one target of one package per run, so the targets
# are listed with `go test -list '^Fuzz'` and run in turn.  `go test`
# without -fuzz (as `make test` runs it) already runs each target on its
# committed corpus (testdata/fuzz/FuzzXxx/) and its f.Add seeds.
#
# A failing input is written by Go to the package's testdata/fuzz/FuzzXxx/:
# fix the parser, keep the file as a regression seed, and commit both.  New
# inputs that widen coverage stay in Go's cache ($(go env GOCACHE)/fuzz);
# copy the interesting ones to testdata/fuzz/FuzzXxx/ to keep them.
#
# Arguments are package patterns (default ./...).  Environment:
#   FUZZTIME   time per target, as go test -fuzztime takes it (default 30s)
#   FUZZMINIMIZETIME  time to minimise each new input (default 5s; Go's
#              60s would spend a short run shrinking mutants of big seeds)
#   FUZZ       regexp of the targets to run (default: all)
#   FUZZFLAGS  more go test flags (say -parallel=2)
set -euo pipefail

export GOWORK=off
export PATH=$PATH:/usr/local/go/bin
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-30s}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-5s}
FUZZ=${FUZZ:-.}
[[ $# -gt 0 ]] || set -- ./...

# `go test -list` prints each package's matching names, then "ok  <pkg>".
if ! list=$(go test -list '^Fuzz' "$@" 2>&1); then
  printf '%s\n' "$list" >&2
  exit 1
fi
targets=() names=()
while read -r first second _; do
  case $first in
    Fuzz*) names+=("$first") ;;
    ok)
      for n in "${names[@]}"; do
        if [[ $n =~ $FUZZ ]]; then targets+=("$second $n"); fi
      done
      names=()
      ;;
  esac
done <<<"$list"

if [[ ${#targets[@]} -eq 0 ]]; then
  echo "fuzz.sh: no fuzz target in $*" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets, $FUZZTIME each"

failed=()
for t in "${targets[@]}"; do
  pkg=${t% *} name=${t#* }
  echo "=== $pkg $name"
  # shellcheck disable=SC2086 # FUZZFLAGS is a list of flags
  if ! go test -run='^$' -fuzz="^$name\$" -fuzztime="$FUZZTIME" -fuzzminimizetime="$FUZZMINIMIZETIME" ${FUZZFLAGS:-} "$pkg"; then
    failed+=("$pkg $name")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  printf 'fuzz.sh: FAILED %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "fuzz.sh: all ${#targets[@]} targets passed"
