#!/usr/bin/env bash
# Installs OpenLDAP's slapd and ldap-utils from the system packages, once.
# The LDAP connector's tests start their own slapd from this binary; nothing is
# configured or started here. Idempotent: does nothing when slapd is present.
set -euo pipefail

have_slapd() {
  command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ]
}

if have_slapd; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install_slapd.sh: slapd is missing and this user cannot install packages (not root, no sudo)" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends slapd ldap-utils >/dev/null

# The package starts a system slapd on port 389; the tests run their own, so
# stop the packaged one if it came up (best effort: there may be no init system).
if command -v service >/dev/null 2>&1; then
  $SUDO service slapd stop >/dev/null 2>&1 || true
fi

have_slapd || { echo "install_slapd.sh: slapd still missing after apt-get install" >&2; exit 1; }
