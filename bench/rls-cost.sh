#!/usr/bin/env bash
# Measures what row-level security costs the API: the same authenticated contacts page (S2-like) served
# by the same Release build of the API, connected once as the application role (RLS enforced, as shipped)
# and once as the owner (a superuser, which PostgreSQL exempts from RLS). Rounds alternate A B A B ...
# Needs: PostgreSQL server binaries, wrk (apt-get install wrk), curl. Writes bench/results/rls-cost.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ROUNDS=${ROUNDS:-5}
SECONDS_PER_ROUND=${SECONDS_PER_ROUND:-10}
CONNECTIONS=${CONNECTIONS:-16}
PGPORT=${PGPORT:-55432}
bench_prerequisites wrk curl # PGBIN, as_pg, pg_own
WORK=$(mktemp -d /tmp/crm-bench.XXXXXX)
OWNER_PW=bench-owner-pw
APP_PW=bench-app-pw

cleanup() {
  kill "${API_PIDS[@]:-}" 2>/dev/null || true
  as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
API_PIDS=()

echo "== PostgreSQL on 127.0.0.1:$PGPORT"
mkdir -p "$WORK/data"; echo "$OWNER_PW" > "$WORK/pw"
pg_own "$WORK"
as_pg "$PGBIN/initdb" -D "$WORK/data" -U postgres --pwfile="$WORK/pw" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -o "-p $PGPORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" -l "$WORK/pg.log" -w start >/dev/null

OWNER="Host=127.0.0.1;Port=$PGPORT;Username=postgres;Password=$OWNER_PW;Database=crm"
APP="Host=127.0.0.1;Port=$PGPORT;Username=crm_app;Password=$APP_PW;Database=crm"

echo "== Release build, migrate"
dotnet build CrmToolkit.Api -c Release -v q -nologo >/dev/null
dotnet build CrmToolkit.MigrationWorker -c Release -v q -nologo >/dev/null
ConnectionStrings__crm="$OWNER" Crm__AppRole__Password="$APP_PW" \
  dotnet CrmToolkit.MigrationWorker/bin/Release/net10.0/CrmToolkit.MigrationWorker.dll >/dev/null

start_api() { # name port connection-string
  ConnectionStrings__crm="$3" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    dotnet CrmToolkit.Api/bin/Release/net10.0/CrmToolkit.Api.dll --urls "http://127.0.0.1:$2" >"$WORK/$1.log" 2>&1 &
  API_PIDS+=($!)
  for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$2/health" >/dev/null && return; sleep 0.5; done
  echo "API $1 did not start"; cat "$WORK/$1.log"; exit 1
}
start_api rls 5491 "$APP"
start_api bypass 5492 "$OWNER"

echo "== Seed: one account, 200 contacts"
TOKEN=$(curl -sf -X POST http://127.0.0.1:5491/api/auth/register -H 'content-type: application/json' \
  -d '{"email":"bench@example.com","password":"bench password","name":"Bench"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
WS=$(curl -sf http://127.0.0.1:5491/api/me -H "Authorization: Bearer $TOKEN" | sed -E 's/.*"workspace":\{"id":"([^"]+)".*/\1/')
for i in $(seq 1 200); do
  curl -sf -o /dev/null -X POST "http://127.0.0.1:5491/api/workspaces/$WS/contacts" -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d "{\"firstName\":\"First$i\",\"lastName\":\"Last$i\",\"email\":\"c$i@example.com\"}"
done

run() { # port -> requests/s
  wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_ROUND}s" -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$1/api/workspaces/$WS/contacts?limit=20" | awk '/Requests\/sec/ { print $2 }'
}
echo "== Warm-up"; run 5491 >/dev/null; run 5492 >/dev/null
RLS=(); BYPASS=()
for r in $(seq 1 "$ROUNDS"); do
  RLS+=("$(run 5491)"); BYPASS+=("$(run 5492)")
  echo "round $r: rls ${RLS[-1]} req/s, bypass ${BYPASS[-1]} req/s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
M_RLS=$(median "${RLS[@]}"); M_BYPASS=$(median "${BYPASS[@]}")
RATIO=$(awk -v a="$M_RLS" -v b="$M_BYPASS" 'BEGIN { printf "%.3f", a / b }')

cat > bench/results/rls-cost.md <<MD
# Cost of row-level security (GET contacts page, limit 20)

$(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'); .NET $(dotnet --version); wrk, $CONNECTIONS connections, $ROUNDS interleaved rounds of ${SECONDS_PER_ROUND} s after warm-up, medians.

| connection | req/s (median) | rounds |
|---|---|---|
| application role, RLS enforced (as shipped) | $M_RLS | ${RLS[*]} |
| owner (superuser, RLS bypassed) | $M_BYPASS | ${BYPASS[*]} |
| ratio RLS ÷ bypass | $RATIO | |

Both APIs set \`crm.workspace_id\` on each connection they open (one extra statement per connection
lease); the difference is PostgreSQL evaluating the policies.
MD
cat bench/results/rls-cost.md
