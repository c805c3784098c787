#!/usr/bin/env bash
# Docker backend tests need a running engine and a JRE image. No registry is reachable, so the image is made from
# the host JDK and the shared libraries it links, and imported under a fixed tag the tests use.
set -euo pipefail

# The tag the tests use (DockerTestEngine.IMAGE).
IMAGE="airlock-test-jre:17"
JDK="${AIRLOCK_DOCKER_TEST_JDK:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"

if ! command -v dockerd >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  nohup dockerd >/var/log/airlock-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /var/log/airlock-dockerd.log" >&2; exit 1; }
fi

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  exit 0
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/opt" "$root/usr/bin" "$root/etc" "$root/tmp"
# Debian's JDK links into /etc and /usr/share (some links dangle, src.zip): copy, then replace links by targets.
cp -a "$JDK/." "$root/opt/jre"
find "$root/opt/jre" -type l | while read -r link; do
  target="$(readlink -f "$link" || true)"
  rm -f "$link"
  if [ -n "$target" ] && [ -e "$target" ]; then cp -rL "$target" "$link"; fi
done
{
  ldd "$JDK/bin/java"
  ldd "$JDK/lib/server/libjvm.so"
  for lib in "$JDK"/lib/*.so "$JDK"/lib/jspawnhelper; do ldd "$lib" 2>/dev/null || true; done
} | grep -o '/[^ ]*' | sort -u | while read -r lib; do
  [ -e "$lib" ] && cp -L --parents "$lib" "$root"
done
ln -s /opt/jre/bin/java "$root/usr/bin/java"
# `true`, for the benchmarks' container-start baseline (`docker run --rm <image> true`); it needs only libc.
cp -L "$(type -P true)" "$root/usr/bin/true"
printf 'root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
chmod -R a+rX "$root"
chmod 1777 "$root/tmp"
tar -C "$root" -cf - . | docker import -c 'ENV PATH=/usr/bin:/opt/jre/bin' - "$IMAGE" >/dev/null
