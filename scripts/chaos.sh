#!/usr/bin/env bash
# chaos.sh runs docflow's fault-injection suite (package chaos, build tag
# chaos) against real processes and databases, and writes one report per
# scenario to docs/chaos/<scenario>.md.
#
#   CHAOS_DOCS=300 scripts/chaos.sh             # fewer documents, to iterate
#   CHAOS_SCENARIOS='WorkersKilled' scripts/chaos.sh
#
# CHAOS_DOCS is the number of documents of the workers-killed scenario
# (1000 by default; the others use at most 300); CHAOS_SCENARIOS is a
# regexp on the scenario names (TestChaos...). Needs root for the disk-full
# scenario's tmpfs (it skips otherwise), and the services of
# scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export DOCFLOW_TEST_REQUIRE_DB=1
run='Chaos'
if [ -n "${CHAOS_SCENARIOS:-}" ]; then
	run="Chaos.*(${CHAOS_SCENARIOS})"
fi
GOWORK=off go test -tags chaos -run "$run" -v -timeout 60m ./chaos/
