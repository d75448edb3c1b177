#!/usr/bin/env bash
# Installs the Debian packages the integration tests run for real: PostgreSQL 15 with pg_cron
# and pgAudit, PgBouncer, postgres_exporter, and shellcheck. Does nothing when all are present;
# as a non-root user it only says what is missing.
set -euo pipefail

packages=(
  postgresql-15
  postgresql-client-15
  postgresql-15-cron
  postgresql-15-pgaudit
  pgbouncer
  prometheus-postgres-exporter
  shellcheck
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (install them as root: apt-get install -y ${missing[*]})" >&2
  exit 1
fi

echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d keeps the packages' services from starting: tests start their own servers.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}"
