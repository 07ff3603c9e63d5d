#!/usr/bin/env bash
# Make sure a Docker engine is installed and answering. Idempotent: does nothing when
# `docker version` already reaches a daemon.
#
#   - dockerd missing and root  -> apt-get install docker.io docker-compose
#   - daemon not answering      -> start `dockerd` detached (outlives this script), wait up to
#                                  SCALEDECK_DOCKER_WAIT seconds (default 60) for it to answer
#
# Exit status 0 when `docker version` answers at the end, non-zero with a message otherwise.
set -euo pipefail

WAIT_SECONDS="${SCALEDECK_DOCKER_WAIT:-60}"
DOCKERD_LOG="${SCALEDECK_DOCKERD_LOG:-/var/log/dockerd.log}"

log() { printf '[ensure-docker] %s\n' "$*" >&2; }
die() { printf '[ensure-docker] ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

LAST_ERROR=""
engine_answers() {
  command -v docker >/dev/null 2>&1 || { LAST_ERROR="docker CLI not found"; return 1; }
  LAST_ERROR=$(timeout 10 docker version --format '{{.Server.Version}}' 2>&1 >/dev/null) && return 0
  case "$LAST_ERROR" in
    *"permission denied"*)
      die "the Docker daemon runs but this user ($(id -un)) may not use its socket:
       $LAST_ERROR
       Run as root, or add the user to the docker group (usermod -aG docker $(id -un)) and log in again." ;;
  esac
  return 1
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$@"
}

# 1. Installed?
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  if engine_answers; then
    # A docker CLI that reaches some daemon (e.g. rootless / remote DOCKER_HOST) is enough.
    log "docker answers (DOCKER_HOST=${DOCKER_HOST:-default}); nothing to do"
    exit 0
  fi
  if ! is_root; then
    die "Docker is not installed. As root run: apt-get update && apt-get install -y docker.io docker-compose
       (or re-run this script as root: sudo bash scripts/ensure-docker.sh)"
  fi
  log "installing docker.io and docker-compose from apt ..."
  apt_install docker.io docker-compose || die "apt-get install docker.io docker-compose failed"
  command -v dockerd >/dev/null 2>&1 || die "dockerd still not found after installing docker.io"
fi

# 2. Answering?
if engine_answers; then
  log "Docker engine $(docker version --format '{{.Server.Version}}' 2>/dev/null) is answering"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST#unix://}" = "$DOCKER_HOST" ]; then
  die "DOCKER_HOST=$DOCKER_HOST does not answer; this script only starts a local dockerd"
fi

if pgrep -x dockerd >/dev/null 2>&1; then
  log "dockerd is running (pid $(pgrep -x dockerd | tr '\n' ' ')) but not answering yet; waiting"
else
  is_root || die "the Docker daemon is not running and we are not root. Start it as root:
       dockerd >/var/log/dockerd.log 2>&1 &     (or: sudo bash scripts/ensure-docker.sh)"
  log "starting dockerd (log: $DOCKERD_LOG) ..."
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  # setsid + nohup: own session, immune to the hangup of this shell, so it outlives the script.
  setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  STARTED_PID=$!
  disown || true
fi

dockerd_alive() {
  if [ -n "${STARTED_PID:-}" ]; then
    # Our own child: alive unless gone or a zombie (kill -0 succeeds on zombies).
    local state
    state=$(awk '{ print $3 }' "/proc/$STARTED_PID/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
  else
    pgrep -x dockerd >/dev/null 2>&1
  fi
}

deadline=$((SECONDS + WAIT_SECONDS))
until engine_answers; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "last lines of $DOCKERD_LOG:"
    tail -n 30 "$DOCKERD_LOG" >&2 2>/dev/null || true
    die "the Docker daemon did not answer \`docker version\` within ${WAIT_SECONDS}s (last error: ${LAST_ERROR:-none})"
  fi
  if ! dockerd_alive; then
    sleep 1
    engine_answers && break
    log "last lines of $DOCKERD_LOG:"
    tail -n 30 "$DOCKERD_LOG" >&2 2>/dev/null || true
    die "dockerd exited during startup (see $DOCKERD_LOG)"
  fi
  sleep 0.5
done
log "Docker engine $(docker version --format '{{.Server.Version}}' 2>/dev/null) is answering"
