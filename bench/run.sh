#!/usr/bin/env bash
# The benchmark harness: the API's hot paths side by side with a raw-Npgsql host (R), pgbench running the
# same statements (PG) and, when Node.js is installed, the peer: S1 and S2 written with Fastify, drizzle-orm and
# node-postgres (PEER, bench/peer-node/README.md), in the same run, on the same data and at the same concurrency.
# See bench/README.md.
#   flock /tmp/crm-heavy.lock bench/run.sh
# Options (environment): SETS=small|large|both (both), ROUNDS (5), SECONDS (10 per measurement),
# CONNECTIONS ("16 64"), WARMUP (30 s per scenario and host), POOL (connection pool of API and R: 2 per core), BENCH_SUITE=1 (also time `dotnet test`), BENCH_APPHOST=0 (skip the AppHost start timing),
# BENCH_SEED_ONLY=1 (only migrate and seed the sets, e.g. the large one ahead of a run), BENCH_PEER=0 (skip the
# peer), BENCH_FLOOD_ONLY=1 (only the FLOOD scenario: S1 alone and during a login flood, report in
# bench/results/report-flood.md), FLOOD_CONNECTIONS (64 per flooding address), API_PORT, RAW_PORT, PEER_PORT
# (5501, 5502, 5503), REPORT (bench/results/report.md).
# Needs: PostgreSQL 15 server binaries, wrk, pgbench, curl, the .NET SDK; Node.js 20+ and npm for the peer and the
# FLOOD (else skipped). Writes bench/results/report.md.
ROUND_SECONDS=$SECONDS # bash imports SECONDS from the environment, then counts up: read it first
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg) # other work on the machine shows here, and in the report
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source bench/lib.sh

SETS=${SETS:-both}
ROUNDS=${ROUNDS:-5}
[ "$ROUND_SECONDS" -gt 0 ] 2>/dev/null || ROUND_SECONDS=10
CONNECTIONS=${CONNECTIONS:-16 64}
# Long enough for tiered compilation to settle under load, so every host is measured in steady state rather than
# with some methods still at tier 0.
WARMUP=${WARMUP:-30}
# Sized on purpose: PostgreSQL does the most work with about two busy backends per core; more only queue in its
# scheduler, where the slowest requests wait longest (with Npgsql's default pool of 100, p99 grows many times over
# p50 at 64 connections). Requests beyond the pool wait in Npgsql's queue instead, in order. Every host gets the
# same size.
POOL=${POOL:-$((2 * $(nproc)))}
BENCH_SUITE=${BENCH_SUITE:-0}
FLOOD_ONLY=${BENCH_FLOOD_ONLY:-0}
if [ "$FLOOD_ONLY" = 1 ]; then BENCH_APPHOST=${BENCH_APPHOST:-0}; else BENCH_APPHOST=${BENCH_APPHOST:-1}; fi
SEED_VERSION=1 # bump when the seeder's data shape changes: seeded databases are then re-seeded
SESSIONS=2000
PGPORT=${PGPORT:-55433}
API_PORT=${API_PORT:-5501}
RAW_PORT=${RAW_PORT:-5502}
PEER_PORT=${PEER_PORT:-5503}
PEER_DIR=$ROOT/bench/peer-node
FLOOD_JS=$ROOT/bench/flood/flood.mjs
# FLOOD: three client addresses flood login, a fourth signs in correctly (all of 127.0.0.0/8 is loopback). Each
# flooding address keeps more logins outstanding than the API lets one address queue (Auth:PasswordHashing:
# QueuedPerAddress), so the API also refuses some with a 503 at once, and the flood retries those at once.
FLOOD_ADDRESSES=(127.0.0.2 127.0.0.3 127.0.0.4)
FLOOD_CONNECTIONS=${FLOOD_CONNECTIONS:-64} # per address
VICTIM_ADDRESS=127.0.0.5
BENCH_PASSWORD='bench password' # every seeded user's (CrmToolkit.Bench.Seeder)
DATA=$ROOT/bench/.data
PGDATA=$DATA/pg
RUN=$DATA/run
# A throw-away local cluster on loopback: these passwords protect nothing else.
OWNER_PW=bench-owner-pw
APP_PW=bench-app-pw

bench_prerequisites wrk pgbench psql curl # PGBIN, as_pg, pg_own
case "$SETS" in small) SET_LIST=(small) ;; large) SET_LIST=(large) ;; both) SET_LIST=(small large) ;; *) echo "SETS=small|large|both" >&2; exit 1 ;; esac

owner_cs() { echo "Host=127.0.0.1;Port=$PGPORT;Username=postgres;Password=$OWNER_PW;Database=$1"; }
app_cs() { echo "Host=127.0.0.1;Port=$PGPORT;Username=crm_app;Password=$APP_PW;Database=$1"; }
psql_owner() { PGPASSWORD=$OWNER_PW psql -h 127.0.0.1 -p "$PGPORT" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
log() { echo "== $(date -u +%H:%M:%S) $*"; }

PIDS=()
FLOOD_CLIENTS= # the FLOOD's client processes while a round runs
cleanup() {
  for pid in "${PIDS[@]:-}" $FLOOD_CLIENTS; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------- build
log "Release builds (API, migration worker, raw host R; bench_prerequisites built the seeder)"
for project in CrmToolkit.Api CrmToolkit.MigrationWorker bench/CrmToolkit.Bench.Raw; do
  dotnet build "$project" -c Release -v q -nologo >/dev/null
done
API_DLL=$ROOT/CrmToolkit.Api/bin/Release/net10.0/CrmToolkit.Api.dll
WORKER_DLL=$ROOT/CrmToolkit.MigrationWorker/bin/Release/net10.0/CrmToolkit.MigrationWorker.dll
RAW_DLL=$ROOT/bench/CrmToolkit.Bench.Raw/bin/Release/net10.0/CrmToolkit.Bench.Raw.dll

# The peer (PEER): `npm ci` from its lockfile, once; again only when the lockfile changes.
PEER=0
if [ "${BENCH_PEER:-1}" = 0 ] || [ "$FLOOD_ONLY" = 1 ]; then
  log "Peer: skipped (BENCH_PEER=0 or BENCH_FLOOD_ONLY=1)"
elif ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "Peer: skipped, Node.js (node and npm) not found"
else
  lock_sum=$(sha256sum "$PEER_DIR/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$PEER_DIR/node_modules/.bench-lock-sha256" 2>/dev/null)" = "$lock_sum" ]; then
    PEER=1
  elif log "Peer: npm ci (bench/peer-node)" && (cd "$PEER_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
    echo "$lock_sum" >"$PEER_DIR/node_modules/.bench-lock-sha256"; PEER=1
  else
    log "Peer: skipped, npm ci failed in bench/peer-node"
  fi
fi

# The FLOOD's clients: Node.js's built-in http, nothing to install.
FLOOD=0
if command -v node >/dev/null; then
  FLOOD=1
elif [ "$FLOOD_ONLY" = 1 ]; then
  echo "BENCH_FLOOD_ONLY=1 needs Node.js (node) for bench/flood/flood.mjs" >&2; exit 1
else
  log "FLOOD: skipped, Node.js (node) not found"
fi

# ---------------------------------------------------------------------------------------------- cluster
mkdir -p "$DATA" "$RUN" "$ROOT/bench/results"
: >"$RUN/rounds.txt"
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  log "initdb $PGDATA"
  rm -rf "$PGDATA"; mkdir -p "$PGDATA"; echo "$OWNER_PW" > "$DATA/pw"
  pg_own "$DATA"
  as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --pwfile="$DATA/pw" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$DATA/pw"
fi
pg_own "$DATA"
log "PostgreSQL on 127.0.0.1:$PGPORT"
# max_connections: pgbench's 64 plus the APIs' pools; pg_stat_statements: statement capture and round-trip counts.
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$DATA/pg.log" -w start -o "-p $PGPORT -c listen_addresses=127.0.0.1 \
  -c unix_socket_directories='' -c max_connections=300 -c shared_buffers=512MB -c max_wal_size=4GB \
  -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top" >/dev/null
psql_owner -d postgres -c "SELECT 1" >/dev/null

migrate() { # database -> seconds
  local start end
  start=$(date +%s.%N)
  ConnectionStrings__crm="$(owner_cs "$1")" Crm__AppRole__Password="$APP_PW" DOTNET_ENVIRONMENT=Production \
    Logging__LogLevel__Default=Warning dotnet "$WORKER_DLL" >"$RUN/migrate-$1.log" 2>&1 \
    || { echo "migration of $1 failed:"; cat "$RUN/migrate-$1.log"; exit 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }'
}

MIGRATE_EMPTY=-
if [ "$FLOOD_ONLY" = 0 ]; then
  log "Migration of an empty database (worker wall time, process start to exit)"
  psql_owner -d postgres -c "DROP DATABASE IF EXISTS crm_empty WITH (FORCE)"
  MIGRATE_EMPTY=$(migrate crm_empty)
  psql_owner -d postgres -c "DROP DATABASE crm_empty WITH (FORCE)"
  echo "   $MIGRATE_EMPTY s"
fi

workspaces_of() { case "$1" in small) echo 1000 ;; large) echo 100000 ;; esac; }

seed() { # set
  local db=crm_$1 marker=$DATA/seeded-crm_$1
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$SEED_VERSION" ] \
    && psql_owner -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    log "$db: reusing the seeded database (seed version $SEED_VERSION)"
    migrate "$db" >/dev/null
    return
  fi
  log "$db: seeding $(workspaces_of "$1") workspaces (fixed seed, binary COPY)"
  rm -f "$marker"
  psql_owner -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  migrate "$db" >/dev/null
  dotnet "$SEEDER_DLL" seed "$(owner_cs "$db")" "$(workspaces_of "$1")"
  echo "$SEED_VERSION" > "$marker"
}

# ---------------------------------------------------------------------------------------------- processes
wait_healthy() { # url name log
  for _ in $(seq 1 120); do curl -sf "$1" >/dev/null && return; sleep 0.5; done
  echo "$2 did not become healthy:"; tail -50 "$3"; exit 1
}
start_hosts() { # db
  # One list of settings for both hosts, so the comparison stays like for like.
  local shared=(ConnectionStrings__crm="$(app_cs "$1")" Crm__Data__MaxPoolSize="$POOL"
    ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning)
  # Production settings, except the per-address auth limit, which would refuse a load generator at once.
  env "${shared[@]}" Auth__RateLimits__RequestsPerAddress=100000000 \
    dotnet "$API_DLL" --urls "http://127.0.0.1:$API_PORT" --contentRoot "$(dirname "$API_DLL")" >"$RUN/api-$1.log" 2>&1 &
  PIDS+=($!); API_PID=$!
  env "${shared[@]}" dotnet "$RAW_DLL" --urls "http://127.0.0.1:$RAW_PORT" >"$RUN/raw-$1.log" 2>&1 &
  PIDS+=($!); RAW_PID=$!
  wait_healthy "http://127.0.0.1:$API_PORT/health" API "$RUN/api-$1.log"
  wait_healthy "http://127.0.0.1:$RAW_PORT/health" R "$RUN/raw-$1.log"
  PEER_PID=
  if [ "$PEER" = 1 ]; then
    # The same database and role, and the same total pool, spread over its cluster workers (one per core).
    PEER_DATABASE_URL="postgres://crm_app:$APP_PW@127.0.0.1:$PGPORT/$1" PEER_POOL="$POOL" PORT=$PEER_PORT \
      NODE_ENV=production PEER_LOG_LEVEL=warn node "$PEER_DIR/server.mjs" >"$RUN/peer-$1.log" 2>&1 &
    PIDS+=($!); PEER_PID=$!
    wait_healthy "http://127.0.0.1:$PEER_PORT/health" PEER "$RUN/peer-$1.log"
  fi
}
stop_hosts() {
  kill "$API_PID" "$RAW_PID" ${PEER_PID:+"$PEER_PID"} 2>/dev/null || true
  wait "$API_PID" "$RAW_PID" ${PEER_PID:+"$PEER_PID"} 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------- measurements
# Each measurement prints one line: rps p50_ms p99_ms errors requests
wrk_run() { # port script connections seconds tokens-file
  wrk -t2 -c"$3" -d"$4s" --timeout 30s -s "$ROOT/bench/wrk/$2.lua" "http://127.0.0.1:$1" -- "$5" 2>&1 \
    | awk '/^BENCH / { print $2, $3, $4, $5, $6 }'
}
# CPU time (user + system, clock ticks) of a host under test: its process and its children (the peer's cluster workers).
cpu_ticks() { # pid
  { echo "$1"; pgrep -P "$1" || true; } | while read -r p; do awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || true; done \
    | awk '{ s += $1 } END { print s + 0 }'
}
# wrk_run against a host, plus the host's CPU time per request over the run: rps p50 p99 errors requests cpu_us
host_run() { # pid port script connections seconds tokens-file
  local before after
  before=$(cpu_ticks "$1")
  wrk_run "$2" "$3" "$4" "$5" "$6" | {
    read -r line; after=$(cpu_ticks "$1")
    echo "$line" | awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" \
      '{ printf "%s %s %s %s %s %.0f\n", $1, $2, $3, $4, $5, ($5 > 0 ? t / hz * 1e6 / $5 : 0) }'
  }
}
pgbench_run() { # db scenario connections seconds
  local args=() p50 p99
  for f in "$RUN/pgbench-$1-$2"/*.sql; do args+=(-f "$f"); done
  rm -rf "$RUN/pglog"; mkdir -p "$RUN/pglog"
  # -l: one line per transaction (3rd column: latency in microseconds), for p50/p99 like wrk's.
  PGPASSWORD=$APP_PW pgbench -h 127.0.0.1 -p "$PGPORT" -U crm_app -n -M prepared -c "$3" -j 2 -T "$4" \
    -l --log-prefix="$RUN/pglog/tx" "${args[@]}" "$1" >"$RUN/pgbench.out" 2>"$RUN/pgbench.err" || true
  read -r p50 p99 < <(cat "$RUN/pglog"/tx* | awk '{ print $3 }' | sort -n \
    | awk '{ a[NR] = $1 } END { printf "%.3f %.3f\n", a[int(NR * 0.5) + 1] / 1000, a[int(NR * 0.99) + 1] / 1000 }')
  awk -v p50="$p50" -v p99="$p99" '/^tps = / { tps = $3 } /^number of failed transactions/ { fail = $5 }
       /^number of transactions actually processed/ { split($6, a, "/"); n = a[1] }
       END { printf "%.2f %s %s %s %s\n", tps, p50, p99, (fail == "" ? 0 : fail), n }' "$RUN/pgbench.out"
}
rotated() { # round item... -> the items, rotated left by (round - 1)
  local r=$1; shift; local items=("$@") n=$# i
  for ((i = 0; i < n; i++)); do printf '%s ' "${items[$(((i + r - 1) % n))]}"; done
}
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

# statements per request: pg_stat_statements over a short, counted wrk run
statements_per_request() { # db port script tokens
  psql_owner -d "$1" -c "SELECT pg_stat_statements_reset()" >/dev/null
  local line requests
  line=$(wrk_run "$2" "$3" 4 2 "$4"); requests=$(echo "$line" | awk '{ print $5 }')
  psql_owner -d "$1" -tA -F ' ' -c "SELECT sum(calls) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
     WHERE d.datname = '$1' AND s.query NOT LIKE '%pg_stat_statements%'
       AND s.query !~* '^(SET SESSION AUTHORIZATION DEFAULT|RESET ALL|DISCARD|CLOSE ALL|UNLISTEN|SELECT pg_advisory_unlock_all)'" \
    | awk -v n="$requests" '{ printf "%.2f", $1 / n }'
}

# Round trips per request: how often a client, having heard from the server, sends again (per TCP connection, a
# client packet after a server packet starts a round trip; Npgsql's pipelined reset adds a Sync but no wait), seen on
# the wire by tshark over a short, counted wrk run.
round_trips_per_request() { # port script tokens
  command -v tshark >/dev/null || { echo "-"; return; }
  local capture tshark_pid line requests
  capture=$(mktemp /tmp/crm-round-trips.XXXXXX.pcap) # dumpcap drops privileges: not in the server user's folder
  tshark -i lo -f "tcp port $PGPORT" -w "$capture" -q >/dev/null 2>&1 &
  tshark_pid=$!
  sleep 2
  line=$(wrk_run "$1" "$2" 4 2 "$3"); requests=$(echo "$line" | awk '{ print $5 }')
  sleep 1; kill -INT "$tshark_pid" 2>/dev/null || true; wait "$tshark_pid" 2>/dev/null || true
  tshark -r "$capture" -Y "tcp.len > 0" -T fields -e tcp.stream -e tcp.dstport 2>/dev/null \
    | awk -v pg="$PGPORT" -v n="$requests" '{ to_server = ($2 == pg); if (to_server && last[$1] != "c") trips++; last[$1] = to_server ? "c" : "s" }
        END { printf "%.2f", trips / n }'
  rm -f "$capture"
}

declare -A RESULT # key: set|scenario|variant|connections -> "rps p50 p99 errors cpu_us" medians
declare -A ROUNDS_OF
record() { # key line; every round also goes to $RUN/rounds.txt, for spreads beyond the report's medians
  ROUNDS_OF[$1]="${ROUNDS_OF[$1]:-} $2;"
  echo "$1 $2" >>"$RUN/rounds.txt"
}
summarize() { # key -> medians of each column
  local key=$1 rps=() p50=() p99=() cpu=() err=0 entry entries a b c d f
  IFS=';' read -ra entries <<<"${ROUNDS_OF[$key]}"
  for entry in "${entries[@]}"; do
    read -r a b c d _ f <<<"$entry" || continue
    [ -z "${a:-}" ] && continue
    rps+=("$a"); p50+=("$b"); [ "$c" != "-" ] && p99+=("$c"); err=$((err + ${d%.*})); [ -n "${f:-}" ] && cpu+=("$f")
  done
  RESULT[$key]="$(median "${rps[@]}") $(median "${p50[@]}") $(median "${p99[@]:-}") $err $(median "${cpu[@]:-}")"
}

run_set() { # set
  local set=$1 db=crm_$1 tokens=$RUN/crm_$1/tokens.txt logins=$RUN/crm_$1/logins.txt
  seed "$set"
  psql_owner -d "$db" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
  dotnet "$SEEDER_DLL" sessions "$(owner_cs "$db")" "$SESSIONS" "$RUN/$db" >/dev/null
  start_hosts "$db"
  local c4
  c4=$(echo "$CONNECTIONS" | tr ' ' '\n' | sort -n | head -1)
  S4_CONNECTIONS=$c4
  if [ "$FLOOD_ONLY" = 1 ]; then
    log "$db: warm-up (S1, then correct logins)"
    wrk_run $API_PORT s1 16 "$WARMUP" "$tokens" >/dev/null
    # Fewer connections than one address may have hashes waiting (Auth:PasswordHashing:QueuedPerAddress), so that
    # the login path is warmed by logins rather than by 503s.
    wrk_run $API_PORT s4 4 5 "$logins" >/dev/null
  else
    run_all_but_flood
  fi
  if [ "$FLOOD" = 1 ]; then run_flood; fi
  stop_hosts
}

# Everything but the FLOOD, on run_set's variables: statements and round trips per request, S1-S3 in rounds, S4.
run_all_but_flood() {
  # pgbench scripts: R's statements (which are the API's, see the statement check below) with one session's
  # values each; pgbench picks one script per transaction, so the load spreads over 100 sessions.
  rm -rf "$RUN/pgbench-$db-"*
  dotnet "$RAW_DLL" --pgbench-scripts "$RUN/pgbench-$db" "$tokens" 100

  log "$db: warm-up"
  for s in s1 s2; do
    wrk_run $API_PORT $s 16 "$WARMUP" "$tokens" >/dev/null; wrk_run $RAW_PORT $s 16 "$WARMUP" "$tokens" >/dev/null
    if [ "$PEER" = 1 ]; then wrk_run $PEER_PORT $s 16 "$WARMUP" "$tokens" >/dev/null; fi
  done
  wrk_run $API_PORT s3 16 5 "$tokens" >/dev/null
  pgbench_run "$db" s2 16 3 >/dev/null

  log "$db: statements per request (pg_stat_statements)"
  STMTS[$set|S1|API]=$(statements_per_request "$db" $API_PORT s1 "$tokens")
  STMTS[$set|S1|R]=$(statements_per_request "$db" $RAW_PORT s1 "$tokens")
  STMTS[$set|S2|API]=$(statements_per_request "$db" $API_PORT s2 "$tokens")
  STMTS[$set|S2|R]=$(statements_per_request "$db" $RAW_PORT s2 "$tokens")
  STMTS[$set|S3|API]=$(statements_per_request "$db" $API_PORT s3 "$tokens")
  if [ "$PEER" = 1 ]; then
    STMTS[$set|S1|PEER]=$(statements_per_request "$db" $PEER_PORT s1 "$tokens")
    STMTS[$set|S2|PEER]=$(statements_per_request "$db" $PEER_PORT s2 "$tokens")
  fi
  psql_owner -d "$db" -tA -c "SELECT calls, query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
     WHERE d.datname = '$db' ORDER BY calls DESC LIMIT 12" >"$RUN/statements-$db.txt"
  echo "   S1 API ${STMTS[$set|S1|API]} R ${STMTS[$set|S1|R]}; S2 API ${STMTS[$set|S2|API]} R ${STMTS[$set|S2|R]}; S3 API ${STMTS[$set|S3|API]}"
  [ "$PEER" = 1 ] && echo "   S1 PEER ${STMTS[$set|S1|PEER]}; S2 PEER ${STMTS[$set|S2|PEER]}"

  log "$db: round trips per request (tshark)"
  for s in s1 s2; do
    RTS[$set|${s^^}|API]=$(round_trips_per_request $API_PORT $s "$tokens")
    RTS[$set|${s^^}|R]=$(round_trips_per_request $RAW_PORT $s "$tokens")
    [ "$PEER" = 1 ] && RTS[$set|${s^^}|PEER]=$(round_trips_per_request $PEER_PORT $s "$tokens")
  done
  echo "   S1 API ${RTS[$set|S1|API]} R ${RTS[$set|S1|R]} PEER ${RTS[$set|S1|PEER]:--}; S2 API ${RTS[$set|S2|API]} R ${RTS[$set|S2|R]} PEER ${RTS[$set|S2|PEER]:--}"

  log "$db: EXPLAIN of the S2 page query"
  dotnet "$RAW_DLL" --explain "$(app_cs "$db")" "$tokens" >"$RUN/explain-$db.txt"
  grep -q 'Index' "$RUN/explain-$db.txt" && EXPLAIN_OK[$set]=index || EXPLAIN_OK[$set]=NO-INDEX

  for c in $CONNECTIONS; do
    for r in $(seq 1 "$ROUNDS"); do
      for s in s1 s2; do
        # The hosts' order rotates from round to round, so none is always measured first (after S3's inserts and
        # pgbench) or always last.
        for host in $(rotated "$r" API R ${PEER_PID:+PEER} PG); do
          case $host in
            API) record "$set|$s|API|$c" "$(host_run "$API_PID" $API_PORT $s "$c" "$ROUND_SECONDS" "$tokens")" ;;
            R) record "$set|$s|R|$c" "$(host_run "$RAW_PID" $RAW_PORT $s "$c" "$ROUND_SECONDS" "$tokens")" ;;
            PEER) record "$set|$s|PEER|$c" "$(host_run "$PEER_PID" $PEER_PORT $s "$c" "$ROUND_SECONDS" "$tokens")" ;;
            PG) record "$set|$s|PG|$c" "$(pgbench_run "$db" $s "$c" "$ROUND_SECONDS")" ;;
          esac
        done
      done
      record "$set|s3|API|$c" "$(wrk_run $API_PORT s3 "$c" "$ROUND_SECONDS" "$tokens")"
      echo "   $db c=$c round $r done"
    done
    for key in "$set|s1|API|$c" "$set|s1|R|$c" "$set|s1|PG|$c" "$set|s2|API|$c" "$set|s2|R|$c" "$set|s2|PG|$c" "$set|s3|API|$c"; do
      summarize "$key"
    done
    [ "$PEER" = 1 ] && { summarize "$set|s1|PEER|$c"; summarize "$set|s2|PEER|$c"; }
    log "$db c=$c: S1 API ${RESULT[$set|s1|API|$c]} | R ${RESULT[$set|s1|R|$c]} | PEER ${RESULT[$set|s1|PEER|$c]:--} | PG ${RESULT[$set|s1|PG|$c]}"
    log "$db c=$c: S2 API ${RESULT[$set|s2|API|$c]} | R ${RESULT[$set|s2|R|$c]} | PEER ${RESULT[$set|s2|PEER|$c]:--} | PG ${RESULT[$set|s2|PG|$c]}"
    log "$db c=$c: S3 API ${RESULT[$set|s3|API|$c]}"
  done

  # Login is meant to be slow (PBKDF2, 210 000 iterations): one measurement at the lowest concurrency.
  log "$db: S4 login at $c4 connections"
  record "$set|s4|API|$c4" "$(wrk_run $API_PORT s4 "$c4" "$ROUND_SECONDS" "$logins")"
  summarize "$set|s4|API|$c4"
}

# FLOOD, on run_set's variables: S1 at the lowest connection count while three client addresses flood login with
# wrong passwords for unknown accounts (every request a full password check, and no account's failed-login limit
# ever stops it, so the victim's account is never locked), and a fourth address, the victim, signs in with a seeded
# account's correct password once a second. The API hashes on threads of the lowest priority, taking one waiting
# hash from each address in turn: S1 must keep its throughput, the victim must wait behind at most one hash of each
# flooding address. Each round measures S1 alone first, so the ratio compares neighbouring measurements.
run_flood() {
  local victim_email r flood victim alone during answers
  victim_email=$(tail -1 "$logins")
  : >"$RUN/flood-$db.txt"; : >"$RUN/victim-$db.txt"
  log "$db: FLOOD: S1 at $c4 connections alone, then while ${FLOOD_ADDRESSES[*]} flood login ($FLOOD_CONNECTIONS connections each) and $VICTIM_ADDRESS signs in once a second"
  for r in $(seq 1 "$ROUNDS"); do
    alone=$(host_run "$API_PID" $API_PORT s1 "$c4" "$ROUND_SECONDS" "$tokens")
    record "$set|flood-alone|API|$c4" "$alone"
    # The flood stops when told; its own time limit only guards against a harness that died meanwhile.
    node "$FLOOD_JS" flood "http://127.0.0.1:$API_PORT" "$FLOOD_CONNECTIONS" $((ROUND_SECONDS + 120)) "${FLOOD_ADDRESSES[@]}" \
      >"$RUN/flood.out" 2>&1 &
    flood=$!; FLOOD_CLIENTS=$flood
    sleep 1 # the API's hashing queue is full within moments: S1 and the victim start in a flood at full strength
    node "$FLOOD_JS" victim "http://127.0.0.1:$API_PORT" "$ROUND_SECONDS" "$VICTIM_ADDRESS" "$victim_email" "$BENCH_PASSWORD" \
      >"$RUN/victim.out" 2>&1 &
    victim=$!; FLOOD_CLIENTS="$flood $victim"
    during=$(host_run "$API_PID" $API_PORT s1 "$c4" "$ROUND_SECONDS" "$tokens")
    record "$set|flood|API|$c4" "$during"
    wait "$victim" || true # its last login may end after S1: the flood goes on until it has
    kill -TERM "$flood" 2>/dev/null || true; wait "$flood" || true
    FLOOD_CLIENTS=
    sed "s/^/$r /" "$RUN/flood.out" >>"$RUN/flood-$db.txt"
    awk -v r="$r" '$1 == "VICTIM" { print r, $2, $3 }' "$RUN/victim.out" >>"$RUN/victim-$db.txt"
    answers=$(awk '$1 == "FLOOD" { $1 = ""; $2 = $2 " s,"; $3 = $3 " requests:"; print }' "$RUN/flood.out")
    echo "$set|flood-answers|API|$c4 $answers" >>"$RUN/rounds.txt"
    echo "$set|flood-victim|API|$c4 $(awk -v r="$r" '$1 == r { printf "%s:%s ", $2, $3 }' "$RUN/victim-$db.txt")" >>"$RUN/rounds.txt"
    log "$db: round $r: S1 alone ${alone%% *} req/s, during the flood ${during%% *} req/s; the flood:$answers;" \
      "the victim (status:ms): $(awk '$1 == "VICTIM" { printf "%s:%s ", $2, $3 }' "$RUN/victim.out")"
    sleep 1 # the API drops the flood's waiting hashes as their clients go; the hash in progress finishes first
  done
  summarize "$set|flood-alone|API|$c4"
  summarize "$set|flood|API|$c4"
  FLOOD_ANSWERS[$set]=$(flood_answers "$RUN/flood-$db.txt")
  VICTIM_LOGINS[$set]=$(victim_logins "$RUN/victim-$db.txt")
  log "$db: S1 alone ${RESULT[$set|flood-alone|API|$c4]} | during the flood ${RESULT[$set|flood|API|$c4]}"
  log "$db: the flood: ${FLOOD_ANSWERS[$set]}"
  log "$db: the victim (logins, answered 200, p50 ms, max ms, statuses): ${VICTIM_LOGINS[$set]}"
}
# The flood's answers summed over the rounds, and the 401s (hashes done) per address, which should be about equal.
flood_answers() { # flood file ("round FLOOD seconds requests 401=n ..." and "round FLOOD_ADDRESS address requests 401=n ...")
  awk '$2 == "FLOOD" { s += $3; n += $4; for (i = 5; i <= NF; i++) { split($i, kv, "="); t[kv[1]] += kv[2] } }
       $2 == "FLOOD_ADDRESS" { split($5, kv, "="); if (!($3 in per)) order[++k] = $3; per[$3] += kv[2] }
       END { printf "%d requests in %.0f s (%.0f/s): 401 %d, 429 %d, 503 %d, other %d, errors %d; the flood client used %.0f%% of a core; 401s by address:",
               n, s, (s > 0 ? n / s : 0), t["401"], t["429"], t["503"], t["other"], t["errors"], (s > 0 ? t["cpu_ms"] / 10 / s : 0)
             for (i = 1; i <= k; i++) printf " %s %d", order[i], per[order[i]]; print "" }' "$1"
}
# The victim's logins over the rounds: count, answered 200, p50 ms, max ms, statuses (status x count).
victim_logins() { # victim file ("round status ms")
  sort -k3,3g "$1" | awk '{ n++; ms[n] = $3; if ($2 == "200") ok++; if (!($2 in st)) order[++k] = $2; st[$2]++ }
    END { if (n == 0) { print "0 0 - - -"; exit }
          printf "%d %d %.0f %.0f ", n, ok, (n % 2 ? ms[(n + 1) / 2] : (ms[n / 2] + ms[n / 2 + 1]) / 2), ms[n]
          for (i = 1; i <= k; i++) printf "%s%sx%d", (i > 1 ? "," : ""), order[i], st[order[i]]; print "" }'
}

declare -A STMTS RTS EXPLAIN_OK FLOOD_ANSWERS VICTIM_LOGINS
S4_CONNECTIONS=16
if [ "${BENCH_SEED_ONLY:-0}" = 1 ]; then # prepare the databases (e.g. the large set, once) and stop
  for set in "${SET_LIST[@]}"; do seed "$set"; done
  exit 0
fi
for set in "${SET_LIST[@]}"; do run_set "$set"; done
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null

# ---------------------------------------------------------------------------------------------- AppHost, suite
APPHOST_SECONDS=-
if [ "$BENCH_APPHOST" = 1 ]; then
  log "AppHost: warm build, then dotnet run (local mode) until the API is healthy"
  dotnet build CrmToolkit.AppHost -v q -nologo >/dev/null
  start=$(date +%s.%N)
  dotnet run --project CrmToolkit.AppHost --no-build -- --Postgres:Mode=local >"$RUN/apphost.log" 2>&1 &
  APPHOST_PID=$!; PIDS+=($APPHOST_PID)
  for _ in $(seq 1 240); do
    if curl -sf http://localhost:5480/health >/dev/null 2>&1; then
      APPHOST_SECONDS=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'); break
    fi
    sleep 0.25
  done
  kill -TERM "$APPHOST_PID" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$APPHOST_PID" 2>/dev/null || break; sleep 0.5; done
  echo "   $APPHOST_SECONDS s"
fi
SUITE_SECONDS=-
if [ "$BENCH_SUITE" = 1 ]; then
  log "Test suite wall time (dotnet test)"
  start=$(date +%s.%N)
  dotnet test -v q -nologo >"$RUN/suite.log" 2>&1 && result=green || result=RED
  SUITE_SECONDS="$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')"
  SUITE_SECONDS="$SUITE_SECONDS s, $result, $(grep -Eo 'Passed: +[0-9]+' "$RUN/suite.log" | tail -1 | awk '{ print $2 }') passed"
  echo "   $SUITE_SECONDS"
fi

# ---------------------------------------------------------------------------------------------- report
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
verdict() { # value op limit
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { if (v == "-") print "-"; else if ((op == ">=" && v >= l) || (op == "<=" && v <= l)) print "PASS"; else print "MISS" }'
}
col() { echo "${RESULT[$1]:-- - - - -}" | awk -v n="$2" '{ print $n }'; }
LOW=$(echo "$CONNECTIONS" | tr ' ' '\n' | sort -n | head -1)
HIGH=$(echo "$CONNECTIONS" | tr ' ' '\n' | sort -n | tail -1)
# A FLOOD-only run has its own report, so that it never replaces the full one.
if [ "$FLOOD_ONLY" = 1 ]; then REPORT=${REPORT:-$ROOT/bench/results/report-flood.md}; else REPORT=${REPORT:-$ROOT/bench/results/report.md}; fi
rounds_of() { echo "${ROUNDS_OF[$1]:-}" | tr ';' '\n' | awk 'NF { printf "%s ", $1 }'; }
# The FLOOD's rows of a set's table, and what its clients saw.
flood_rows() { # set
  local key
  [ -n "${RESULT[$1|flood|API|$LOW]:-}" ] || return 0
  key="$1|flood-alone|API|$LOW"
  echo "| S1 alone, in the FLOOD rounds | API | $LOW | $(col "$key" 1) | $(col "$key" 2) | $(col "$key" 3) | $(col "$key" 4) | $(col "$key" 5) | $(rounds_of "$key")|"
  key="$1|flood|API|$LOW"
  echo "| S1 during a login flood from ${#FLOOD_ADDRESSES[@]} addresses | API | $LOW | $(col "$key" 1) | $(col "$key" 2) | $(col "$key" 3) | $(col "$key" 4) | $(col "$key" 5) | $(rounds_of "$key")|"
}
flood_text() { # set
  [ -n "${FLOOD_ANSWERS[$1]:-}" ] || return 0
  local n ok p50 max statuses
  read -r n ok p50 max statuses <<<"${VICTIM_LOGINS[$1]}"
  echo
  echo "FLOOD ($ROUNDS rounds): ${FLOOD_ADDRESSES[*]} each sent logins on $FLOOD_CONNECTIONS connections (a wrong password for an unknown"
  echo "account, a 503 retried at once); the CPU column of the flood row is the API's CPU over S1's run, flood included, per S1 request."
  echo "The flood's answers: ${FLOOD_ANSWERS[$1]}."
  echo "The victim ($VICTIM_ADDRESS, a seeded account, one correct login a second, sequentially): $n logins, $ok answered 200"
  echo "(statuses: $statuses), latency p50 $p50 ms, max $max ms. Each login (round: status ms, ...):"
  awk '{ if ($1 != r) { printf "%s%s:", (r == "" ? "" : "; "), $1; r = $1 } printf " %s %.0f", $2, $3 } END { print "." }' "$RUN/victim-crm_$1.txt"
}
flood_targets() { # set
  local v n ok p50 max statuses
  [ -n "${RESULT[$1|flood|API|$LOW]:-}" ] || return 0
  v=$(ratio "$(col "$1|flood|API|$LOW" 1)" "$(col "$1|flood-alone|API|$LOW" 1)")
  echo "| S1 req/s during a login flood ÷ alone ($1, $LOW conn.) | ≥ 0.5 | $v | $(verdict "$v" '>=' 0.5) |"
  v=$(ratio "$(col "$1|flood|API|$LOW" 3)" "$(col "$1|flood-alone|API|$LOW" 2)")
  echo "| S1 p99 during a login flood ÷ S1 p50 alone ($1, $LOW conn.) | ≤ 10 | $v | $(verdict "$v" '<=' 10) |"
  read -r n ok p50 max statuses <<<"${VICTIM_LOGINS[$1]}"
  v=PASS; { [ "$n" -gt 0 ] && [ "$ok" = "$n" ] && [ "$(verdict "$max" '<=' 3000)" = PASS ]; } || v=MISS
  echo "| the victim's logins during the flood ($1): all 200, each within 3 s | all, ≤ 3000 ms | $ok of $n, max $max ms | $v |"
}
{
  if [ "$FLOOD_ONLY" = 1 ]; then echo "# Benchmark: S1 and a victim's login during a login FLOOD from ${#FLOOD_ADDRESSES[@]} addresses (BENCH_FLOOD_ONLY=1)"
  elif [ "$PEER" = 1 ]; then echo "# Benchmark: API vs raw Npgsql (R) vs the Node.js peer (PEER) vs pgbench (PG)"
  else echo "# Benchmark: API vs raw Npgsql (R) vs pgbench (PG)"; fi
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ { print $2 }') GiB;"
  echo "Load average (1, 5, 15 min) at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }'); .NET SDK $(dotnet --version); $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }'); pgbench $(pgbench --version | awk '{ print $3 }')."
  if [ "$FLOOD" = 1 ]; then
    echo "FLOOD: Node.js $(node --version | tr -d v), bench/flood/flood.mjs (built-in http): ${FLOOD_ADDRESSES[*]} flood login, $FLOOD_CONNECTIONS connections each; $VICTIM_ADDRESS is the victim."
  else
    echo "FLOOD: not measured (Node.js not found)."
  fi
  if [ "$FLOOD_ONLY" = 1 ]; then
    echo "wrk (2 threads), the flood's and the victim's Node.js processes, the API and PostgreSQL share the same cores. $ROUNDS rounds after a"
    echo "warm-up of ${WARMUP} s of S1 and 5 s of correct logins; each round: S1 alone for ${ROUND_SECONDS} s, then the flood starts, and a second later"
    echo "S1 and the victim run for ${ROUND_SECONDS} s; medians of the rounds."
    echo "Connection pool of the API: $POOL (\`Crm:Data:MaxPoolSize\`; \`POOL\`, by default 2 per core)."
  else
    if [ "$PEER" = 1 ]; then
      pkg() { node -p "require('$PEER_DIR/node_modules/$1/package.json').version"; }
      echo "PEER: Node.js $(node --version | tr -d v), fastify $(pkg fastify), drizzle-orm $(pkg drizzle-orm), pg $(pkg pg); cluster of $(nproc) workers (bench/peer-node)."
    else
      echo "PEER: not measured (Node.js not found, or BENCH_PEER=0)."
    fi
    echo "wrk (2 threads), the API, R, PEER, pgbench and PostgreSQL share the same cores. $ROUNDS interleaved rounds of ${ROUND_SECONDS} s"
    echo "after a warm-up of ${WARMUP} s per scenario and host (each round: S1 on every host, S2 on every host, S3 on the API; the hosts' order rotates from round to round); medians of the rounds."
    echo "Then S4 once, then the FLOOD's $ROUNDS rounds (S1 alone, then S1 during the flood)."
    echo "Sessions: $SESSIONS seeded sessions over all workspaces (pgbench: 100 of them, one script each)."
    echo "Connection pool of the API and of R: $POOL (\`Crm:Data:MaxPoolSize\`; \`POOL\`, by default 2 per core); PEER: the same in total (\`PEER_POOL\`, split over its workers); pgbench: one connection per client."
    echo
    echo "| | value |"
    echo "|---|---|"
    echo "| migrate an empty database (worker process, start to exit) | ${MIGRATE_EMPTY} s |"
    echo "| \`dotnet run --project CrmToolkit.AppHost\` (local mode, warm build) to API healthy | ${APPHOST_SECONDS} s |"
    echo "| \`dotnet test\` wall time (BENCH_SUITE=1) | ${SUITE_SECONDS} |"
  fi
  for set in "${SET_LIST[@]}"; do
    echo
    echo "## Set \`$set\`: $(workspaces_of "$set") workspaces, $(( $(workspaces_of "$set") * 10 )) memberships, $(( $(workspaces_of "$set") * 20 )) contacts"
    echo
    if [ "$FLOOD_ONLY" = 0 ]; then
      echo "Statements per request (pg_stat_statements, without the connection reset Npgsql pipelines into the first statement of a lease):"
      echo "S1 API ${STMTS[$set|S1|API]}, R ${STMTS[$set|S1|R]}; S2 API ${STMTS[$set|S2|API]}, R ${STMTS[$set|S2|R]}; S3 API ${STMTS[$set|S3|API]}."
      [ "$PEER" = 1 ] && echo "PEER (with its transaction's BEGIN and COMMIT): S1 ${STMTS[$set|S1|PEER]}, S2 ${STMTS[$set|S2|PEER]}."
      echo "Round trips per request (client sends after a server reply, per connection, tshark): S1 API ${RTS[$set|S1|API]:--}, R ${RTS[$set|S1|R]:--}, PEER ${RTS[$set|S1|PEER]:--};"
      echo "S2 API ${RTS[$set|S2|API]:--}, R ${RTS[$set|S2|R]:--}, PEER ${RTS[$set|S2|PEER]:--}."
      echo "S2 page plan: ${EXPLAIN_OK[$set]} (\`bench/.data/run/explain-crm_$set.txt\`)."
      echo
    fi
    echo "| scenario | variant | connections | req/s | p50 ms | p99 ms | errors | CPU µs/req (host) | req/s per round |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for s in s1 s2 s3; do
      for c in $CONNECTIONS; do
        for v in API R PEER PG; do
          key="$set|$s|$v|$c"
          [ -n "${RESULT[$key]:-}" ] || continue
          echo "| ${s^^} | $v | $c | $(col "$key" 1) | $(col "$key" 2) | $(col "$key" 3) | $(col "$key" 4) | $(col "$key" 5) | $(rounds_of "$key")|"
        done
      done
    done
    key="$set|s4|API|$S4_CONNECTIONS"
    [ -n "${RESULT[$key]:-}" ] && echo "| S4 login | API | $S4_CONNECTIONS | $(col "$key" 1) | $(col "$key" 2) | $(col "$key" 3) | $(col "$key" 4) | | (one run; PBKDF2 210 000 iterations) |"
    flood_rows "$set"
    flood_text "$set"
  done
  echo
  echo "## Targets"
  echo
  echo "| target | limit | measured | |"
  echo "|---|---|---|---|"
  for set in "${SET_LIST[@]}"; do
    if [ "$FLOOD_ONLY" = 1 ]; then flood_targets "$set"; continue; fi
    if [ "$PEER" = 1 ]; then
      for c in $CONNECTIONS; do
        for s in s1 s2; do
          v=$(ratio "$(col "$set|$s|API|$c" 1)" "$(col "$set|$s|PEER|$c" 1)")
          echo "| ${s^^} req/s API ÷ PEER ($set, $c conn.) | ≥ 1.5 | $v | $(verdict "$v" '>=' 1.5) |"
        done
      done
      for s in s1 s2; do
        v=$(ratio "$(col "$set|$s|API|$LOW" 3)" "$(col "$set|$s|PEER|$LOW" 3)")
        echo "| ${s^^} p99 API ÷ PEER ($set, $LOW conn.) | ≤ 1.0 | $v | $(verdict "$v" '<=' 1.0) |"
      done
    fi
    echo "| S2 round trips per request, API ($set) | ≤ 2 | ${RTS[$set|S2|API]:--} | $(verdict "${RTS[$set|S2|API]:--}" '<=' 2.05) |"
    flood_targets "$set"
    for c in $CONNECTIONS; do
      v=$(ratio "$(col "$set|s2|API|$c" 1)" "$(col "$set|s2|PG|$c" 1)")
      echo "| S2 req/s ÷ PG tps ($set, $c conn.) | ≥ 0.25 | $v | $(verdict "$v" '>=' 0.25) |"
    done
    for s in s1 s2 s3; do
      v=$(ratio "$(col "$set|$s|API|$LOW" 3)" "$(col "$set|$s|API|$LOW" 2)")
      e=$(col "$set|$s|API|$LOW" 4)
      ok=$(verdict "$v" '<=' 10); [ "$e" = 0 ] || ok=MISS
      echo "| ${s^^} p99 ÷ p50 at $LOW conn., errors ($set) | ≤ 10, 0 errors | $v, $e errors | $ok |"
    done
    if [ "$LOW" != "$HIGH" ]; then
      for s in s1 s2 s3; do
        v=$(ratio "$(col "$set|$s|API|$HIGH" 1)" "$(col "$set|$s|API|$LOW" 1)")
        echo "| ${s^^} req/s at $HIGH ÷ at $LOW conn. ($set) | ≥ 0.9 | $v | $(verdict "$v" '>=' 0.9) |"
      done
    fi
    echo "| statements for S1 ($set) | 1 | ${STMTS[$set|S1|API]} | $(verdict "${STMTS[$set|S1|API]}" '<=' 1.05) |"
  done
  if [ "$FLOOD_ONLY" = 0 ]; then
    if [ "${#SET_LIST[@]}" = 2 ]; then
      v=$(ratio "$(col "large|s2|API|$LOW" 2)" "$(col "small|s2|API|$LOW" 2)")
      echo "| S2 p50 large ÷ small ($LOW conn.; plans: ${EXPLAIN_OK[small]}, ${EXPLAIN_OK[large]}) | ≤ 1.3 | $v | $(verdict "$v" '<=' 1.3) |"
    fi
    echo "| AppHost start to API healthy, warm build | ≤ 20 s | ${APPHOST_SECONDS} s | $(verdict "$APPHOST_SECONDS" '<=' 20) |"
    echo
    echo "## Reported: the API against R (what EF Core and the ASP.NET Core pipeline cost)"
    echo
    echo "| comparison | req/s API ÷ R | CPU µs per request: API / R / PEER | CPU API ÷ R |"
    echo "|---|---|---|---|"
    for set in "${SET_LIST[@]}"; do
      for c in $CONNECTIONS; do
        for s in s1 s2; do
          echo "| ${s^^} ($set, $c conn.) | $(ratio "$(col "$set|$s|API|$c" 1)" "$(col "$set|$s|R|$c" 1)") | $(col "$set|$s|API|$c" 5) / $(col "$set|$s|R|$c" 5) / $(col "$set|$s|PEER|$c" 5) | $(ratio "$(col "$set|$s|API|$c" 5)" "$(col "$set|$s|R|$c" 5)") |"
        done
      done
    done
  fi
} >"$REPORT"
cat "$REPORT"
