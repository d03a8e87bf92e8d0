#!/usr/bin/env bash
# Builds a local Docker image named like the official Swift builder image
# (`swift:<MAJOR.MINOR>-bookworm`) from a Debian bookworm rootfs plus the Swift
# toolchain installed on this machine. Needed where Docker Hub is unreachable:
# the multi-stage Dockerfile rendered by `swift package containerize` starts
# `FROM swift:<version>-bookworm`, and this image stands in for it.
#
# Usage: scripts/make-builder-image.sh [--force] [--refresh] [--check] [--toolchain DIR] [--mirror URL]
#   --force       rebuild the image (and reuse the cached rootfs) even if it exists
#   --check       when the image exists already, still run the check below
#   --refresh     also re-run debootstrap instead of using the cached rootfs tarball
#   --toolchain   toolchain root containing usr/bin/swift (default: from `which swift`)
#   --mirror      Debian mirror (default: http://deb.debian.org/debian)
#
# Packages: the same list as swiftlang/swift-docker 6.3/debian/12/Dockerfile,
# the Dockerfile of the official `swift:6.3-bookworm` image. The toolchain goes
# to /usr in the rootfs, as in that image. The rootfs with packages installed is
# cached as .build-builder-image/bookworm-rootfs.tar; the image build is skipped
# when the image already exists, unless --force. After building (or with
# --check) it proves the image works as a builder stage: a two-stage Dockerfile
# builds a tiny Swift package fully static in it, copies the binary into
# `FROM scratch`, and runs the result.
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo_root/scripts/lib/common.sh"

force=0
refresh=0
check=0
mirror="http://deb.debian.org/debian"
toolchain=""
while [ $# -gt 0 ]; do
    case "$1" in
        --force) force=1 ;;
        --refresh) refresh=1; force=1 ;;
        --check) check=1 ;;
        --mirror) need_value "$1" $# "${2:-}"; mirror="$2"; shift ;;
        --toolchain) need_value "$1" $# "${2:-}"; toolchain="$2"; shift ;;
        -h|--help) usage_from_header "$0"; exit 0 ;;
        *) echo "error: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# Official image package list (swift-docker 6.3/debian/12/Dockerfile).
packages=(binutils libicu-dev libcurl4-openssl-dev libedit-dev libsqlite3-dev
          libncurses-dev libpython3-dev libxml2-dev pkg-config uuid-dev tzdata
          git gcc libstdc++-12-dev)

for tool in docker debootstrap swift tar; do
    command -v "$tool" >/dev/null || { echo "error: '$tool' not found in PATH" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "error: debootstrap and chroot need root; run as root" >&2; exit 1; }

if [ -z "$toolchain" ]; then
    toolchain="$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")"
fi
[ -x "$toolchain/usr/bin/swift" ] || { echo "error: no usr/bin/swift under toolchain '$toolchain'" >&2; exit 1; }

swift_version="$(swift_minor_version "$toolchain/usr/bin/swift")"
[ -n "$swift_version" ] || { echo "error: cannot read the Swift version from '$toolchain/usr/bin/swift --version'" >&2; exit 1; }
image="swift:${swift_version}-bookworm"

# Removes the untagged builder-stage images the legacy builder keeps (ours only, by label).
remove_check_leftovers() {
    docker image ls -q --filter dangling=true --filter label=swift-containerize.builder-image-check=builder \
        | xargs -r docker image rm >/dev/null 2>&1 || true
}

# Proves $image works as the builder stage of a multi-stage build: builds a
# tiny executable package fully static in it and runs it from `FROM scratch`.
check_image() {
    local dir started=$SECONDS tag="builder-image-check:latest"
    dir="$(mktemp -d)"
    mkdir -p "$dir/Sources/Greeting"
    cat > "$dir/Package.swift" <<'SWIFT'
// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Greeting",
    targets: [.executableTarget(name: "Greeting")]
)
SWIFT
    echo 'print("Hello from a static Swift binary on scratch")' > "$dir/Sources/Greeting/main.swift"
    # The static flags from their one owner, `containertool build-flags`.
    local flags
    (cd "$repo_root" && swift build --product containertool >/dev/null) || { echo "error: building containertool failed" >&2; return 1; }
    flags="$("$(cd "$repo_root" && swift build --show-bin-path)/containertool" build-flags | tr '\n' ' ')"
    cat > "$dir/Dockerfile" <<DOCKERFILE
FROM $image AS builder
LABEL swift-containerize.builder-image-check=builder
WORKDIR /src
COPY . .
RUN swift build -c release ${flags}\\
 && cp .build/release/Greeting /Greeting

FROM scratch
COPY --from=builder /Greeting /Greeting
ENTRYPOINT ["/Greeting"]
DOCKERFILE
    echo "==> check: docker build --network host (builder $image -> scratch)"
    if ! docker build --network host --force-rm -t "$tag" "$dir" > "$dir.build.log" 2>&1; then
        echo "error: docker build with $image failed; last lines:" >&2
        tail -20 "$dir.build.log" >&2
        rm -rf "$dir" "$dir.build.log"
        remove_check_leftovers
        return 1
    fi
    echo "    docker build took $((SECONDS - started)) s; result: $(docker image inspect -f '{{.Size}}' "$tag") bytes"
    local output
    output="$(docker run --rm --network host "$tag")"
    echo "    docker run: $output"
    docker image rm "$tag" >/dev/null
    remove_check_leftovers
    rm -rf "$dir" "$dir.build.log"
    [ "$output" = "Hello from a static Swift binary on scratch" ] || { echo "error: unexpected output from the checked image" >&2; return 1; }
    echo "    check passed"
}

if [ "$force" = 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
    echo "image $image already exists (use --force to rebuild)"
    docker image ls "$image"
    if [ "$check" = 1 ]; then check_image; fi
    exit 0
fi

cache_dir="$(cd "$(dirname "$0")/.." && pwd)/.build-builder-image"
rootfs_tar="$cache_dir/bookworm-rootfs.tar"
mkdir -p "$cache_dir"
work="$(mktemp -d "$cache_dir/work.XXXXXX")"
root="$work/rootfs"
cleanup() {
    umount "$root/proc" 2>/dev/null || true
    # Never delete through a still-mounted file system.
    if grep -q " $root/" /proc/mounts; then
        echo "warning: something is still mounted under $root; left $work in place" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

started=$SECONDS
mkdir -p "$root"
if [ "$refresh" = 0 ] && [ -f "$rootfs_tar" ]; then
    echo "==> using cached rootfs $rootfs_tar"
    tar -C "$root" -xf "$rootfs_tar"
else
    echo "==> debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$root" "$mirror" > "$work/debootstrap.log" 2>&1 || {
        echo "error: debootstrap failed; last lines of its log:" >&2; tail -20 "$work/debootstrap.log" >&2; exit 1; }
    echo "    done after $((SECONDS - started)) s"

    echo "==> apt-get install ${packages[*]}"
    mount -t proc proc "$root/proc"
    # The mirror here can be a dated snapshot: do not reject its Release file as expired.
    echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99no-check-valid-until"
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true \
        sh -c "apt-get -q update && apt-get -q install -y ${packages[*]} && apt-get clean && rm -rf /var/lib/apt/lists/*" \
        > "$work/apt.log" 2>&1 || {
        echo "error: apt-get install in the rootfs failed; last lines:" >&2; tail -20 "$work/apt.log" >&2; exit 1; }
    umount "$root/proc"
    echo "    done after $((SECONDS - started)) s"

    echo "==> caching rootfs as $rootfs_tar"
    tar -C "$root" -cf "$rootfs_tar.partial" . && mv "$rootfs_tar.partial" "$rootfs_tar"
fi

echo "==> copying toolchain $toolchain/usr -> /usr ($(du -sh "$toolchain/usr" | cut -f1))"
tar -C "$toolchain" -cf - usr | tar -C "$root" -xf - --keep-directory-symlink
chmod -R o+r "$root/usr/lib/swift"
"$root/usr/bin/swift" --version >/dev/null 2>&1 || true
echo "    done after $((SECONDS - started)) s"

old_id="$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)"
echo "==> docker import -> $image"
tar -C "$root" -cf - . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'WORKDIR /' \
    --change 'CMD ["/bin/bash"]' \
    --message "local stand-in for the official $image (debootstrap bookworm + $toolchain)" \
    - "$image" >/dev/null
echo "    done after $((SECONDS - started)) s"
# A rebuild (--force) leaves the previous image untagged: remove it unless a container uses it.
if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
    docker image rm "$old_id" >/dev/null 2>&1 || true
fi

echo "==> checking: docker run --rm --network host $image swift --version"
docker run --rm --network host "$image" swift --version
docker image ls "$image"
echo "built $image in $((SECONDS - started)) s"
check_image
