#!/usr/bin/env bash
# Builds a local stand-in for the official `swift:<X.Y>-bookworm` image, for machines that cannot pull
# from Docker Hub: a Debian bookworm rootfs (debootstrap, with the packages the official image installs)
# plus the Swift toolchain installed on this machine, imported with `docker import`.
#
#   scripts/make-builder-image.sh [TOOLCHAIN_DIR]     # default: the toolchain of `swift` on PATH
#   IMAGE=name:tag scripts/make-builder-image.sh      # another image name (default: swift:<X.Y>-bookworm)
#
# Needs root, debootstrap, docker and access to a Debian mirror. Prints the image name on success.
set -euo pipefail

toolchain="${1:-$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")}"
version="$("$toolchain/usr/bin/swift" --version 2>/dev/null | sed -n 's/.*Swift version \([0-9]*\.[0-9]*\).*/\1/p' | head -1)"
image="${IMAGE:-swift:${version}-bookworm}"
work="$(mktemp -d "${TMPDIR:-/tmp}/swift-builder.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The packages the official swift:*-bookworm Dockerfile installs, plus libncurses6 (this toolchain's tools link it).
packages=binutils,git,gnupg2,libc6-dev,libcurl4-openssl-dev,libedit2,libgcc-12-dev,libncurses6,libpython3-dev,libsqlite3-0,libstdc++-12-dev,libxml2-dev,libz3-dev,pkg-config,tzdata,zlib1g-dev,unzip,ca-certificates

echo "debootstrap bookworm into $work/rootfs…" >&2
debootstrap --variant=minbase --include="$packages" bookworm "$work/rootfs" http://deb.debian.org/debian >&2
echo "adding the toolchain from $toolchain…" >&2
cp -a "$toolchain/usr/." "$work/rootfs/usr/"
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*

echo "docker import as $image…" >&2
tar -C "$work/rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    - "$image" >&2
docker run --rm --network host "$image" swift --version >&2
echo "$image"
