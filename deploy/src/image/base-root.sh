#!/usr/bin/env bash
# Builds the container image's base file tree from this machine's own parts, with no registry and no
# Docker daemon: a jlinked Java 17 runtime, the few shared libraries it links against (copied from
# the host, found with ldd), a CA bundle, and the files a non-root process expects (/etc/passwd,
# /tmp). Jib then layers the agent's jars on top (deploy/pom.xml, profile "image").
#
# Usage: base-root.sh OUT_DIR        (OUT_DIR is emptied first)
# JAVA_HOME picks the JDK (default: the one `javac` belongs to); it must have jmods/ (Debian's
# openjdk-17-jdk-headless has them).
set -euo pipefail
out=${1:?usage: base-root.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${JAVA_HOME:-}" ]; then
  JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
fi
if [ ! -d "$JAVA_HOME/jmods" ]; then
  echo "base-root.sh: $JAVA_HOME has no jmods/; install a full JDK 17 (Debian: openjdk-17-jdk-headless)" >&2
  exit 1
fi

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

rm -rf "$out"
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
if [ ! -s "$cacerts" ]; then
  echo "base-root.sh: no CA trust store at $JAVA_HOME/lib/security/cacerts (Debian: ca-certificates-java)" >&2
  exit 1
fi
rm -f "$out/opt/java/lib/security/cacerts"
cp "$cacerts" "$out/opt/java/lib/security/cacerts"

# Every shared library the runtime's binaries and libraries link against, copied with the path the
# dynamic linker will look for (glibc 2.34+ has the files and DNS name services built in, so no
# libnss_* is needed for /etc/hosts and DNS lookups).
copy_lib() {
  local path=$1
  [ -e "$out$path" ] && return 0
  mkdir -p "$out$(dirname "$path")"
  cp -L "$path" "$out$path"
}
binaries=$(find "$out/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper \))
# shellcheck disable=SC2086
deps=$(ldd $binaries 2>/dev/null)
# libjvm.so is found at run time through the launcher, not the linker: the only allowed miss.
missing=$(printf '%s\n' "$deps" | awk '/not found/ && $1 != "libjvm.so" { print $1 }' | sort -u)
if [ -n "$missing" ]; then
  echo "base-root.sh: the runtime needs libraries this machine lacks: $missing" >&2
  exit 1
fi
while read -r lib; do
  case $lib in "$out"/*) continue ;; esac # the runtime's own libraries, found through $ORIGIN
  copy_lib "$lib"
done < <(printf '%s\n' "$deps" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' | sort -u)

mkdir -p "$out/etc/muster" "$out/var/lib/muster" "$out/tmp"
cp "$here/passwd" "$out/etc/passwd"
cp "$here/group" "$out/etc/group"
cp "$here/nsswitch.conf" "$out/etc/nsswitch.conf"
cp "$here/muster.conf" "$out/etc/muster/muster.conf"
echo "base-root.sh: $(du -sh "$out" | cut -f1) in $out"
