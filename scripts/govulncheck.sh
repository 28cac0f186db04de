#!/usr/bin/env bash
# Check docflow's code against the Go vulnerability database, offline.
#
#   scripts/govulncheck.sh            scan ./... (the default)
#   scripts/govulncheck.sh -show verbose ./cmd/...
#
# govulncheck fails (exit 3) when the code calls a vulnerable function of a
# dependency or of the standard library; vulnerabilities in code that is
# imported but never called are only counted in the summary.
#
# The public database server cannot be reached from our machines, but the Go
# module proxy can, and it serves both the tool (golang.org/x/vuln) and the
# database's source (golang.org/x/vulndb, whose data/osv/ holds one OSV JSON
# file per report).  So this script, with every version pinned below:
#   1. installs govulncheck, and x/vulndb's own cmd/indexdb, into the cache;
#   2. fetches the x/vulndb module with `go mod download` (checked against
#      go.sum's checksum database like any module);
#   3. builds the database in govulncheck's v1 layout (index/db.json,
#      index/modules.json, ID/GO-*.json) with indexdb, once per version;
#   4. runs `govulncheck -db file://DB`.
#
# The database is therefore as of VULNDB_VERSION's commit date (its pseudo-
# version's timestamp): vulnerabilities published later are not known.  To
# update it, take the newest version the proxy serves,
#     GOWORK=off go list -m golang.org/x/vulndb@latest
# and put its version in VULNDB_VERSION;
# the next run builds the new database.  Update GOVULNCHECK_VERSION the same
# way from golang.org/x/vuln@latest.
#
# Environment:
#   DOCFLOW_VULN_CACHE   cache folder (default ${XDG_CACHE_HOME:-~/.cache}/docflow/govulncheck)
set -euo pipefail

GOVULNCHECK_VERSION=v1.9.0
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018

export GOWORK=off
export PATH=$PATH:/usr/local/go/bin
cd "$(dirname "$0")/.."

CACHE=${DOCFLOW_VULN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/docflow/govulncheck}
# govulncheck loads the code with the go/types of the Go that built it,
# which must be as new as the Go the module needs: one build per Go version.
TOOLS=$CACHE/bin/govulncheck-$GOVULNCHECK_VERSION-$(go env GOVERSION)
DBTOOLS=$CACHE/bin/vulndb-$VULNDB_VERSION
DB=$CACHE/db-$VULNDB_VERSION

say() { printf 'govulncheck.sh: %s\n' "$*" >&2; }

# install DIR PKG@VERSION: go install the command into DIR, unless there.
install() {
  local dir=$1 pkg=$2 bin
  bin=$dir/$(basename "${pkg%@*}")
  if [[ ! -x $bin ]]; then
    say "installing $pkg"
    mkdir -p "$dir"
    # GOFLAGS from the caller (say -mod=vendor) must not reach another module's build.
    GOFLAGS= GOBIN=$dir go install "$pkg"
  fi
}

install "$TOOLS" "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"

if [[ ! -f $DB/index/modules.json ]]; then
  install "$DBTOOLS" "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION"
  say "fetching golang.org/x/vulndb@$VULNDB_VERSION"
  src=$(GOFLAGS= go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -d $src/data/osv ]] || { say "no data/osv in golang.org/x/vulndb@$VULNDB_VERSION ($src)"; exit 1; }
  say "building the database in $DB"
  tmp=$(mktemp -d "$CACHE/db-build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  "$DBTOOLS/indexdb" -vulns "$src/data/osv" -out "$tmp/db"
  # A concurrent run may have won the race: its database is as good.
  mv -T "$tmp/db" "$DB" 2>/dev/null || [[ -f $DB/index/modules.json ]]
  rm -rf "$tmp"
  trap - EXIT
fi

# The OSV files carry no modification times (the public server sets them),
# so the pseudo-version's commit time is the database's date.
stamp=${VULNDB_VERSION#*-}
say "vulnerability database as of ${stamp:0:4}-${stamp:4:2}-${stamp:6:2} (golang.org/x/vulndb@$VULNDB_VERSION)"
[[ $# -gt 0 ]] || set -- ./...
# Without arguments of its own: fail on called vulnerabilities of modules
# (fixed by upgrading them); those of the standard library are listed, and
# fail only with DOCFLOW_VULN_STRICT=1, since their fix is a newer Go
# toolchain and the project pins Go 1.26 as installed on its machines.
if [[ $1 == ./... && $# -eq 1 ]]; then
  strict=()
  [[ ${DOCFLOW_VULN_STRICT:-} == 1 ]] && strict=(-strict)
  "$TOOLS/govulncheck" -db "file://$DB" -format json ./... | go run ./scripts/vulnfilter "${strict[@]}"
  exit
fi
exec "$TOOLS/govulncheck" -db "file://$DB" "$@"
