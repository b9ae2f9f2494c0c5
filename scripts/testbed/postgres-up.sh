#!/bin/bash
# A throwaway PostgreSQL for pvefix's fleet tests (and for humans trying `serve --database`).
# Nothing goes into the system's configuration: a data directory under the state directory,
# owned by the `postgres` user (PostgreSQL refuses to run as root), listening on 127.0.0.1 on a
# free port and on a unix socket in the state directory, trust authentication for local
# connections only. Idempotent: a running bed is reused. Prints the connection URL (also in
# STATE/url) on its last line.
#
#   postgres-up.sh [--state DIR] [--port N] [--db NAME]   (defaults /tmp/pvefix-pg, free, pvefix)
set -euo pipefail
state=/tmp/pvefix-pg
port=
db=pvefix
while (($#)); do
  case $1 in
    --state) state=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    *) echo "postgres-up.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $db =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || { echo "postgres-up.sh: --db must match [a-z_][a-z0-9_]*, got $db" >&2; exit 2; }
bin=${PVEFIX_PG_BIN:-/usr/lib/postgresql/15/bin}
for tool in initdb pg_ctl postgres; do
  [[ -x $bin/$tool ]] || { echo "postgres-up.sh: $bin/$tool not found (apt-get install postgresql)" >&2; exit 1; }
done
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

mkdir -p "$state"
state=$(cd "$state" && pwd)
chmod 755 "$state"
data=$state/data
sock=$state/sock

alive() {
  [[ -f $data/postmaster.pid ]] || return 1
  local pid
  pid=$(head -1 "$data/postmaster.pid")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-D $data"
}

if alive && [[ -f $state/url ]]; then
  cat "$state/url"
  exit 0
fi

if [[ ! -f $data/PG_VERSION ]]; then
  rm -rf "$data"
  mkdir -p "$data" "$sock"
  if [[ $(id -u) == 0 ]]; then chown postgres:postgres "$data" "$sock"; fi
  chmod 700 "$data"
  as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$state/initdb.log" 2>&1 ||
    { cat "$state/initdb.log" >&2; exit 1; }
  # Only local connections exist at all: the socket and loopback.
  cat >"$data/pg_hba.conf" <<HBA
local all all trust
host all all 127.0.0.1/32 trust
HBA
fi
mkdir -p "$sock" "$state/log"
if [[ $(id -u) == 0 ]]; then chown postgres:postgres "$sock" "$state/log"; fi

if [[ -z $port ]]; then
  port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
fi
[[ $port =~ ^[0-9]+$ ]] || { echo "postgres-up.sh: --port must be a number, got $port" >&2; exit 2; }

# A stale postmaster.pid (a killed bed) would stop pg_ctl; alive() said nobody owns it.
rm -f "$data/postmaster.pid"
as_pg "$bin/pg_ctl" -D "$data" -l "$state/log/postgres.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $sock -c max_connections=200 -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
  start >/dev/null || { tail -20 "$state/log/postgres.log" >&2; exit 1; }

if ! as_pg "$bin/psql" -h "$sock" -p "$port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
  as_pg "$bin/createdb" -h "$sock" -p "$port" -U postgres "$db"
fi
echo "postgres://postgres@127.0.0.1:$port/$db" >"$state/url"
cat "$state/url"
