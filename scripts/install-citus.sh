#!/usr/bin/env bash
# Builds Citus 13.2.2 from source and installs it into the PostgreSQL that `pg_config` names.
#
#   scripts/install-citus.sh [--source DIR | --archive FILE.tar.gz] [--force]
#
#   --source DIR     a Citus 13.2.2 source tree (a release archive unpacked, or a checkout of tag v13.2.2); it is
#                    configured, built and (if needed) patched in place
#   --archive FILE   the release archive (citus-13.2.2.tar.gz as GitHub serves it); unpacked into a temporary folder
#   (neither)        downloads the release archive from GitHub with curl
#   --force          rebuild and reinstall even when Citus 13.2.2 is already installed
#
# Why from source: there is no Debian package of Citus, and 13.2 is the last Citus line that supports PostgreSQL 15.
# With Docker, use the citusdata/citus images instead of this script.
#
# What it does, in order:
#   1. finds the PostgreSQL (pg_config on PATH; 15, 16 or 17) and stops if Citus 13.2.2 is already installed there;
#   2. gets the source (before anything slow, so that a missing source fails at once);
#   3. installs the build dependencies with apt-get when they are missing (as root; otherwise prints the command);
#      the server headers are pinned to the installed server's package version, so that apt does not upgrade the
#      server under running clusters and the headers match the binary the extension will be loaded into;
#   4. patches src/include/pg_version_compat.h only if the server headers declare have_createdb_privilege() (newer
#      PostgreSQL 15 minors, e.g. 15.20, export it, and Citus 13.2.2's own static inline copy for PostgreSQL 15 then
#      no longer compiles);
#   5. ./configure --without-libcurl (no anonymous statistics collection), make, make install.
#
# Every failure ends with one line on stderr saying why, and a non-zero exit code. Build output goes to a log
# (its path is printed) rather than the terminal.
set -euo pipefail

CITUS_VERSION=13.2.2
CITUS_URL="https://github.com/citusdata/citus/archive/refs/tags/v${CITUS_VERSION}.tar.gz"
COMPAT_HEADER=src/include/pg_version_compat.h
# The line the patch writes in place of Citus's static inline have_createdb_privilege(); the marker comment lets a
# re-run recognise a tree it has already patched.
PATCH_MARKER='/* install-citus.sh: this PostgreSQL exports have_createdb_privilege() */'

die() { echo "install-citus: $*" >&2; exit 1; }
say() { echo "==> $*" >&2; }
usage() { sed -n '2,10s/^# \{0,1\}//p' "$0"; }

# ---- arguments ---------------------------------------------------------------------------------------------------
source_dir='' archive='' force=no
while [ $# -gt 0 ]; do
  case "$1" in
    --source) [ $# -ge 2 ] || die "--source needs a directory"; source_dir=$2; shift 2 ;;
    --archive) [ $# -ge 2 ] || die "--archive needs a .tar.gz file"; archive=$2; shift 2 ;;
    --force) force=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -z "$source_dir" ] || [ -z "$archive" ] || die "give --source or --archive, not both"
if [ -n "$source_dir" ]; then
  [ -d "$source_dir" ] || die "--source $source_dir is not a directory"
  source_dir=$(cd "$source_dir" && pwd)
fi
if [ -n "$archive" ]; then
  [ -f "$archive" ] || die "--archive $archive is not a file"
  archive=$(cd "$(dirname "$archive")" && pwd)/$(basename "$archive")
fi

# A temporary folder for a downloaded or unpacked archive; removed on exit.
work=$(mktemp -d "${TMPDIR:-/tmp}/install-citus.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- 1. the target PostgreSQL ------------------------------------------------------------------------------------
# The major version comes from pg_config (the PostgreSQL we install into), or from `postgres` when pg_config is
# missing; without either there is nothing to install into.
if command -v pg_config >/dev/null; then
  pg_version=$(pg_config --version)                              # "PostgreSQL 15.18 (Debian 15.18-0+deb12u1)"
elif command -v postgres >/dev/null; then
  pg_version="PostgreSQL $(postgres --version | awk '{print $3}')" # "postgres (PostgreSQL) 15.18 (...)"
else
  die "no PostgreSQL found: put the bin directory of your PostgreSQL (the one holding pg_config) on PATH"
fi
pg_major=$(echo "$pg_version" | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
case "$pg_major" in
  15|16|17) ;;
  *) die "Citus $CITUS_VERSION supports PostgreSQL 15, 16 and 17; found '$pg_version'" ;;
esac

# Installed already? citus.so carries its version string ("Citus 13.2.2 on x86_64-..."), which tells 13.2.2 apart
# from 13.2.0/13.2.1 (they share the SQL extension version 13.2-1).
if command -v pg_config >/dev/null; then
  so="$(pg_config --pkglibdir)/citus.so"
  if [ -f "$so" ] && [ -f "$(pg_config --sharedir)/extension/citus.control" ] \
      && grep -aqF "Citus $CITUS_VERSION on" "$so" && [ "$force" = no ]; then
    echo "Citus $CITUS_VERSION is already installed: $so (use --force to rebuild and reinstall)"
    exit 0
  fi
fi

# ---- 2. the source -------------------------------------------------------------------------------------------------
# Before the dependencies, so that a missing source fails in a second rather than after apt-get.
unpack() { # archive.tar.gz -> prints the folder it unpacked to
  tar -xzf "$1" -C "$work" || die "could not unpack $1"
  local top
  top=$(tar -tzf "$1" | awk -F/ 'NR == 1 { print $1 }') # awk reads on, so tar gets no SIGPIPE (pipefail)
  [[ -n $top && -d $work/$top ]] || die "$1 does not unpack into a single source folder"
  echo "$work/$top"
}
if [ -n "$source_dir" ]; then
  src=$source_dir
elif [ -n "$archive" ]; then
  src=$(unpack "$archive")
else
  command -v curl >/dev/null || die "curl not found to download $CITUS_URL; pass a Citus $CITUS_VERSION source tree with --source DIR"
  say "downloading $CITUS_URL"
  curl -fsSL --retry 2 --connect-timeout 20 -o "$work/citus.tar.gz" "$CITUS_URL" 2>"$work/curl.err" \
    || die "could not download $CITUS_URL ($(head -n1 "$work/curl.err")); offline, pass a Citus $CITUS_VERSION source tree with --source DIR (or its archive with --archive FILE)"
  src=$(unpack "$work/citus.tar.gz")
fi
[[ -x $src/configure && -f $src/$COMPAT_HEADER ]] || die "$src is not a Citus source tree (no configure or $COMPAT_HEADER)"
src_version=$(sed -n 's/^PACKAGE_VERSION=.\([^'"'"']*\).*/\1/p' "$src/configure")
[ "$src_version" = "$CITUS_VERSION" ] || die "$src is Citus ${src_version:-of unknown version}, not $CITUS_VERSION"

# ---- 3. build dependencies -----------------------------------------------------------------------------------------
# apt-get and build output go to a log that outlives the run (its path is in every error that needs it); it is
# created on first use, so that runs that stop early leave none behind.
log=''
use_log() { [ -n "$log" ] || log=$(mktemp "${TMPDIR:-/tmp}/install-citus-${CITUS_VERSION}.XXXXXX.log"); }
# What the build needs: a C compiler and make; the server headers and PGXS makefiles of this PostgreSQL; the headers
# those server headers include, i.e. of the libraries the server was built with (pg_config.h says which; until the
# server headers are installed, assume Debian's build, which has all three); and the lz4 and zstd headers (Citus's
# columnar storage compresses with them). Headers are probed by preprocessing an #include, so the check does not
# depend on where a distribution puts them.
have_header() { echo "#include <$1>" | cc -E -x c - >/dev/null 2>&1; }
missing_deps() {
  local has_cc=yes pg_config_h='' server_version feature header package
  command -v cc >/dev/null || has_cc=no
  [ "$has_cc" = yes ] && command -v make >/dev/null || echo build-essential
  if command -v pg_config >/dev/null && [ -f "$(pg_config --includedir-server)/postgres.h" ] \
      && [ -f "$(pg_config --pgxs)" ]; then
    pg_config_h="$(pg_config --includedir-server)/pg_config.h"
  else
    # Pin the headers to the installed server's package version: an unpinned postgresql-server-dev-NN can pull a
    # newer server package in with it, which replaces the server binary under running clusters.
    server_version=$(dpkg-query -W -f='${Version}' "postgresql-$pg_major" 2>/dev/null || true)
    echo "postgresql-server-dev-$pg_major${server_version:+=$server_version}"
  fi
  while read -r feature header package; do
    if [ "$feature" != - ] && [ -n "$pg_config_h" ] && ! grep -q "^#define $feature 1" "$pg_config_h"; then
      continue # the server was built without it, so its headers do not include this one
    fi
    [ "$has_cc" = yes ] && have_header "$header" || echo "$package"
  done <<'TABLE'
ENABLE_GSS  gssapi/gssapi.h  libkrb5-dev
USE_OPENSSL openssl/ssl.h    libssl-dev
USE_ICU     unicode/ucol.h   libicu-dev
-           lz4.h            liblz4-dev
-           zstd.h           libzstd-dev
TABLE
}
mapfile -t missing < <(missing_deps)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    die "missing build dependencies; as root run: apt-get install -y ${missing[*]}   (then run this script again)"
  fi
  use_log
  say "installing build dependencies: ${missing[*]} (log: $log)"
  apt-get update -qq >>"$log" 2>&1 || die "apt-get update failed (see $log)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >>"$log" 2>&1 \
    || die "apt-get install ${missing[*]} failed (see $log); if that server version is gone from your apt sources, upgrade the server first: apt-get install postgresql-$pg_major postgresql-server-dev-$pg_major"
  hash -r # Debian's /usr/bin/pg_config now hands over to the server-dev package's pg_config
  [ -z "$(missing_deps)" ] || die "still missing after apt-get: $(missing_deps | tr '\n' ' ')"
fi

pg_version=$(pg_config --version)
include_server=$(pg_config --includedir-server)
pkglibdir=$(pg_config --pkglibdir)
extension_dir="$(pg_config --sharedir)/extension"

# The headers must be those of the server that will load citus.so: built against headers that declare
# have_createdb_privilege(), citus.so calls the server's copy, and a server from before that change fails to load it
# ("undefined symbol: have_createdb_privilege").
server_bin="$(pg_config --bindir)/postgres"
if [ -x "$server_bin" ]; then
  headers_at=$(echo "$pg_version" | awk '{print $2}')
  server_at=$("$server_bin" --version | awk '{print $3}')
  [ "$headers_at" = "$server_at" ] \
    || die "pg_config (headers) is PostgreSQL $headers_at but $server_bin is $server_at; install the matching postgresql-server-dev-$pg_major or upgrade the server"
fi

# make install writes into the server's library and extension folders; find out now rather than after the build.
for dir in "$pkglibdir" "$extension_dir"; do
  [ -w "$dir" ] || die "cannot write to $dir: run as root (e.g. sudo $0 ...)"
done

# ---- 4. the have_createdb_privilege fix ----------------------------------------------------------------------------
# Only where the server headers declare the function. PostgreSQL 16+ declares it too, but Citus defines its own copy
# only in its PostgreSQL 15 branch, so there is nothing to fix there. Citus's copy is the block from
# "static inline\nbool\nhave_createdb_privilege(void)" to the next "}" in column 0; it becomes an extern declaration.
# The original is kept as pg_version_compat.h.orig, so a tree patched for one server and reused for another one that
# does not export the function is put back.
compat="$src/$COMPAT_HEADER"
if [ "$pg_major" = 15 ] && grep -rqsE '^extern bool have_createdb_privilege\(void\);' "$include_server"; then
  if grep -qF "$PATCH_MARKER" "$compat"; then
    say "pg_version_compat.h: already patched for have_createdb_privilege"
  else
    perl -0ne 'exit(/static inline\s+bool\s+have_createdb_privilege\(void\)/ ? 0 : 1)' "$compat" \
      || die "$COMPAT_HEADER has no static inline have_createdb_privilege() to replace; is this Citus $CITUS_VERSION?"
    [ -f "$compat.orig" ] || cp "$compat" "$compat.orig"
    MARKER=$PATCH_MARKER perl -0pi -e \
      's/static inline\s+bool\s+have_createdb_privilege\(void\)\s*\{.*?\n\}\n/$ENV{MARKER}\nextern bool have_createdb_privilege(void);\n/s' \
      "$compat"
    grep -qF "$PATCH_MARKER" "$compat" || die "patching $COMPAT_HEADER failed"
    say "pg_version_compat.h: patched (the server headers declare have_createdb_privilege)"
  fi
elif grep -qF "$PATCH_MARKER" "$compat"; then
  [ -f "$compat.orig" ] || die "$COMPAT_HEADER was patched for a server that exports have_createdb_privilege, this one does not, and there is no .orig to restore; use a fresh source tree"
  mv "$compat.orig" "$compat"
  say "pg_version_compat.h: restored (this server does not export have_createdb_privilege)"
fi

# ---- 5. configure, build, install ---------------------------------------------------------------------------------
cd "$src"
use_log
# PGXS (as Debian builds it) does not track header dependencies, so objects left by an earlier build (other server
# headers, other patch state) would be linked as they are: start from a clean tree.
if [ -f Makefile.global ]; then
  make clean >>"$log" 2>&1 || true
fi

build_from=$(($(wc -l <"$log") + 1)) # the build's part of the log (apt-get may have written before it)
fail_build() { # step -> dies with the first compiler/configure error of the build
  local first_error
  first_error=$(tail -n +"$build_from" "$log" | grep -m1 -E 'error:|Error [0-9]' || true)
  die "$1 failed${first_error:+: $first_error} (full log: $log)"
}
say "building Citus $CITUS_VERSION against $pg_version in $src (log: $log)"
start=$SECONDS
./configure --without-libcurl >>"$log" 2>&1 || fail_build "./configure"
make -j"$(nproc)" >>"$log" 2>&1 || fail_build "make"
make install >>"$log" 2>&1 || fail_build "make install"

so="$pkglibdir/citus.so"
grep -aqF "Citus $CITUS_VERSION on" "$so" || die "make install finished but $so is not Citus $CITUS_VERSION"
echo "Installed Citus $CITUS_VERSION (built in $((SECONDS - start))s): $so, extension files in $extension_dir;" \
  "the server needs shared_preload_libraries = 'citus' (the AppHost sets it) and a restart."
