#!/usr/bin/env bash
# Build the "test" image set (shared/spec/images.ts) WITHOUT any container registry, from Debian
# packages, and verify each image by running it once:
#
#   scaledeck-test/nginx:1     nginx-light + curl (stub_status)
#   scaledeck-test/redis:1     redis-server + redis-cli
#   scaledeck-test/postgres:1  postgresql-15 (binaries on PATH, user postgres, PGDATA like the official image)
#   scaledeck-test/node:1      this machine's node 20 + npm, user node (uid 1000)
#   scaledeck-test/api:1       backend-template/ built FROM scaledeck-test/node:1
#   scaledeck-test/lab-host:1  (labhost) a stand-in remote host: sshd + its own dockerd
#
# How: `debootstrap --variant=minbase bookworm` once into a cached tarball
# ($SCALEDECK_CACHE_DIR, default /var/cache/scaledeck/rootfs-base.tar); per image: extract a copy,
# chroot apt-get install, `tar | docker import`. Each image carries
# LABEL io.scaledeck.test-image=<hash of its recipe>; an image whose label matches is skipped, so a
# second run takes seconds. The api image is a normal (cached) `docker build`.
#
# Images have NO entrypoint: ScaleDeck passes the full command line to every container.
#
# Usage: bash scripts/test-images.sh [--force] [--verify] [IMAGE...]
#   IMAGE     nginx redis postgres node api labhost (default: all)
#   --force   rebuild the selected images even if their label matches (not the base rootfs)
#   --rebase  rebuild the cached debootstrap base too (implies --force)
#   --verify  re-run the verification of up-to-date images too
# Env: SCALEDECK_CACHE_DIR, SCALEDECK_DEBIAN_MIRROR, SCALEDECK_DEBIAN_SECURITY_MIRROR (or "none").
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"

# Bump to force every image to rebuild when something outside the recipe functions changes.
RECIPE_VERSION=1
SUITE=bookworm
CACHE_DIR="${SCALEDECK_CACHE_DIR:-/var/cache/scaledeck}"
BASE_TAR="$CACHE_DIR/rootfs-base.tar"
BASE_ID_FILE="$CACHE_DIR/rootfs-base.id"
LOG_DIR="$CACHE_DIR/logs"
LABEL_KEY=io.scaledeck.test-image
DEFAULT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PG_MAJOR=15

ALL_IMAGES=(nginx redis postgres node api labhost)
declare -A TAG=(
  [labhost]=scaledeck-test/lab-host:1
  [nginx]=scaledeck-test/nginx:1
  [redis]=scaledeck-test/redis:1
  [postgres]=scaledeck-test/postgres:1
  [node]=scaledeck-test/node:1
  [api]=scaledeck-test/api:1
)

# ---------------------------------------------------------------------------------------------
# output helpers

T_START=$EPOCHREALTIME
now() { printf '%s' "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }
say() { printf '[test-images] %s\n' "$*"; }
sayi() { printf '[test-images] %-9s %s\n' "$1" "${*:2}"; }
die() { printf '[test-images] ERROR: %s\n' "$*" >&2; exit 1; }
# Inside a build job (stdout = its log file).
step() { printf '\n=== [%s] %s\n' "$(date +%T)" "$*"; }
fail() { printf '\nFAILED: %s\n' "$*"; exit 1; }

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

FORCE=0 REBASE=0 VERIFY_ALL=0 SELECTED=()
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --rebase) FORCE=1 REBASE=1 ;;
    --verify) VERIFY_ALL=1 ;;
    -h|--help) usage; exit 0 ;;
    nginx|redis|postgres|node|api|labhost) SELECTED+=("$arg") ;;
    *) die "unknown argument '$arg' (try --help)" ;;
  esac
done
[ ${#SELECTED[@]} -gt 0 ] || SELECTED=("${ALL_IMAGES[@]}")
is_selected() { local i; for i in "${SELECTED[@]}"; do [ "$i" = "$1" ] && return 0; done; return 1; }

# ---------------------------------------------------------------------------------------------
# machine facts

detect_mirror() { # $1 = regex the URI path must match
  local files=() f
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] || return 0
  grep -hvE '^[[:space:]]*#' "${files[@]}" 2>/dev/null \
    | grep -oE 'https?://[^[:space:]]+' | sed 's:/*$::' | grep -E "$1" | head -n1 || true
}

MIRROR="${SCALEDECK_DEBIAN_MIRROR:-$(detect_mirror '/debian$')}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${SCALEDECK_DEBIAN_SECURITY_MIRROR:-$(detect_mirror '/debian-security$')}"
[ "$SECURITY_MIRROR" = none ] && SECURITY_MIRROR=""

HOST_NODE="$(command -v node || true)"
HOST_NPM_DIR=""
for d in "$(dirname "$(dirname "$(readlink -f "${HOST_NODE:-/usr/bin/node}")")")/lib/node_modules" /usr/lib/node_modules /usr/local/lib/node_modules; do
  if [ -f "$d/npm/package.json" ]; then HOST_NPM_DIR="$d"; break; fi
done

# ---------------------------------------------------------------------------------------------
# recipes: everything that shapes an image lives in these functions / variables, and their text
# is hashed into the image label (change a recipe -> that image rebuilds).

# All chroot commands run with a clean environment.
in_root() { # ROOT CMD...
  local root=$1; shift
  chroot "$root" /usr/bin/env -i PATH="$DEFAULT_PATH" HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true "$@"
}

apt_install() { # ROOT PKG...
  local root=$1; shift
  local opts=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  # The base carries package lists from when it was made; refresh them only if they went stale.
  if ! in_root "$root" apt-get install "${opts[@]}" "$@"; then
    echo "apt-get install failed; refreshing package lists and retrying"
    in_root "$root" apt-get update -q
    in_root "$root" apt-get install "${opts[@]}" "$@"
  fi
}

recipe_base() { # ROOT -- run once after debootstrap
  local root=$1
  {
    echo "deb $MIRROR $SUITE main"
    echo "deb $MIRROR $SUITE-updates main"
    [ -z "$SECURITY_MIRROR" ] || echo "deb $SECURITY_MIRROR $SUITE-security main"
  } >"$root/etc/apt/sources.list"
  # Like Debian's docker images: services never start inside the chroot / image on install.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  cat >"$root/etc/apt/apt.conf.d/90scaledeck" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Acquire::Retries "3";
EOF
  cat >"$root/etc/dpkg/dpkg.cfg.d/90scaledeck-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
EOF
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/*
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  : >"$root/etc/hostname"
  in_root "$root" apt-get update -q
  in_root "$root" apt-get clean
}

finish_rootfs() { # ROOT -- common cleanup before import
  local root=$1
  in_root "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/apt/* \
    "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/tmp/* "$root"/var/tmp/* \
    "$root"/root/.cache
  : >"$root/var/log/dpkg.log"; : >"$root/var/log/alternatives.log"
  : >"$root/etc/resolv.conf"
}

# ---- nginx
PKGS_nginx="nginx-light curl ca-certificates"
CHANGES_nginx=(
  "ENV PATH=$DEFAULT_PATH"
  "ENV LANG=C.UTF-8"
  "EXPOSE 80"
  "STOPSIGNAL SIGQUIT"
  'CMD ["nginx", "-g", "daemon off;"]'
)
pre_nginx() {
  # The official image runs workers as "nginx" (uid/gid 101); Debian's default config uses www-data.
  in_root "$1" groupadd --system --gid 101 nginx
  in_root "$1" useradd --system --uid 101 --gid nginx --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin nginx
}
post_nginx() {
  local root=$1
  mkdir -p "$root/var/lib/nginx" "$root/var/cache/nginx" "$root/var/log/nginx"
  # Logs to the container's stdout/stderr, like the official image.
  ln -sf /dev/stdout "$root/var/log/nginx/access.log"
  ln -sf /dev/stderr "$root/var/log/nginx/error.log"
  in_root "$root" nginx -V
  in_root "$root" sh -c 'nginx -V 2>&1 | grep -q -- --with-http_stub_status_module' \
    || fail "nginx-light lacks the stub_status module"
}

# ---- redis
PKGS_redis="redis-server redis-tools"
CHANGES_redis=(
  "ENV PATH=$DEFAULT_PATH"
  "ENV LANG=C.UTF-8"
  "WORKDIR /data"
  "EXPOSE 6379"
  'CMD ["redis-server"]'
)
pre_redis() {
  # uid/gid 999 like the official image (Debian's postinst reuses an existing "redis" user).
  in_root "$1" groupadd --system --gid 999 redis
  in_root "$1" useradd --system --uid 999 --gid redis --home-dir /var/lib/redis --shell /usr/sbin/nologin redis
}
post_redis() {
  local root=$1
  mkdir -p "$root/data"
  in_root "$root" chown redis:redis /data
  # The official image is compiled with protected mode OFF (it accepts clients from other
  # containers without a password); Debian's build has it ON. This wrapper (first on PATH)
  # restores the official default; an explicit --protected-mode on the command line still wins.
  cat >"$root/usr/local/bin/redis-server" <<'EOF'
#!/bin/sh
# scaledeck-test: protected mode off by default, like the official redis image.
case "${1:-}" in
  -v|--version|-h|--help|--test-memory|--check-system|-) exec /usr/bin/redis-server "$@" ;;
  -*|'') exec /usr/bin/redis-server --protected-mode no "$@" ;;
  *) conf=$1; shift; exec /usr/bin/redis-server "$conf" --protected-mode no "$@" ;;
esac
EOF
  chmod 755 "$root/usr/local/bin/redis-server"
  in_root "$root" redis-server --version
}

# ---- postgres
PKGS_postgres="postgresql-$PG_MAJOR"
CHANGES_postgres=(
  "ENV PATH=/usr/lib/postgresql/$PG_MAJOR/bin:$DEFAULT_PATH"
  "ENV LANG=C.UTF-8"
  "ENV PG_MAJOR=$PG_MAJOR"
  "ENV PGDATA=/var/lib/postgresql/data"
  "EXPOSE 5432"
  "STOPSIGNAL SIGINT"
  'CMD ["postgres"]'
)
pre_postgres() {
  local root=$1
  # uid/gid 999 and home like the official image (postgresql-common reuses an existing user).
  in_root "$root" groupadd --system --gid 999 postgres
  in_root "$root" useradd --system --uid 999 --gid postgres --home-dir /var/lib/postgresql \
    --shell /bin/bash postgres
  mkdir -p "$root/var/lib/postgresql"
  in_root "$root" chown postgres:postgres /var/lib/postgresql
  # No Debian-style "main" cluster: the container runs initdb itself.
  mkdir -p "$root/etc/postgresql-common/createcluster.d"
  echo 'create_main_cluster = false' >"$root/etc/postgresql-common/createcluster.d/00-scaledeck.conf"
}
post_postgres() {
  local root=$1
  rm -rf "$root/etc/postgresql/$PG_MAJOR" "$root/var/lib/postgresql/$PG_MAJOR"
  # Like the official image: initdb-generated postgresql.conf listens on all interfaces.
  sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" \
    "$root/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample"
  grep -q "^listen_addresses = '\*'" "$root/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample" \
    || fail "could not set listen_addresses in postgresql.conf.sample"
  mkdir -p "$root/var/run/postgresql" "$root/var/lib/postgresql/data"
  in_root "$root" chown -R postgres:postgres /var/run/postgresql /var/lib/postgresql/data
  chmod 3777 "$root/var/run/postgresql"
  chmod 1777 "$root/var/lib/postgresql/data"
  local b
  for b in postgres initdb pg_ctl pg_isready psql pg_basebackup pg_dump; do
    [ -x "$root/usr/lib/postgresql/$PG_MAJOR/bin/$b" ] || fail "missing /usr/lib/postgresql/$PG_MAJOR/bin/$b"
  done
}

# ---- node
PKGS_node="libstdc++6 ca-certificates"
CHANGES_node=( # NODE_VERSION is added at build time
  "ENV PATH=$DEFAULT_PATH"
  "ENV LANG=C.UTF-8"
  'CMD ["node"]'
)
pre_node() {
  # Like the official node image: user/group "node", uid/gid 1000, home /home/node.
  in_root "$1" groupadd --gid 1000 node
  in_root "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home --home-dir /home/node node
}
post_node() {
  local root=$1
  install -m 755 "$HOST_NODE" "$root/usr/bin/node"
  mkdir -p "$root/usr/lib/node_modules"
  cp -a "$HOST_NPM_DIR/npm" "$root/usr/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  if [ -f "$HOST_NPM_DIR/corepack/package.json" ]; then
    cp -a "$HOST_NPM_DIR/corepack" "$root/usr/lib/node_modules/corepack"
    ln -sf ../lib/node_modules/corepack/dist/corepack.js "$root/usr/bin/corepack"
  fi
  in_root "$root" node --version
  in_root "$root" npm --version
}
node_fingerprint() { # what of the host goes into the node image
  [ -n "$HOST_NODE" ] && [ -n "$HOST_NPM_DIR" ] || { echo "missing"; return; }
  sha256sum "$(readlink -f "$HOST_NODE")" | cut -d' ' -f1
  cat "$HOST_NPM_DIR/npm/package.json" "$HOST_NPM_DIR/corepack/package.json" 2>/dev/null | sha256sum | cut -d' ' -f1
}

# ---- labhost (scaledeck-test/lab-host:1): a container standing in for a remote server
# (test/support/lab.ts). It runs its own dockerd (vfs; the flags that work here are in
# ENVIRONMENT.md) and sshd. The test hands in the host key, the authorized key and a password
# through env vars that lab-host-start writes out.
PKGS_labhost="docker.io openssh-server iptables ca-certificates procps iproute2"
CHANGES_labhost=(
  "ENV PATH=$DEFAULT_PATH"
  "ENV LANG=C.UTF-8"
  "EXPOSE 22"
  'CMD ["/usr/local/bin/lab-host-start"]'
)
pre_labhost() { :; }
post_labhost() {
  local root=$1
  in_root "$root" useradd --create-home --shell /bin/bash lab
  in_root "$root" usermod -aG docker lab
  # A user who may log in but not use the engine (the "permission denied" hint is tested).
  in_root "$root" useradd --create-home --shell /bin/bash nodocker
  # A docker user whose sshd forbids socket forwarding (the dial-stdio fallback is tested).
  in_root "$root" useradd --create-home --shell /bin/bash stdio
  in_root "$root" usermod -aG docker stdio
  rm -f "$root"/etc/ssh/ssh_host_*
  mkdir -p "$root/run/sshd"
  cat >"$root/etc/ssh/sshd_config.d/lab.conf" <<'EOF'
HostKey /etc/ssh/lab_host_key
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
AllowStreamLocalForwarding yes
AllowTcpForwarding yes
MaxSessions 64
MaxStartups 100:30:200
Match User stdio
    AllowStreamLocalForwarding no
EOF
  cat >"$root/usr/local/bin/lab-host-start" <<'EOF'
#!/bin/sh
# scaledeck lab host: write the keys handed in by the test, start dockerd, run sshd in front.
set -e
umask 077
printf '%s\n' "$LAB_HOST_KEY" | base64 -d >/etc/ssh/lab_host_key
for u in lab nodocker stdio; do
  mkdir -p /home/$u/.ssh
  printf '%s\n' "$LAB_AUTHORIZED_KEY" >/home/$u/.ssh/authorized_keys
  chown -R $u:$u /home/$u/.ssh
  [ -z "$LAB_PASSWORD" ] || echo "$u:$LAB_PASSWORD" | chpasswd
done
umask 022
# The nft backend needs kernel support the outer engine may not give; fall back to legacy.
if ! iptables -t nat -L >/dev/null 2>&1; then
  update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
  update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null
fi
# Without --privileged the cgroup hierarchies are mounted read-only, and the inner engine could not
# start containers. cgroup v1: mount each hierarchy again, read-write (CAP_SYS_ADMIN allows it);
# cgroup v2: the usual nesting (move ourselves to a leaf, delegate the controllers).
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
  sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
else
  for d in /sys/fs/cgroup/*; do
    [ -d "$d" ] && [ ! -L "$d" ] || continue
    n=${d##*/}
    o=$n; [ "$n" = systemd ] && o=none,name=systemd
    if grep -q " $d cgroup ro," /proc/mounts; then umount "$d" && mount -t cgroup -o "$o" cgroup "$d"; fi
  done
fi
mkdir -p /var/lib/docker
# Inner containers' cgroups under one parent of their own, apart from the outer engine's.
dockerd --storage-driver=vfs --cgroup-parent=/scaledeck-lab >/var/log/dockerd.log 2>&1 &
exec /usr/sbin/sshd -D -e
EOF
  chmod 755 "$root/usr/local/bin/lab-host-start"
  in_root "$root" docker --version
}
verify_labhost() {
  local img=$1 c key
  c=$(cname labhost)
  step "verify lab-host: dockerd answers inside, sshd listens"
  key=$(docker run --rm "$img" sh -c 'ssh-keygen -q -t ed25519 -N "" -f /tmp/k && base64 -w0 /tmp/k')
  docker run -d --name "$c" --cap-add=ALL --cap-drop=SYS_RESOURCE --security-opt seccomp=unconfined \
    --security-opt apparmor=unconfined --tmpfs /var/lib/docker:exec -e LAB_HOST_KEY="$key" \
    -e LAB_AUTHORIZED_KEY= -e LAB_PASSWORD=verify "$img" >/dev/null
  wait_for 60 docker exec "$c" docker version || { docker logs "$c"; docker exec "$c" cat /var/log/dockerd.log; return 1; }
  docker exec "$c" sh -c 'ss -ltn | grep -q ":22 "'
  docker rm -f "$c" >/dev/null
}

# ---------------------------------------------------------------------------------------------
# hashes / labels

base_hash() {
  { echo "v$RECIPE_VERSION $SUITE minbase"; declare -f recipe_base; } | sha256sum | cut -c1-16
}

image_hash() { # NAME
  local n=$1 pk="PKGS_$1" ch="CHANGES_$1[@]"
  {
    echo "v$RECIPE_VERSION base=$(base_hash) tag=${TAG[$n]}"
    echo "${!pk}"; printf '%s\n' "${!ch}"
    declare -f in_root apt_install finish_rootfs "pre_$n" "post_$n" "verify_$n"
    [ "$n" != node ] || node_fingerprint
  } | sha256sum | cut -c1-16
}

image_label() { # TAG -> label value or empty
  docker image inspect -f "{{ index .Config.Labels \"$LABEL_KEY\" }}" "$1" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# verification (runs on the host against the imported image). Container names carry RUN_ID so the
# EXIT trap removes only what this run created.

RUN_ID="$$"
cname() { echo "scaledeck-verify-$1-$RUN_ID"; }

wait_for() { # SECONDS CMD... -> retry until CMD succeeds
  local secs=$1; shift
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "timed out after ${secs}s waiting for: $*"; "$@" || true; return 1; }
    sleep 0.3
  done
}

container_ip() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }

stop_expect_clean() { # CONTAINER MAX_SECONDS
  local t0=$SECONDS code
  docker stop -t 20 "$1" >/dev/null
  code=$(docker inspect -f '{{.State.ExitCode}}' "$1")
  echo "stopped $1 in $((SECONDS - t0))s, exit code $code"
  [ "$code" = 0 ] || { docker logs --tail 30 "$1" 2>&1; return 1; }
  [ $((SECONDS - t0)) -le "$2" ] || { echo "stop took longer than $2s"; return 1; }
}

verify_nginx() {
  local img=$1 c conf out
  c=$(cname nginx)
  conf="$WORK_DIR/nginx-verify"
  mkdir -p "$conf"
  cat >"$conf/nginx.conf" <<'EOF'
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
  access_log off;
  upstream api { server 127.0.0.1:8082; keepalive 8; keepalive_timeout 60s; }
  server {
    listen 8080;
    location / { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server { listen 8082; location / { default_type text/plain; return 200 "scaledeck-ok\n"; } }
  server { listen 127.0.0.1:8081; location = /nginx_status { stub_status; } }
}
EOF
  step "verify nginx: nginx -t"
  docker run --rm -v "$conf:/etc/scaledeck:ro" "$img" nginx -t -c /etc/scaledeck/nginx.conf
  step "verify nginx: serve, proxy with upstream keepalive, stub_status, reload"
  docker run -d --name "$c" -v "$conf:/etc/scaledeck:ro" "$img" \
    nginx -c /etc/scaledeck/nginx.conf -g 'daemon off;' >/dev/null
  wait_for 20 docker exec "$c" curl -fsS http://127.0.0.1:8080/ || { docker logs "$c"; return 1; }
  docker exec "$c" curl -fsS http://127.0.0.1:8080/ | grep -q scaledeck-ok
  out=$(docker exec "$c" curl -fsS http://127.0.0.1:8081/nginx_status); echo "$out"
  grep -q 'Active connections' <<<"$out"
  docker exec "$c" nginx -c /etc/scaledeck/nginx.conf -s reload
  sleep 0.5
  docker exec "$c" curl -fsS http://127.0.0.1:8080/ | grep -q scaledeck-ok
  docker exec "$c" test -d /var/lib/nginx
  stop_expect_clean "$c" 10
  docker rm -f "$c" >/dev/null
}

verify_redis() {
  local img=$1 c ip
  c=$(cname redis)
  step "verify redis: redis-server + redis-cli ping (local and from another container)"
  docker run -d --name "$c" "$img" redis-server --save '' --appendonly no >/dev/null
  wait_for 20 docker exec "$c" sh -c 'redis-cli ping | grep -q PONG' || { docker logs "$c"; return 1; }
  ip=$(container_ip "$c")
  docker run --rm "$img" redis-cli -h "$ip" ping | grep -q PONG \
    || { echo "redis refuses clients from other containers"; docker logs "$c"; return 1; }
  docker exec "$c" redis-cli set scaledeck ok >/dev/null
  [ "$(docker exec "$c" redis-cli get scaledeck)" = ok ]
  stop_expect_clean "$c" 10
  docker rm -f "$c" >/dev/null
}

verify_postgres() {
  local img=$1 c ip
  c=$(cname postgres)
  step "verify postgres: layout"
  docker run --rm "$img" sh -ec '
    for b in postgres initdb pg_isready psql pg_basebackup; do printf "%s -> %s\n" "$b" "$(command -v $b)"; done
    case "$(command -v postgres)" in /usr/lib/postgresql/*/bin/postgres) ;; *) exit 1 ;; esac
    id postgres
    test "$(stat -c %a /var/lib/postgresql/data)" = 1777
    su postgres -s /bin/sh -c "test -w /var/run/postgresql"
    postgres --version'
  step "verify postgres: initdb + postgres as user postgres, pg_isready, psql"
  docker run -d --name "$c" --user postgres "$img" sh -c \
    'initdb -D /var/lib/postgresql/data/pgdata -U postgres --auth=trust >/tmp/initdb.log 2>&1 || { cat /tmp/initdb.log; exit 1; }; exec postgres -D /var/lib/postgresql/data/pgdata' >/dev/null
  wait_for 60 docker exec --user postgres "$c" pg_isready -q || { docker logs "$c"; return 1; }
  [ "$(docker exec --user postgres "$c" psql -tAc 'select 40 + 2')" = 42 ]
  ip=$(container_ip "$c")
  docker run --rm --user postgres "$img" pg_isready -h "$ip" \
    || { echo "postgres does not listen on the container network"; return 1; }
  stop_expect_clean "$c" 20
  docker rm -f "$c" >/dev/null
}

verify_node() {
  local img=$1 v
  step "verify node: node, npm, npx as root and as user node"
  v=$(docker run --rm "$img" node -e 'console.log(process.version)')
  echo "node $v"
  [ "$v" = "$("$HOST_NODE" --version)" ]
  docker run --rm "$img" npm --version
  docker run --rm --user node -w /home/node "$img" sh -ec '
    test "$(id -u):$(id -g)" = 1000:1000
    test "$HOME" = /home/node
    node -e "console.log(require(\"os\").userInfo().username, process.version)"
    npm --version; npx --version
    npm config get cache
    echo "{\"name\":\"t\",\"version\":\"1.0.0\"}" > package.json && npm pkg get name'
}

verify_api() {
  local img=$1 c hc out
  c=$(cname api)
  step "verify api: routes, HEALTHCHECK command, graceful stop"
  docker run -d --name "$c" -e NODE_NAME=verify-node "$img" >/dev/null
  local get='const [u, want] = process.argv.slice(1); fetch("http://127.0.0.1:3000" + u).then(async (r) => { const t = await r.text(); console.log(r.status, t); process.exit(String(r.status) === want ? 0 : 1); }, (e) => { console.error(String(e)); process.exit(1); })'
  wait_for 20 docker exec "$c" node -e "$get" /health 200 || { docker logs "$c"; return 1; }
  out=$(docker exec "$c" node -e "$get" / 200); echo "$out"
  grep -q '"node":"verify-node"' <<<"$out"
  docker exec "$c" node -e "$get" /ready 200
  docker exec "$c" node -e "$get" /nope 404
  [ "$(docker exec "$c" id -un)" = node ]
  # Run the image's own HEALTHCHECK command.
  hc=$(docker inspect -f '{{json .Config.Healthcheck.Test}}' "$img")
  mapfile -t hc_argv < <("$HOST_NODE" -e 'const a = JSON.parse(process.argv[1]); if (a[0] !== "CMD") process.exit(1); for (const x of a.slice(1)) console.log(x)' "$hc")
  docker exec "$c" "${hc_argv[@]}" || { echo "HEALTHCHECK command failed: $hc"; return 1; }
  stop_expect_clean "$c" 5
  docker rm -f "$c" >/dev/null
}

# ---------------------------------------------------------------------------------------------
# build jobs (each runs in a background subshell; stdout+stderr go to its log file)

umount_under() { # DIR -- unmount anything mounted below DIR (deepest first)
  local m
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
}

build_base() {
  local dir="$WORK_DIR/base"
  step "debootstrap --variant=minbase $SUITE $MIRROR"
  rm -rf "$dir"; mkdir -p "$dir"
  debootstrap --variant=minbase "$SUITE" "$dir" "$MIRROR" \
    || fail "debootstrap failed (mirror $MIRROR); see the lines above"
  cp -L /etc/resolv.conf "$dir/etc/resolv.conf"
  step "configure base"
  recipe_base "$dir"
  step "pack $BASE_TAR"
  tar -C "$dir" --numeric-owner -cf "$BASE_TAR.tmp" .
  mv -f "$BASE_TAR.tmp" "$BASE_TAR"
  base_hash >"$BASE_ID_FILE"
  rm -rf --one-file-system "$dir"
}

build_image() { # NAME HASH
  local n=$1 hash=$2 img=${TAG[$1]}
  local root="$WORK_DIR/$n/rootfs" pk="PKGS_$1" ch="CHANGES_$1[@]"
  local changes=() c t
  trap "umount_under '$WORK_DIR/$n'" EXIT
  t=$EPOCHREALTIME
  step "extract base into $root"
  mkdir -p "$root"
  tar -C "$root" --numeric-owner -xf "$BASE_TAR"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
  step "pre_$n"; "pre_$n" "$root"
  step "apt-get install ${!pk}"; apt_install "$root" ${!pk}
  step "post_$n"; "post_$n" "$root"
  finish_rootfs "$root"
  umount_under "$WORK_DIR/$n"
  echo "rootfs ready in $(since "$t"), $(du -sh --one-file-system "$root" | cut -f1)"

  # `docker import --change` does not take STOPSIGNAL; those go through a metadata-only build.
  local dockerfile=""
  for c in "${!ch}"; do
    case "$c" in STOPSIGNAL*) dockerfile+="$c"$'\n' ;; *) changes+=(-c "$c") ;; esac
  done
  [ "$n" != node ] || changes+=(-c "ENV NODE_VERSION=$("$HOST_NODE" --version | sed 's/^v//')")
  changes+=(-c "LABEL $LABEL_KEY=$hash" -c "LABEL $LABEL_KEY.recipe=$n")
  local target=$img
  [ -z "$dockerfile" ] || target="${img%%:*}:import-$RUN_ID"
  step "docker import -> $target"
  t=$EPOCHREALTIME
  tar -C "$root" --numeric-owner --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' -cf - . \
    | docker import "${changes[@]}" -m "scaledeck test image ($n, recipe $hash)" - "$target"
  if [ -n "$dockerfile" ]; then
    printf 'FROM %s\n%s' "$target" "$dockerfile" | DOCKER_BUILDKIT=0 docker build -q -t "$img" - 
    docker rmi "$target" >/dev/null
  fi
  echo "imported in $(since "$t")"
  rm -rf --one-file-system "$WORK_DIR/$n/rootfs"

  # (a subshell outside any `if`, so `set -e` stays in force inside the verify function)
  set +e; ( set -e; "verify_$n" "$img" ); local vrc=$?; set -e
  if [ "$vrc" != 0 ]; then
    docker rm -f "$(cname "$n")" >/dev/null 2>&1 || true
    # Remove the label so the next run rebuilds instead of trusting a broken image.
    docker rmi "$img" >/dev/null 2>&1 || true
    fail "verification of $img failed; the image was removed"
  fi
  step "OK"
}

build_api() { # VERIFY(0|1)
  local img=${TAG[api]} before after
  before=$(docker image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)
  step "docker build --build-arg BASE_IMAGE=${TAG[node]} -t $img backend-template"
  # Containers may reach the npm registry through a TLS proxy whose CA only the host trusts:
  # hand the host's extra CAs to the build stages (not to the runtime image).
  DOCKER_BUILDKIT=0 docker build --build-arg "BASE_IMAGE=${TAG[node]}" \
    --build-arg "EXTRA_CA_CERTS=$(cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true)" \
    --label "$LABEL_KEY=template" --label "$LABEL_KEY.recipe=api" \
    -t "$img" "$REPO_DIR/backend-template"
  after=$(docker image inspect -f '{{.Id}}' "$img")
  if [ "$before" = "$after" ] && [ "$1" = 0 ]; then
    echo "image unchanged ($after), already verified"
    echo "@@unchanged"
    return 0
  fi
  set +e; ( set -e; verify_api "$img" ); local vrc=$?; set -e
  [ "$vrc" = 0 ] || fail "verification of $img failed"
  step "OK"
}

# ---------------------------------------------------------------------------------------------
# main

command -v docker >/dev/null 2>&1 && timeout 10 docker version >/dev/null 2>&1 \
  || bash "$SCRIPT_DIR/ensure-docker.sh" || die "no Docker engine (scripts/ensure-docker.sh failed)"

# Decide what needs building before asking for root: an up-to-date machine needs nothing.
declare -A HASH=() TODO=()
if [ "$REBASE" = 1 ] || [ ! -f "$BASE_TAR" ] || [ "$(cat "$BASE_ID_FILE" 2>/dev/null)" != "$(base_hash)" ]; then
  NEED_BASE_IF_BUILDING=1
else
  NEED_BASE_IF_BUILDING=0
fi
for n in nginx redis postgres node labhost; do
  is_selected "$n" || continue
  HASH[$n]=$(image_hash "$n")
  if [ "$FORCE" = 1 ] || [ "$(image_label "${TAG[$n]}")" != "${HASH[$n]}" ]; then TODO[$n]=1; fi
done

if [ ${#TODO[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "building ${!TODO[*]} needs root (debootstrap, chroot, mount). Run: sudo bash scripts/test-images.sh"
  if [ -n "${TODO[node]:-}" ]; then
    [ -n "$HOST_NODE" ] || die "no node on PATH to copy into ${TAG[node]}"
    [ -n "$HOST_NPM_DIR" ] || die "npm not found next to $HOST_NODE (looked for lib/node_modules/npm)"
    "$HOST_NODE" -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' \
      || die "$HOST_NODE is $("$HOST_NODE" --version); the node image needs Node >= 20"
  fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap from apt ..."
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq debootstrap \
      || die "could not install debootstrap (apt-get install debootstrap)"
  fi
fi

mkdir -p "$CACHE_DIR" "$LOG_DIR"
exec 9>"$CACHE_DIR/test-images.lock"
if ! flock -n 9; then
  say "another test-images run holds $CACHE_DIR/test-images.lock; waiting ..."
  flock -w 1800 9 || die "timed out waiting for $CACHE_DIR/test-images.lock"
fi

WORK_DIR="$CACHE_DIR/work/run.$RUN_ID"
declare -A JOB_PID=() JOB_NAME=() JOB_T0=()
cleanup() {
  local rc=$? p
  for p in "${!JOB_NAME[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -d "$WORK_DIR" ]; then
    umount_under "$WORK_DIR"
    rm -rf --one-file-system "$WORK_DIR"
  fi
  local leftovers
  leftovers=$(docker ps -aq --filter "name=scaledeck-verify-.*-$RUN_ID\$" 2>/dev/null || true)
  [ -z "$leftovers" ] || docker rm -f $leftovers >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK_DIR"

say "mirror $MIRROR${SECURITY_MIRROR:+ (+ $SECURITY_MIRROR)}, cache $CACHE_DIR, logs $LOG_DIR"

if [ ${#TODO[@]} -gt 0 ] && [ "$NEED_BASE_IF_BUILDING" = 1 ]; then
  t=$EPOCHREALTIME
  sayi base "debootstrap $SUITE (once; cached in $BASE_TAR) ..."
  set +e; ( build_base ) >"$LOG_DIR/base.log" 2>&1; rc=$?; set -e
  if [ "$rc" != 0 ]; then
    tail -n 40 "$LOG_DIR/base.log" >&2
    die "building the base rootfs failed (full log: $LOG_DIR/base.log)"
  fi
  sayi base "done in $(since "$t") ($(du -h "$BASE_TAR" | cut -f1))"
elif [ ${#TODO[@]} -gt 0 ]; then
  sayi base "cached ($BASE_TAR)"
fi

start_job() { # NAME FUNCTION ARGS...
  local n=$1; shift
  ( "$@" ) >"$LOG_DIR/$n.log" 2>&1 &
  JOB_PID[$n]=$!; JOB_NAME[$!]=$n; JOB_T0[$n]=$EPOCHREALTIME
}

FAILED=()
for n in nginx redis postgres node labhost; do
  is_selected "$n" || continue
  if [ -n "${TODO[$n]:-}" ]; then
    sayi "$n" "building ${TAG[$n]} (recipe ${HASH[$n]}) ..."
    start_job "$n" build_image "$n" "${HASH[$n]}"
  elif [ "$VERIFY_ALL" = 1 ]; then
    sayi "$n" "up to date (${HASH[$n]}); verifying ..."
    start_job "$n" "verify_$n" "${TAG[$n]}"
  else
    sayi "$n" "up to date (${TAG[$n]}, recipe ${HASH[$n]})"
  fi
done

api_started=0
maybe_start_api() {
  is_selected api || return 0
  [ "$api_started" = 0 ] || return 0
  [ -z "${JOB_PID[node]:-}" ] || return 0        # node still building
  docker image inspect "${TAG[node]}" >/dev/null 2>&1 || return 0
  api_started=1
  sayi api "docker build ${TAG[api]} ..."
  start_job api build_api "$VERIFY_ALL"
}
maybe_start_api
if is_selected api && [ "$api_started" = 0 ] && [ -z "${JOB_PID[node]:-}" ]; then
  FAILED+=(api); sayi api "FAILED: ${TAG[node]} is missing (run: bash scripts/test-images.sh node api)"
fi

while [ ${#JOB_NAME[@]} -gt 0 ]; do
  set +e; wait -n -p done_pid "${!JOB_NAME[@]}"; rc=$?; set -e
  [ -n "${done_pid:-}" ] || continue
  n=${JOB_NAME[$done_pid]}
  unset "JOB_NAME[$done_pid]" "JOB_PID[$n]"
  if [ "$rc" = 0 ]; then
    if grep -q '^@@unchanged' "$LOG_DIR/$n.log"; then
      sayi "$n" "up to date (docker build cache) in $(since "${JOB_T0[$n]}")"
    else
      sayi "$n" "ready + verified in $(since "${JOB_T0[$n]}")"
    fi
  else
    FAILED+=("$n")
    sayi "$n" "FAILED after $(since "${JOB_T0[$n]}") (exit $rc); last lines of $LOG_DIR/$n.log:"
    tail -n 30 "$LOG_DIR/$n.log" | sed 's/^/    | /' >&2
  fi
  if [ "$n" = node ]; then
    if [ "$rc" = 0 ]; then maybe_start_api
    elif is_selected api; then FAILED+=(api); sayi api "skipped: ${TAG[node]} failed"; fi
  fi
  done_pid=""
done

if [ ${#FAILED[@]} -gt 0 ]; then
  die "failed: ${FAILED[*]} (total $(since "$T_START")); logs in $LOG_DIR"
fi
say "all images ready in $(since "$T_START"):"
for n in "${SELECTED[@]}"; do
  printf '    %-28s %s\n' "${TAG[$n]}" "$(docker image inspect -f '{{.Size}}' "${TAG[$n]}" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
done
