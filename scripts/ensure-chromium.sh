#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium (the browser the Playwright tests launch).
# Idempotent: does nothing when it is already installed.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

log() { printf '[ensure-chromium] %s\n' "$*" >&2; }

if [ -x "$CHROMIUM" ]; then
  log "$("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM") is installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  log "ERROR: $CHROMIUM is missing. Install Debian's chromium as root:"
  log "  apt-get update && apt-get install -y chromium"
  log "(npx playwright install does not work offline; the tests use $CHROMIUM)"
  exit 1
fi

log "installing chromium from apt ..."
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium \
  || { log "ERROR: apt-get install chromium failed"; exit 1; }
[ -x "$CHROMIUM" ] || { log "ERROR: chromium installed but $CHROMIUM not found"; exit 1; }
log "$("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM") installed"
