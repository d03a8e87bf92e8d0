#!/usr/bin/env bash
# Makes the local Swift SDKs that let SwiftPM cross-compile an Embedded Swift product into a fully static
# Linux executable for another CPU, from Debian's cross sysroot (no download, no hand-rolled compiler calls):
#
#   scripts/make-swift-sdk.sh                       # every platform below, into .build-sdk/
#   swift build -c release --product HelloWeb -Xlinker -s \
#       --swift-sdks-path .build-sdk --swift-sdk embedded-linux-arm64 --scratch-path .build-arm64
#
# Usage: scripts/make-swift-sdk.sh [--platform linux/arm64|linux/amd64]... [--output DIR]
#
# Each platform becomes one bundle, DIR/embedded-linux-ARCH.artifactbundle, holding the Swift SDK
# `embedded-linux-ARCH` (info.json, swift-sdk.json, toolset.json). A bundle is written under a temporary
# name and swapped in whole, so running the script again is safe and gives the same files. They hold
# this machine's absolute paths (sysroot, GCC directory): generate them, never commit them.
#
# What the SDK does (swift-sdk.json names the target triple and the sysroot; toolset.json holds the flags):
#   - swiftc compiles for the Embedded Swift target the toolchain ships for that CPU (aarch64-none-none-elf
#     for arm64: the toolchain's Embedded standard library exists for that triple, not for
#     aarch64-unknown-linux-gnu), with `-enable-experimental-feature Embedded -wmo`;
#   - C targets and the Swift importer see the Linux glibc headers of the cross sysroot
#     (`--target=aarch64-linux-gnu`, the SDK root is the sysroot);
#   - the toolchain's clang links with lld, `-static` (non-PIE), against the sysroot's glibc and the cross
#     GCC's crt and libgcc files.
set -euo pipefail

cd "$(dirname "$0")/.."

die() { printf 'error: %s\n' "$*" >&2; exit 1; }

output=.build-sdk
platforms=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --platform) [[ $# -ge 2 ]] || die "--platform needs a value (linux/arm64 or linux/amd64)"; platforms+=("$2"); shift 2 ;;
        --platform=*) platforms+=("${1#*=}"); shift ;;
        --output) [[ $# -ge 2 ]] || die "--output needs a directory"; output=$2; shift 2 ;;
        --output=*) output=${1#*=}; shift ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (use --platform linux/arm64|linux/amd64 and --output DIR)" ;;
    esac
done
[[ ${#platforms[@]} -gt 0 ]] || platforms=(linux/arm64 linux/amd64)

case "$(uname -m)" in
    x86_64) host_arch=amd64 ;;
    aarch64|arm64) host_arch=arm64 ;;
    *) host_arch=$(uname -m) ;;
esac

command -v swiftc >/dev/null || die "swiftc is not on PATH; install a Swift toolchain (6.0 or later) first"
target_info=$(swiftc -print-target-info)
resources=$(sed -n 's/.*"runtimeResourcePath": "\(.*\)".*/\1/p' <<<"$target_info")
host_triple=$(sed -n 's/.*"unversionedTriple": "\(.*\)".*/\1/p' <<<"$target_info" | head -1)
[[ -n "$resources" && -d "$resources" ]] || die "cannot find the toolchain's resource directory (swiftc -print-target-info)"

# newest_gcc_dir DIR — the highest-numbered GCC version directory under DIR that has crtbeginT.o.
newest_gcc_dir() {
    local dir=$1 best="" candidate
    [[ -d "$dir" ]] || return 0
    while IFS= read -r candidate; do
        [[ -f "$dir/$candidate/crtbeginT.o" && -f "$dir/$candidate/libgcc.a" ]] && best="$dir/$candidate"
    done < <(ls "$dir" | grep -E '^[0-9]+$' | sort -n)
    printf '%s' "$best"
}

# json_strings ARG… — the arguments as a JSON array of strings (they hold no quotes or backslashes).
json_strings() {
    local first=1 arg
    printf '['
    for arg in "$@"; do
        [[ "$arg" != *[\"\\]* ]] || die "cannot put '$arg' into JSON"
        (( first )) || printf ', '
        printf '"%s"' "$arg"
        first=0
    done
    printf ']'
}

make_sdk() {
    local platform=$1 arch gnu swift_triple sysroot gcc_dir packages libc id
    case "$platform" in
        linux/arm64|linux/arm64/v8) arch=arm64 gnu=aarch64-linux-gnu swift_triple=aarch64-none-none-elf ;;
        linux/amd64) arch=amd64 gnu=x86_64-linux-gnu swift_triple=x86_64-unknown-linux-gnu ;;
        *) die "unsupported platform '$platform' (supported: linux/arm64, linux/amd64)" ;;
    esac
    if [[ "$arch" == "$host_arch" ]]; then
        sysroot=/ libc=/usr/lib/$gnu/libc.a gcc_dir=$(newest_gcc_dir "/usr/lib/gcc/$gnu") packages="gcc libc6-dev"
    else
        sysroot=/usr/$gnu libc=/usr/$gnu/lib/libc.a gcc_dir=$(newest_gcc_dir "/usr/lib/gcc-cross/$gnu")
        packages="gcc-${gnu//_/-} libc6-dev-$arch-cross"
    fi
    [[ -f "$libc" && -n "$gcc_dir" ]] ||
        die "$platform needs the $arch glibc and GCC start files ($libc, /usr/lib/gcc*/$gnu/N/crtbeginT.o), which are missing: apt-get install $packages"
    [[ -f "$resources/embedded/Swift.swiftmodule/$swift_triple.swiftmodule" ]] ||
        die "this toolchain has no Embedded Swift standard library for $swift_triple ($resources/embedded/Swift.swiftmodule); use a Swift 6 toolchain from swift.org"

    id=embedded-linux-$arch
    local swift_flags=(
        -enable-experimental-feature Embedded -wmo
        -Xcc "--target=$gnu"
        -Xclang-linker "--target=$gnu" -Xclang-linker -fuse-ld=lld
        -Xclang-linker -static
        -Xclang-linker "-B$gcc_dir" -Xclang-linker "-L$gcc_dir"
    )
    # swiftc asks for a PIE on a Linux triple (not on a bare-metal one), which `-static` cannot honour.
    [[ "$swift_triple" != *-linux-* ]] || swift_flags+=(-Xclang-linker -no-pie)
    local c_flags=("--target=$gnu")

    mkdir -p "$output"
    local bundle="$output/$id.artifactbundle" staging
    staging=$(mktemp -d "$output/.$id.XXXXXX")
    trap 'rm -rf "$staging"' EXIT
    mkdir "$staging/$id"
    cat >"$staging/info.json" <<EOF
{
  "schemaVersion": "1.0",
  "artifacts": {
    "$id": {
      "type": "swiftSDK",
      "version": "1.0.0",
      "variants": [
        { "path": "$id", "supportedTriples": ["$host_triple"] }
      ]
    }
  }
}
EOF
    cat >"$staging/$id/swift-sdk.json" <<EOF
{
  "schemaVersion": "4.0",
  "targetTriples": {
    "$swift_triple": {
      "sdkRootPath": "$sysroot",
      "toolsetPaths": ["toolset.json"]
    }
  }
}
EOF
    cat >"$staging/$id/toolset.json" <<EOF
{
  "schemaVersion": "1.0",
  "swiftCompiler": { "extraCLIOptions": $(json_strings "${swift_flags[@]}") },
  "cCompiler": { "extraCLIOptions": $(json_strings "${c_flags[@]}") },
  "cxxCompiler": { "extraCLIOptions": $(json_strings "${c_flags[@]}") }
}
EOF
    chmod -R a+rX "$staging"
    # Swap in whole: the old bundle steps aside first, so a reader never sees a half-written one.
    local old="$output/.$id.old.$$"
    if [[ -e "$bundle" ]]; then mv -T "$bundle" "$old"; fi
    mv -T "$staging" "$bundle"
    trap - EXIT
    rm -rf "$old"
    printf '%s\t%s\t%s\n' "$platform" "$id" "$bundle"
}

for platform in "${platforms[@]}"; do
    make_sdk "$platform"
done
