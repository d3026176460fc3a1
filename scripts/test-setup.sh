#!/usr/bin/env bash
# npm's `pretest`: make this Debian machine able to run the tests, or stop at once saying how.
#
# The integration tests drive real clients (skopeo, umoci, podman, docker-registry as a peer,
# htpasswd, Chromium for the web console), a Ceph RADOS Gateway for the S3 tests, and PostgreSQL for the postgres variants.
# Idempotent and quick when all is present: one dpkg query and one PostgreSQL connection.
# As root it installs what is missing and starts PostgreSQL; otherwise it prints the one command
# that would. ARCA_TEST_DIALECTS=sqlite skips everything about PostgreSQL (as the tests do).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

say() { echo "test-setup: $*" >&2; }

packages=(docker-registry skopeo umoci podman apache2-utils postgresql-client ceph-mon ceph-osd radosgw ceph-common chromium)
wants_postgres=true
case ",${ARCA_TEST_DIALECTS:-sqlite,postgres}," in *,postgres,*) ;; *) wants_postgres=false ;; esac
$wants_postgres && packages+=(postgresql)

root=false
[ "$(id -u)" = 0 ] && root=true

# A package counts as present only when dpkg says it is installed (not merely known or removed);
# one dpkg-query for all of them (unknown names are left out of its answer).
declare -A installed=()
while read -r name status; do
  [ "$status" = installed ] && installed["${name%%:*}"]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for p in "${packages[@]}"; do
  [ -n "${installed[$p]:-}" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  install="apt-get update -qq && apt-get install -y -qq --no-install-recommends ${missing[*]}"
  if ! $root; then
    say "missing Debian packages: ${missing[*]}"
    say "install them with:  sudo sh -c '$install'"
    exit 1
  fi
  say "installing ${missing[*]}"
  sh -c "$install" >/dev/null
fi

$wants_postgres || exit 0

url="${ARCA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
reachable() { psql "$url" -qAtc 'select 1' >/dev/null 2>&1; }
reachable && exit 0

# Only a server on this machine's default port is ours to start or configure.
default_url=false
[ "$url" = postgres://postgres@127.0.0.1:5432/test ] && default_url=true
version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
if ! $default_url || [ -z "$version" ]; then
  say "cannot connect to PostgreSQL at $url"
  say "start it, set ARCA_TEST_POSTGRES_URL to one that works, or run SQLite only: ARCA_TEST_DIALECTS=sqlite npm test"
  exit 1
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  start="pg_ctlcluster --skip-systemctl-redirect $version main start"
  if ! $root; then
    say "PostgreSQL $version is not running; start it with:  sudo $start"
    exit 1
  fi
  say "starting PostgreSQL $version"
  $start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
reachable && exit 0

# A fresh Debian cluster asks for a password over TCP and has no `test` database: the default URL
# needs the postgres role trusted on loopback (added once, marked) and that database.
hba="/etc/postgresql/$version/main/pg_hba.conf"
if ! $root; then
  say "PostgreSQL runs but $url refuses the connection; as root, this script trusts the postgres role on 127.0.0.1 and creates the database test:  sudo $0"
  exit 1
fi
if ! grep -q 'arca test-setup' "$hba"; then
  say "trusting the postgres role on 127.0.0.1 in $hba (for the tests' default URL)"
  { echo 'host all postgres 127.0.0.1/32 trust  # arca test-setup'; cat "$hba"; } >"$hba.arca-new"
  chown --reference="$hba" "$hba.arca-new"
  chmod --reference="$hba" "$hba.arca-new"
  mv "$hba.arca-new" "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload
fi
if ! runuser -u postgres -- psql -qAtc "select 1 from pg_database where datname = 'test'" | grep -q 1; then
  say "creating the database test"
  runuser -u postgres -- createdb test
fi
reachable || {
  say "cannot connect to PostgreSQL at $url"
  exit 1
}
