#!/usr/bin/env bash
# Make this machine ready to build, run and test docflow (Debian 12 bookworm).
#
#   PostgreSQL 15 + pgvector   database from DOCFLOW_POSTGRES_URL
#   MariaDB                    database from DOCFLOW_MARIADB_DSN
#   poppler-utils              pdftotext, pdfinfo, pdftoppm
#   tesseract-ocr              with the eng, fra and osd language data
#   chromium                   headless browser of the review desk's tests
#
# What already runs is reused; what is missing is installed from Debian
# packages and started.  pgvector is not packaged for bookworm's PostgreSQL
# 15, so it is built from Debian trixie's source package.  Installing needs
# root (or sudo); a run with nothing to do needs neither and takes well
# under a second, so `make test` calls it every time.
#
# Environment:
#   DOCFLOW_POSTGRES_URL   default postgres://postgres@127.0.0.1:5432/docflow?sslmode=disable
#   DOCFLOW_MARIADB_DSN    default root@tcp(127.0.0.1:3306)/docflow?parseTime=true&multiStatements=true
#   DOCFLOW_PG_MAJOR       PostgreSQL major version to install/build for (default 15)
#   DOCFLOW_SETUP_VERBOSE  1 = show apt/make output instead of logging it
set -euo pipefail

PG_MAJOR=${DOCFLOW_PG_MAJOR:-15}
PG_URL=${DOCFLOW_POSTGRES_URL:-"postgres://postgres@127.0.0.1:5432/docflow?sslmode=disable"}
MY_DSN=${DOCFLOW_MARIADB_DSN:-"root@tcp(127.0.0.1:3306)/docflow?parseTime=true&multiStatements=true"}
TRIXIE_SRC_LIST=/etc/apt/sources.list.d/trixie-src.list
LOG="${TMPDIR:-/tmp}/docflow-setup-$(id -u).log"
WAIT_SECONDS=60

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

# run CMD...: run a noisy command with its output in $LOG; on failure show
# the end of the log and stop.  Fd 9 (the lock) is closed so that daemons
# started here do not hold it.
run() {
  if [[ $1 == as_root && $EUID -ne 0 ]] && ! command -v sudo >/dev/null 2>&1; then
    die "root (or sudo) is needed to run: ${*:2}"
  fi
  if [[ ${DOCFLOW_SETUP_VERBOSE:-} == 1 ]]; then
    "$@" </dev/null 9>&- || die "command failed: $*"
    return
  fi
  printf '\n$ %s\n' "$*" >>"$LOG"
  if ! "$@" >>"$LOG" 2>&1 </dev/null 9>&-; then
    local lines=30
    [[ ${CI:-} == true ]] && lines=300
    tail -n "$lines" "$LOG" >&2
    die "command failed: $* (full log: $LOG)"
  fi
}

as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "root (or sudo) is needed to run: $*"
  fi
}

# ---------------------------------------------------------------- parsing

# postgres://[user[:password]@][host][:port][/dbname][?params]
parse_pg_url() {
  local re='^(postgres|postgresql)://(([^:@/]*)(:([^@/]*))?@)?(\[[^]/]*\]|[^:/?]*)(:([0-9]*))?(/([^?]*))?(\?.*)?$'
  [[ $PG_URL =~ $re ]] || die "cannot parse DOCFLOW_POSTGRES_URL (want postgres://user@host:port/db?...)"
  PG_SCHEME=${BASH_REMATCH[1]}
  PG_USERINFO=${BASH_REMATCH[2]}
  PG_USER=${BASH_REMATCH[3]:-$(id -un)}
  PG_PASS=${BASH_REMATCH[5]}
  PG_HOSTPORT=${BASH_REMATCH[6]}${BASH_REMATCH[7]}
  PG_HOST=${BASH_REMATCH[6]}
  PG_HOST=${PG_HOST#[}
  PG_HOST=${PG_HOST%]}
  PG_PORT=${BASH_REMATCH[8]:-5432}
  PG_DB=${BASH_REMATCH[10]:-$PG_USER}
  PG_PARAMS=${BASH_REMATCH[11]}
  [[ $PG_DB =~ ^[A-Za-z0-9_]+$ ]] || die "unsupported PostgreSQL database name '$PG_DB' (letters, digits, _)"
}

# URL of database $1 on the server of DOCFLOW_POSTGRES_URL.
pg_url_for() { printf '%s://%s%s/%s%s' "$PG_SCHEME" "$PG_USERINFO" "$PG_HOSTPORT" "$1" "$PG_PARAMS"; }

# [user[:password]@][tcp(host:port)|unix(path)]/dbname[?params]  (go-sql-driver/mysql)
parse_my_dsn() {
  local re='^(([^:@]*)(:(.*))?@)?(tcp\(([^)]*)\)|unix\(([^)]*)\))?/([^?]*)(\?.*)?$'
  [[ $MY_DSN =~ $re ]] || die "cannot parse DOCFLOW_MARIADB_DSN (want user@tcp(host:port)/db?...)"
  MY_USER=${BASH_REMATCH[2]:-root}
  MY_PASS=${BASH_REMATCH[4]}
  MY_SOCKET=${BASH_REMATCH[7]}
  MY_DB=${BASH_REMATCH[8]}
  local addr=${BASH_REMATCH[6]:-127.0.0.1:3306}
  if [[ $addr =~ ^(\[[^]]*\]|[^:]*)(:([0-9]+))?$ ]]; then
    MY_HOST=${BASH_REMATCH[1]:-127.0.0.1}
    MY_HOST=${MY_HOST#[}
    MY_HOST=${MY_HOST%]}
    MY_PORT=${BASH_REMATCH[3]:-3306}
  else
    die "cannot parse the address '$addr' in DOCFLOW_MARIADB_DSN"
  fi
  [[ $MY_DB =~ ^[A-Za-z0-9_]+$ ]] || die "unsupported MariaDB database name '$MY_DB' (letters, digits, _)"
}

# ---------------------------------------------------------------- probes

is_local_host() { [[ -z $1 || $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 || $1 == /* ]]; }

# port_open HOST PORT: something listens there (no client needed).
port_open() {
  if [[ $1 == /* ]]; then
    [[ -S $1/.s.PGSQL.$2 ]]
  else
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "${1:-127.0.0.1}" "$2" 2>/dev/null
  fi
}

pkg_installed() { [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]; }

pg_local() { is_local_host "$PG_HOST"; }
pg_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "${PG_HOST:-/var/run/postgresql}" -p "$PG_PORT" -t 2
  else
    port_open "$PG_HOST" "$PG_PORT"
  fi
}
# pg_sql DB SQL: one query, unaligned tuples-only output.
pg_sql() {
  PGCONNECT_TIMEOUT=5 PGOPTIONS='-c client_min_messages=warning' \
    psql -X -w -q -A -t -v ON_ERROR_STOP=1 -d "$(pg_url_for "$1")" -c "$2"
}
pg_login() { pg_sql postgres 'select 1' >/dev/null 2>&1; }

vector_installed_locally() {
  [[ -f /usr/share/postgresql/$PG_MAJOR/extension/vector.control &&
     -f /usr/lib/postgresql/$PG_MAJOR/lib/vector.so ]]
}

my_local() { [[ -n $MY_SOCKET ]] || is_local_host "$MY_HOST"; }
my_client() {
  local c
  for c in mariadb mysql; do
    command -v "$c" >/dev/null 2>&1 && { echo "$c"; return; }
  done
  return 1
}
my_conn_args() {
  if [[ -n $MY_SOCKET ]]; then
    printf '%s\n' --protocol=SOCKET -S "$MY_SOCKET"
  else
    printf '%s\n' --protocol=TCP -h "$MY_HOST" -P "$MY_PORT"
  fi
}
my_up() {
  if [[ -n $MY_SOCKET ]]; then [[ -S $MY_SOCKET ]]; else port_open "$MY_HOST" "$MY_PORT"; fi
}
# my_sql SQL: run statements as the DSN's user, tab-separated output.
my_sql() {
  local client args
  client=$(my_client) || return 1
  mapfile -t args < <(my_conn_args)
  if [[ -n $MY_PASS ]]; then
    MYSQL_PWD=$MY_PASS "$client" "${args[@]}" -u "$MY_USER" --connect-timeout=5 -N -B -e "$1"
  else
    "$client" "${args[@]}" -u "$MY_USER" --connect-timeout=5 -N -B -e "$1"
  fi
}
my_login() { my_sql 'select 1' >/dev/null 2>&1; }

# wait_for CMD...: poll CMD until it succeeds, for at most WAIT_SECONDS.
wait_for() {
  local i
  for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
    "$@" && return 0
    sleep 0.5
  done
  return 1
}

# ---------------------------------------------------------------- install

APT_UPDATED=0
apt_update() {
  [[ $APT_UPDATED == 1 ]] && return 0
  say "apt-get update..."
  run as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update
  APT_UPDATED=1
}
apt_install() {
  apt_update
  say "installing $*..."
  # C.UTF-8 so that a PostgreSQL cluster created by the package is UTF8.
  run as_root env DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$@"
}

# The Debian mirror the machine already uses (deb822 .sources or one-line
# .list), so that the trixie source line goes to the same host.
debian_mirror() {
  local f uri
  local pat='^[a-z+]+://.*/debian(/[0-9]+T[0-9]+Z)?/?$'
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk -v pat="$pat" 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) if ($i ~ pat) { print $i; exit } }' "$f")
    [[ -n $uri ]] && { echo "${uri%/}"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    uri=$(awk -v pat="$pat" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ pat) { print $i; exit } }' "$f")
    [[ -n $uri ]] && { echo "${uri%/}"; return; }
  done
  echo http://deb.debian.org/debian
}

# A deb-src line only makes source packages of trixie visible; apt never
# installs binaries from it.
add_trixie_sources() {
  local line
  line="deb-src $(debian_mirror) trixie main"
  if [[ -f $TRIXIE_SRC_LIST ]] && grep -qxF "$line" "$TRIXIE_SRC_LIST"; then
    return 0
  fi
  say "adding '$line' to $TRIXIE_SRC_LIST (source packages only)"
  printf '# Added by docflow scripts/setup.sh to build pgvector from source; sources only.\n%s\n' "$line" |
    as_root tee "$TRIXIE_SRC_LIST" >/dev/null
  APT_UPDATED=0
}

BUILD_DIR=
cleanup() { if [[ -n $BUILD_DIR ]]; then rm -rf "$BUILD_DIR"; fi; }
trap cleanup EXIT

build_pgvector() {
  local pg_config=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config src
  [[ -x $pg_config ]] || die "$pg_config is missing (package postgresql-server-dev-$PG_MAJOR)"
  apt_update
  BUILD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/docflow-pgvector.XXXXXX")
  chmod 0755 "$BUILD_DIR"
  # apt downloads as _apt; let it write here to avoid the "unsandboxed" warning.
  if [[ $EUID -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$BUILD_DIR"; fi
  say "downloading Debian's pgvector source package (trixie)..."
  run env -C "$BUILD_DIR" apt-get source pgvector/trixie
  src=$(find "$BUILD_DIR" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' -print -quit)
  [[ -n $src ]] || die "apt-get source pgvector unpacked nothing (see $LOG)"
  say "building ${src##*/} for PostgreSQL $PG_MAJOR..."
  # OPTFLAGS= : no -march=native, so the build runs on any x86-64/arm64 CPU
  # (as in Debian's own package).
  run make -C "$src" -j"$(nproc)" PG_CONFIG="$pg_config" OPTFLAGS=
  run as_root make -C "$src" PG_CONFIG="$pg_config" OPTFLAGS= install
  rm -rf "$BUILD_DIR"
  BUILD_DIR=
  vector_installed_locally || die "pgvector was built but its files are not under PostgreSQL $PG_MAJOR's directories"
}

# ---------------------------------------------------------------- services

pg_cluster_ctl() { run as_root pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" main "$1"; }

ensure_postgres() {
  if ! pg_up; then
    pg_local || die "PostgreSQL at $PG_HOST:$PG_PORT does not answer (not this machine; start it or fix DOCFLOW_POSTGRES_URL)"
    if [[ ! -f /etc/postgresql/$PG_MAJOR/main/postgresql.conf ]]; then
      say "creating PostgreSQL $PG_MAJOR cluster 'main' on port $PG_PORT..."
      run as_root pg_createcluster --locale=C.UTF-8 --encoding=UTF8 --port="$PG_PORT" "$PG_MAJOR" main
    fi
    say "starting PostgreSQL $PG_MAJOR..."
    pg_cluster_ctl start
    wait_for pg_up ||
      die "PostgreSQL did not accept connections on $PG_HOST:$PG_PORT within ${WAIT_SECONDS}s (see /var/log/postgresql/postgresql-$PG_MAJOR-main.log)"
  fi
  pg_login && return 0

  # The server runs but asks for a password: on this machine's own cluster,
  # trust local TCP connections (a fresh Debian cluster wants scram-sha-256).
  local hba=/etc/postgresql/$PG_MAJOR/main/pg_hba.conf err
  err=$(pg_sql postgres 'select 1' 2>&1 >/dev/null || true)
  if [[ $err == *"no password supplied"* || $err == *"authentication failed"* ]] &&
    [[ -z $PG_PASS ]] && pg_local && as_root test -f "$hba" && ! as_root grep -q 'docflow setup' "$hba"; then
    say "allowing password-less connections from 127.0.0.1 and ::1 in $hba"
    # shellcheck disable=SC2016 # expanded by the inner sh
    as_root sh -c 'set -e
      tmp=$(mktemp)
      { printf "# docflow setup: password-less local TCP connections (development / CI)\n"
        printf "host    all             all             127.0.0.1/32            trust\n"
        printf "host    all             all             ::1/128                 trust\n\n"
        cat "$1"; } >"$tmp"
      cat "$tmp" >"$1"
      rm -f "$tmp"' _ "$hba"
    pg_cluster_ctl reload
    WAIT_SECONDS=10 wait_for pg_login && return 0
  fi
  err=$(pg_sql postgres 'select 1' 2>&1 >/dev/null || true)
  die "cannot connect to PostgreSQL as $PG_USER at $PG_HOST:$PG_PORT: ${err:-unknown error}"
}

ensure_mariadb() {
  if ! my_up; then
    my_local || die "MariaDB at $MY_HOST:$MY_PORT does not answer (not this machine; start it or fix DOCFLOW_MARIADB_DSN)"
    [[ -x /usr/sbin/mariadbd ]] || die "/usr/sbin/mariadbd is missing (package mariadb-server)"
    if start-stop-daemon --status --exec /usr/sbin/mariadbd; then
      die "MariaDB runs but does not answer on ${MY_SOCKET:-$MY_HOST:$MY_PORT} (check DOCFLOW_MARIADB_DSN)"
    fi
    say "starting MariaDB..."
    as_root install -d -m 0755 -o mysql -g mysql /run/mysqld
    local args=(--user=mysql)
    if [[ -n $MY_SOCKET ]]; then args+=(--socket="$MY_SOCKET"); else args+=(--port="$MY_PORT"); fi
    # stderr is closed in the background: keep the error log somewhere.
    if [[ -d /var/log/mysql ]] && ! my_print_defaults --mysqld 2>/dev/null | grep -q -- '--log[-_]error'; then
      args+=(--log-error=/var/log/mysql/error.log)
    fi
    run as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- "${args[@]}"
    # It listens once it is ready to serve (earlier connections wait in the backlog).
    wait_for my_up ||
      die "MariaDB did not accept connections on ${MY_SOCKET:-$MY_HOST:$MY_PORT} within ${WAIT_SECONDS}s (see /var/log/mysql/error.log)"
  fi
  my_login && return 0

  # A fresh Debian MariaDB lets root in only through the Unix socket as OS
  # root.  Keep that, and add an empty password for TCP from this machine.
  if [[ $MY_USER == root && -z $MY_PASS ]] && my_local; then
    say "allowing password-less root logins to MariaDB from 127.0.0.1 and ::1"
    local client host sql
    client=$(my_client) || die "no MariaDB client (package mariadb-client)"
    sql="ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');"
    for host in 127.0.0.1 ::1; do
      sql+="CREATE USER IF NOT EXISTS 'root'@'$host' IDENTIFIED VIA mysql_native_password USING PASSWORD('');"
      sql+="ALTER USER 'root'@'$host' IDENTIFIED VIA mysql_native_password USING PASSWORD('');"
      sql+="GRANT ALL PRIVILEGES ON *.* TO 'root'@'$host' WITH GRANT OPTION;"
    done
    sql+="FLUSH PRIVILEGES;"
    run as_root "$client" --protocol=SOCKET -u root -e "$sql"
    my_login && return 0
  fi
  local err
  err=$(my_sql 'select 1' 2>&1 >/dev/null || true)
  die "cannot connect to MariaDB as $MY_USER at ${MY_SOCKET:-$MY_HOST:$MY_PORT}: ${err:-unknown error}"
}

# ---------------------------------------------------------------- main

take_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  local f
  f="${TMPDIR:-/tmp}/docflow-setup-$(id -u).lock"
  { exec 9>>"$f"; } 2>/dev/null || return 0
  if ! flock -n 9; then
    say "waiting for another setup run to finish..."
    flock 9
  fi
}

main() {
  local started=${EPOCHREALTIME//[.,]/}
  take_lock
  parse_pg_url
  parse_my_dsn

  # 1. Packages: decide everything first, then one apt-get install.
  local pkgs=() need_vector=0 c p
  for c in pdftotext pdfinfo pdftoppm; do
    command -v "$c" >/dev/null 2>&1 || { pkgs+=(poppler-utils); break; }
  done
  command -v tesseract >/dev/null 2>&1 || pkgs+=(tesseract-ocr)
  for p in tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-osd; do
    pkg_installed "$p" || pkgs+=("$p")
  done
  # The review desk's end-to-end tests drive Debian's chromium (chromedp).
  [[ -x /usr/bin/chromium ]] || pkgs+=(chromium)
  # The email intake's integration tests run a private Dovecot IMAP server.
  pkg_installed dovecot-imapd || pkgs+=(dovecot-imapd)
  if ! command -v psql >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1; then
    pkgs+=("postgresql-client-$PG_MAJOR")
  fi
  my_client >/dev/null || pkgs+=(mariadb-client)

  local pg_server_here=0
  if [[ -x /usr/lib/postgresql/$PG_MAJOR/bin/postgres ]]; then
    pg_server_here=1
  elif pg_local && ! port_open "$PG_HOST" "$PG_PORT"; then
    pkgs+=("postgresql-$PG_MAJOR")
    pg_server_here=1
  fi
  if [[ $pg_server_here == 1 ]] && pg_local && ! vector_installed_locally; then
    need_vector=1
    for p in build-essential dpkg-dev "postgresql-server-dev-$PG_MAJOR"; do
      pkg_installed "$p" || pkgs+=("$p")
    done
  fi
  if [[ ! -x /usr/sbin/mariadbd ]] && my_local && ! my_up; then
    pkgs+=(mariadb-server)
  fi

  if ((${#pkgs[@]} > 0 || need_vector)); then
    { : >"$LOG"; } 2>/dev/null || LOG=$(mktemp)
    say "details of this run go to $LOG"
    if [[ $need_vector == 1 ]]; then add_trixie_sources; fi
    if ((${#pkgs[@]} > 0)); then apt_install "${pkgs[@]}"; fi
    if [[ $need_vector == 1 ]]; then build_pgvector; fi
  fi

  # 2. Services.
  ensure_postgres
  ensure_mariadb

  # 3. Databases.
  local info enc has_db vector_version server_version
  info=$(pg_sql postgres "select
      (select pg_encoding_to_char(encoding) from pg_database where datname = 'template1'),
      (select count(*) from pg_database where datname = '$PG_DB'),
      coalesce((select default_version from pg_available_extensions where name = 'vector'), ''),
      current_setting('server_version')") || die "cannot query PostgreSQL at $PG_HOST:$PG_PORT"
  IFS='|' read -r enc has_db vector_version server_version <<<"$info"
  if [[ -z $vector_version ]]; then
    if pg_local && [[ ${server_version%%.*} != "$PG_MAJOR" ]]; then
      die "the PostgreSQL at $PG_HOST:$PG_PORT is version ${server_version%% *}, pgvector was set up for $PG_MAJOR (set DOCFLOW_PG_MAJOR=${server_version%%.*})"
    fi
    die "the PostgreSQL at $PG_HOST:$PG_PORT has no pgvector extension (a container? use one with pgvector, e.g. the pgvector/pgvector:pg$PG_MAJOR image)"
  fi
  [[ $enc == UTF8 ]] || say "warning: template1 of the PostgreSQL cluster has encoding $enc, not UTF8"
  if [[ $has_db == 0 ]]; then
    say "creating PostgreSQL database $PG_DB..."
    pg_sql postgres "create database \"$PG_DB\"" >/dev/null || die "cannot create PostgreSQL database $PG_DB"
  fi
  # In template1 too, so that the databases tests create have it.
  for p in template1 "$PG_DB"; do
    pg_sql "$p" 'create extension if not exists vector' >/dev/null ||
      die "cannot create extension vector in PostgreSQL database $p"
  done

  local my_version
  my_version=$(my_sql "create database if not exists \`$MY_DB\` character set utf8mb4; select version();") ||
    die "cannot create MariaDB database $MY_DB"

  # 4. Go is not a Debian package here: it lives in /usr/local/go.
  if ! command -v go >/dev/null 2>&1 && [[ ! -x /usr/local/go/bin/go ]]; then
    die "Go is not installed: unpack a Go release from https://go.dev/dl/ into /usr/local/go (see go.mod for the version)"
  fi

  local ms=$(((${EPOCHREALTIME//[.,]/} - started) / 1000))
  say "ok in $((ms / 1000)).$(printf '%02d' $((ms % 1000 / 10)))s: PostgreSQL ${server_version%% *} + pgvector $vector_version ($PG_HOST:$PG_PORT/$PG_DB)," \
    "MariaDB ${my_version%%-*} (${MY_SOCKET:-$MY_HOST:$MY_PORT}/$MY_DB), poppler, tesseract, chromium, dovecot"
}

main "$@"
