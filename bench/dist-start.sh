#!/usr/bin/env bash
# Start-up time and idle memory of the agent from the distribution tarball, against plain
# `java -jar` with the JVM's defaults. Each run starts `muster run` on examples/classic.conf (no
# external service), times launch -> GET /health/live answering 200, waits IDLE seconds, reads the
# JVM's resident set (VmRSS), then stops it with SIGTERM.
#   bench/dist-start.sh [RUNS] [IDLE]      (needs deploy/target/muster.jar and the tarball; with
#   deploy/target/muster-image.tar from `mvn -Pimage package` and root, the image too)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
idle=${2:-10}
tarball=$(ls deploy/target/muster-*.tar.gz)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar xzf "$tarball" -C "$work"
home=$(ls -d "$work"/muster-*)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The JVM under PID (itself, or a descendant when PID is unshare/chroot running the image).
jvm_of() {
  local pid=$1
  while [ "$(cat /proc/$pid/comm 2>/dev/null)" != java ]; do
    local child
    child=$(pgrep -P "$pid" | head -1)
    [ -n "$child" ] || { echo "$pid"; return; }
    pid=$child
  done
  echo "$pid"
}

# measure LABEL CMD...: prints "LABEL: start N ms, idle RSS M MiB" per run, then medians.
# CONF (default: the tarball's examples/classic.conf) is the config path CMD is given.
measure() {
  local label=$1; shift
  local tag=${label//[^a-zA-Z0-9]/_}
  local starts=() rss=()
  for i in $(seq 1 "$runs"); do
    local api peer t0 t1 pid
    api=$(free_port); peer=$(free_port)
    t0=$(date +%s%N)
    MUSTER__API__PORT=$api MUSTER__PEER__PORT=$peer MUSTER__DATA_DIR="$work/data-$tag-$i" \
      "$@" run --config "${CONF:-$home/examples/classic.conf}" > "$work/$tag-$i.log" 2>&1 &
    pid=$!
    until curl -s -o /dev/null -m 1 "http://127.0.0.1:$api/health/live"; do sleep 0.01; done
    t1=$(date +%s%N)
    sleep "$idle"
    starts+=($(( (t1 - t0) / 1000000 )))
    local jvm
    jvm=$(jvm_of "$pid")
    rss+=($(( $(awk '/VmRSS/ {print $2}' /proc/$jvm/status) / 1024 )))
    kill -TERM "$jvm"; wait "$pid" || true
  done
  med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  echo "$label: start-up to /health/live ${starts[*]} ms (median $(med "${starts[@]}")); idle RSS ${rss[*]} MiB (median $(med "${rss[@]}"))"
}

measure "java -jar (JVM defaults)" java -jar deploy/target/muster.jar
measure "bin/muster (sidecar flags)" "$home/bin/muster"
# The class-data archive from one run that ends with SIGTERM (as bin/muster-archive would make).
api=$(free_port)
MUSTER_ARCHIVE_AT_EXIT="$home/lib/muster.jsa" MUSTER__API__PORT=$api MUSTER__PEER__PORT=$(free_port) \
  MUSTER__DATA_DIR="$work/data-archive" "$home/bin/muster" run --config "$home/examples/classic.conf" > "$work/archive.log" 2>&1 &
pid=$!
until curl -s -o /dev/null -m 1 "http://127.0.0.1:$api/health/live"; do sleep 0.01; done
kill -TERM "$pid"; wait "$pid" || true
[ -f "$home/lib/muster.jsa" ] || { echo "no archive written" >&2; exit 1; }
measure "bin/muster (sidecar flags + archive)" "$home/bin/muster"
# The container image (mvn -Pimage package), run as a runtime would (needs root): its layers
# unpacked, its entrypoint under unshare (mount and PID namespaces, /proc, /dev bound) and chroot
# as uid 65532, on the same classic.conf copied into it.
image=deploy/target/muster-image.tar
if [ -f "$image" ] && [ "$(id -u)" = 0 ]; then
  root=$work/image-root
  mkdir -p "$work/image" "$root/proc" "$root/dev"
  tar xf "$image" -C "$work/image"
  for layer in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))[0]["Layers"]))' "$work/image/manifest.json"); do
    tar --warning=no-unknown-keyword -xzf "$work/image/$layer" -C "$root"
  done
  printf '127.0.0.1 localhost\n127.0.0.1 %s\n' "$(hostname)" > "$root/etc/hosts"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  cp "$home/examples/classic.conf" "$root/etc/muster/classic.conf"
  entry=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["config"]["Entrypoint"]))' "$work/image/config.json")
  # shellcheck disable=SC2086
  CONF=/etc/muster/classic.conf measure "image (entrypoint as shipped)" \
    /usr/bin/unshare --mount --pid --fork --mount-proc="$root/proc" \
    sh -c '/bin/mount --rbind /dev "$0/dev" && exec /usr/sbin/chroot --userspec=65532:65532 "$0" "$@"' "$root" $entry
  echo "image: $(du -h "$image" | cut -f1) ($(stat -c %s "$image") bytes, layers gzipped); unpacked: $(du -sh "$root" | cut -f1)"
fi
echo "tarball: $(du -h "$tarball" | cut -f1) ($(stat -c %s "$tarball") bytes); unpacked: $(du -sh "$home" --exclude=muster.jsa | cut -f1)"
