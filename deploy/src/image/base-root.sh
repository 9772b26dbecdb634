#!/usr/bin/env bash
# Builds the container image's base from this machine's own parts, with no registry and no Docker
# daemon: a jlinked Java 17 runtime, the few shared libraries it links against (copied from the
# host, found with ldd), tini as PID 1, dash for the `muster` launcher script, a CA bundle, and the
# files a non-root process expects (/etc/passwd, /tmp). Jib then layers the agent's jars on top
# (deploy/pom.xml, profile "image").
#
# Usage: base-root.sh OUT_DIR        (OUT_DIR is emptied first) writes
#   OUT_DIR/root      the base's file tree
#   OUT_DIR/base.tar  that tree but the CDS archive, as a one-layer image in `docker save` format:
#                     Jib's base image. A tar made here keeps what Jib's own layers cannot say
#                     (owners, the sticky bit, modes taken from the files), and its config gives
#                     the architecture of the runtime inside.
#   OUT_DIR/cds       the runtime's class-data archive at its path in the image, which Jib adds as a
#                     layer of its own: it differs from build to build and the rest does not, so
#                     the base layer stays the same one in Jib's cache and in a registry.
# JAVA_HOME picks the JDK (default: the one `javac` belongs to); it must have jmods/ (Debian's
# openjdk-17-jdk-headless has them).
set -euo pipefail
umask 022
dir=${1:?usage: base-root.sh OUT_DIR}
out=$dir/root
here=$(cd "$(dirname "$0")" && pwd)
fail() {
  echo "base-root.sh: $*" >&2
  exit 1
}

if [ -z "${JAVA_HOME:-}" ]; then
  JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
fi
[ -d "$JAVA_HOME/jmods" ] ||
  fail "$JAVA_HOME has no jmods/; install a full JDK 17 (Debian: openjdk-17-jdk-headless)"

# PID 1: tini reaps processes re-parented to it (what `muster exec` and cleanup commands leave
# behind) and passes SIGTERM on to the agent. Debian's tini-static needs no library at all.
tini=/usr/bin/tini-static
if [ ! -x "$tini" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "base-root.sh: installing Debian's tini for $tini"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tini >/dev/null
fi
[ -x "$tini" ] || fail "no $tini; install it (Debian: apt-get install tini)"
# The launcher's shell: this machine's dash (Debian's /bin/sh), linked only against the libc the
# runtime needs anyway.
dash=$(command -v dash) || fail "no dash; install it (Debian: apt-get install dash)"

# The modules: `jdeps --ignore-missing-deps --print-module-deps --multi-release 17 lib/*.jar` on the
# distribution's jars gives java.base, java.compiler, java.desktop, java.naming, java.net.http,
# java.sql, jdk.jfr, jdk.management, jdk.unsupported. Added because they are loaded as services, which
# jdeps cannot see: jdk.crypto.ec (TLS key exchange with EC curves, used by every TLS backend) and
# jdk.zipfs. ImageIT runs the image's own tree to check that this list is enough.
modules=java.base,java.compiler,java.desktop,java.naming,java.net.http,java.sql,jdk.jfr,jdk.management,jdk.unsupported,jdk.crypto.ec,jdk.zipfs

# java.desktop is there for java.beans (the EC2 model classes and Micrometer refer to it); its
# native graphics, font, image and sound libraries are left out, with the X11, freetype and ALSA
# libraries they would pull in. The agent runs headless (-Djava.awt.headless=true).
desktop_natives='**/libawt_xawt.so,**/libjawt.so,**/libsplashscreen.so,**/libfontmanager.so,**/libjavajpeg.so,**/liblcms.so,**/libjsound.so'

# Native debug symbols go too when binutils' objcopy is there to strip them (jlink calls it).
if command -v objcopy >/dev/null 2>&1; then
  strip=(--strip-java-debug-attributes --strip-native-debug-symbols=exclude-debuginfo-files)
else
  strip=(--strip-debug)
fi

rm -rf "$dir"
mkdir -p "$out/opt"
"$JAVA_HOME/bin/jlink" \
  --module-path "$JAVA_HOME/jmods" \
  --add-modules "$modules" \
  "${strip[@]}" --no-man-pages --no-header-files --compress=2 \
  --exclude-files="$desktop_natives" \
  --generate-cds-archive \
  --output "$out/opt/java"
# The archive for heaps over 32 GiB (no compressed oops) is never used with the agent's 128 MiB heap.
rm -f "$out/opt/java/lib/server/classes_nocoops.jsa"

# Debian's JDK takes its trust store from ca-certificates-java (a symlink outside the JDK); the
# runtime gets a copy, so TLS verification (on by default) works for public endpoints such as AWS.
cacerts=$(readlink -f "$JAVA_HOME/lib/security/cacerts")
[ -s "$cacerts" ] ||
  fail "no CA trust store at $JAVA_HOME/lib/security/cacerts (Debian: ca-certificates-java)"
rm -f "$out/opt/java/lib/security/cacerts"
cp "$cacerts" "$out/opt/java/lib/security/cacerts"

mkdir -p "$out/bin" "$out/usr/bin" "$out/usr/local/bin"
cp "$tini" "$out/usr/bin/tini"
cp "$dash" "$out/bin/sh"
cp "$here/muster" "$out/usr/local/bin/muster"
chmod 755 "$out/usr/bin/tini" "$out/bin/sh" "$out/usr/local/bin/muster"

# Every shared library the runtime's binaries and libraries (and the shell) link against, copied
# to the path ldd found it at, which is where the dynamic linker looks: the machine's own library
# layout (Debian's multiarch directory, the loader's path), never written down here. glibc 2.34+
# has the files and DNS name services built in, so no libnss_* is needed for /etc/hosts and DNS.
copy_lib() {
  local path=$1
  [ -e "$out$path" ] && return 0
  mkdir -p "$out$(dirname "$path")"
  cp -L "$path" "$out$path"
  chmod 755 "$out$path"
}
binaries=$(find "$out/opt/java" "$out/bin" -type f \( -name '*.so' -o -perm -u+x \))
# shellcheck disable=SC2086
deps=$(ldd $binaries 2>/dev/null)
# libjvm.so is found at run time through the launcher, not the linker: the only allowed miss.
missing=$(printf '%s\n' "$deps" | awk '/not found/ && $1 != "libjvm.so" { print $1 }' | sort -u)
[ -z "$missing" ] || fail "the runtime needs libraries this machine lacks: $missing"
libs=$(printf '%s\n' "$deps" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | sort -u)
[ -n "$libs" ] || fail "ldd found no shared library for the runtime"
for lib in $libs; do
  case $lib in "$out"/*) continue ;; esac # the runtime's own libraries, found through $ORIGIN
  copy_lib "$lib"
done

uid=$(awk -F: '$1 == "muster" { print $3 }' "$here/passwd")
gid=$(awk -F: '$1 == "muster" { print $4 }' "$here/passwd")
[ -n "$uid" ] && [ -n "$gid" ] || fail "$here/passwd has no user muster"
mkdir -p "$out/etc/muster" "$out/var/lib/muster" "$out/tmp"
cp "$here/passwd" "$out/etc/passwd"
cp "$here/group" "$out/etc/group"
cp "$here/nsswitch.conf" "$out/etc/nsswitch.conf"
cp "$here/muster.conf" "$out/etc/muster/muster.conf"
# Nothing is world-writable without the sticky bit: /tmp as on any Unix, the data dir the agent's
# user's own (a deployment mounts a volume there; this is for a throwaway run).
chmod 1777 "$out/tmp"
chmod 700 "$out/var/lib/muster"

# The image config's architecture is the runtime's own (its os.arch), in the OCI image spec's names.
jdk_arch=$("$out/opt/java/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *os.arch = //p')
case $jdk_arch in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  ppc64le) arch=ppc64le ;;
  s390x) arch=s390x ;;
  riscv64) arch=riscv64 ;;
  *) fail "no OCI architecture name known for the runtime's os.arch \"$jdk_arch\"" ;;
esac

# The base image: one layer, reproducible (sorted, time 0, numeric owners), the data dir owned by
# the agent's user and everything else by root; the CDS archive beside it.
cds=opt/java/lib/server/classes.jsa
mkdir -p "$dir/cds/$(dirname "$cds")"
cp -p "$out/$cds" "$dir/cds/$cds"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar_opts=(--format=gnu --sort=name --mtime=@0 --numeric-owner -C "$out")
# shellcheck disable=SC2046
tar -cf "$work/layer.tar" "${tar_opts[@]}" --owner=0 --group=0 --exclude=var/lib/muster \
  --exclude="$cds" $(cd "$out" && ls -A)
tar -rf "$work/layer.tar" "${tar_opts[@]}" --owner="$uid" --group="$gid" --no-recursion var/lib/muster
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n "$work/layer.tar"
printf '%s\n' "{\"architecture\":\"$arch\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff_id\"]},\"history\":[{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"deploy/src/image/base-root.sh\"}]}" \
  > "$work/config.json"
printf '%s\n' '[{"Config":"config.json","RepoTags":["muster-base:local"],"Layers":["layer.tar.gz"]}]' \
  > "$work/manifest.json"
tar -cf "$dir/base.tar" --format=gnu --mtime=@0 --numeric-owner --owner=0 --group=0 -C "$work" \
  manifest.json config.json layer.tar.gz
echo "base-root.sh: $(du -sh "$out" | cut -f1) in $out; base image ($arch, layer sha256:$diff_id)" \
  "$(du -h "$dir/base.tar" | cut -f1) in $dir/base.tar"
