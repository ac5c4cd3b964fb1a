# Sourced by bench/run.sh, from the repository root.
#
# bench_prerequisites TOOL...  exits with what to install when a tool or the PostgreSQL server binaries are
# missing; afterwards PGBIN is the server's bin folder, as_pg runs a program as the server's unprivileged user
# (PostgreSQL refuses root) and pg_own gives that user a folder. Both come from the AppHost's own code
# (LocalPostgresBinaries, OsUser in CrmToolkit.Hosting) through the bench seeder's postgres-env, so the bench finds
# and runs PostgreSQL as the AppHost and the tests do, with the same settings: Postgres__BinDirectory,
# Postgres__RunAsUser.

SEEDER_DLL=$PWD/bench/CrmToolkit.Bench.Seeder/bin/Release/net10.0/CrmToolkit.Bench.Seeder.dll

bench_prerequisites() { # tool...
  local missing=() tool postgres_env
  for tool in "$@" dotnet; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  if [ ${#missing[@]} -eq 0 ]; then
    dotnet build bench/CrmToolkit.Bench.Seeder -c Release -v q -nologo >/dev/null
    # On failure the seeder has said why (no server binaries, or no server user).
    postgres_env=$(dotnet "$SEEDER_DLL" postgres-env) || exit 1
    eval "$postgres_env"
    return
  fi
  echo "Missing: ${missing[*]}. On Debian/Ubuntu: apt-get install -y wrk postgresql postgresql-contrib curl" >&2
  exit 1
}

as_pg() { "${AS_PG[@]}" "$@"; }
pg_own() { if [ ${#PG_OWN[@]} -gt 0 ]; then "${PG_OWN[@]}" "$@"; fi; }
