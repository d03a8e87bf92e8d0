#!/usr/bin/env bash
# Benchmarks the image library, side by side with the tools it replaces:
#   1. containertool build → docker archive, vs `docker build` of the two-line
#      FROM scratch / COPY Dockerfile on the same binary (and, for honesty, containertool + docker load,
#      and the --load path: engine:docker, streamed into docker load without an archive);
#      then a static link with gold vs lld (the edit loop's relink);
#   2. containertool's SHA-256 (C target CSHA256: x86-64 SHA extensions when present) vs
#      sha256sum and openssl on a 100 MB file;
#   3. the binary to all three local outputs in one run (target <= 150 ms), and a 1 GiB resource
#      layer (files -> tar -> gzip -> sha256 -> file in one pass) vs `tar -c | gzip -6 | sha256sum`
#      on the same data (target <= 1.5x), plus the peak RSS of that build (target < 64 MB);
#   both in a release build and in the debug build that `swift package containerize` runs
#   (SwiftPM builds a command plugin's tool in debug).
#
# usage: scripts/bench-image.sh [STATIC_BINARY]
#   STATIC_BINARY defaults to a ~7 MB fully static Swift hello world compiled here.
#   CONTAINERTOOL=path / CONTAINERTOOL_DEBUG=path use already built release / debug containertools;
#   RUNS=N sets hyperfine runs (default 10); BIG_RUNS=N those of the 1 GiB layer (default 3).
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS="${RUNS:-10}"
for tool in hyperfine docker sha256sum openssl python3; do
    command -v "$tool" >/dev/null || { echo "bench-image.sh: $tool is required; install it" >&2; exit 1; }
done

work="$(mktemp -d /tmp/bench-image.XXXXXX)"
cleanup() {
    docker rmi -f bench-image:docker bench-image:containertool >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "${CONTAINERTOOL:-}" ]]; then
    echo "== building containertool (release)" >&2
    swift build -c release --product containertool >&2
    CONTAINERTOOL="$(swift build -c release --show-bin-path)/containertool"
fi
if [[ -z "${CONTAINERTOOL_DEBUG:-}" ]]; then
    echo "== building containertool (debug, as the plugin runs it)" >&2
    swift build --product containertool >&2
    CONTAINERTOOL_DEBUG="$(swift build --show-bin-path)/containertool"
fi

binary="${1:-}"
if [[ -z "$binary" ]]; then
    echo "== compiling a fully static Swift hello world" >&2
    echo 'print("Hello world!")' > "$work/hello.swift"
    swiftc -O -static-executable -Xlinker -s "$work/hello.swift" -o "$work/hello" 2>/dev/null
    binary="$work/hello"
fi
size_bytes=$(stat -c %s "$binary")
name=$(basename "$binary")
echo "== binary: $binary ($(( size_bytes / 1024 )) KiB)" >&2

mkdir -p "$work/context"
cp "$binary" "$work/context/$name"
printf 'FROM scratch\nCOPY %s /%s\n' "$name" "$name" > "$work/context/Dockerfile"

hyperfine --warmup 2 --runs "$RUNS" --export-json "$work/build.json" \
    -n "containertool build (docker-archive)" \
    "$CONTAINERTOOL build --executable $binary --output docker-archive:$work/image.tar --tag bench-image:containertool" \
    -n "docker build (FROM scratch + COPY, --no-cache)" \
    --prepare "docker rmi -f bench-image:docker" \
    "docker build --no-cache -q -t bench-image:docker $work/context" \
    -n "containertool build + docker load" \
    "$CONTAINERTOOL build --executable $binary --output docker-archive:$work/image.tar --tag bench-image:containertool && docker load -q -i $work/image.tar" \
    -n "containertool build → engine:docker (streamed, no archive)" \
    "$CONTAINERTOOL build --executable $binary --output engine:docker --tag bench-image:containertool" \
    -n "containertool build (debug build)" \
    "$CONTAINERTOOL_DEBUG build --executable $binary --output docker-archive:$work/image.tar --tag bench-image:containertool" \
    >&2

echo "== link: gold vs lld (the edit loop's relink; BuildMode links with lld)" >&2
echo 'print("Hello world!")' > "$work/link.swift"
swiftc -O -c "$work/link.swift" -module-name Link -o "$work/link.o"
hyperfine --warmup 2 --runs "$RUNS" --export-json "$work/link.json" \
    -n "link with gold" "swiftc -static-executable -use-ld=gold $work/link.o -o $work/link-gold -Xlinker -s" \
    -n "link with lld" "swiftc -static-executable -use-ld=lld $work/link.o -o $work/link-lld -Xlinker -s" >&2
[[ "$("$work/link-gold")" == "$("$work/link-lld")" ]] || { echo "bench-image.sh: the lld binary behaves differently" >&2; exit 1; }

echo "== 100 MB sha256" >&2
head -c 100000000 /dev/urandom > "$work/100mb.bin"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$work/sha.json" \
    -n "containertool digest" "$CONTAINERTOOL digest $work/100mb.bin" \
    -n "containertool digest (debug build)" "$CONTAINERTOOL_DEBUG digest $work/100mb.bin" \
    -n "sha256sum" "sha256sum $work/100mb.bin" \
    -n "openssl dgst -sha256" "openssl dgst -sha256 $work/100mb.bin" >&2

echo "== all three local outputs in one run" >&2
hyperfine --warmup 2 --runs "$RUNS" --export-json "$work/three.json" \
    --prepare "rm -rf $work/three && mkdir $work/three" \
    -n "containertool build → oci-layout + oci-archive + docker-archive" \
    "$CONTAINERTOOL build --executable $binary --output oci-layout:$work/three/layout --output oci-archive:$work/three/oci.tar --output docker-archive:$work/three/docker.tar" \
    >&2

echo "== 1 GiB resource layer" >&2
mkdir -p "$work/big"
# Realistic bytes: copies of the binary (code compresses like assets and models do, ~2-3x).
while (( $(stat -c %s "$work/big/data.bin" 2>/dev/null || echo 0) < 1073741824 )); do cat "$binary" >> "$work/big/data.bin"; done
truncate -s 1073741824 "$work/big/data.bin"
BIG_RUNS="${BIG_RUNS:-3}"
hyperfine --warmup 1 --runs "$BIG_RUNS" --export-json "$work/big.json" \
    --prepare "rm -rf $work/bigout && mkdir $work/bigout" \
    -n "containertool build, 1 GiB resource → oci-layout" \
    "$CONTAINERTOOL build --executable $binary --resource $work/big/data.bin:/data.bin --output oci-layout:$work/bigout/layout" \
    -n "tar -c | gzip -6 | sha256sum" \
    "tar -C $work/big -c data.bin | gzip -6 | sha256sum" \
    -n "tar -c | gzip -1 | sha256sum" \
    "tar -C $work/big -c data.bin | gzip -1 | sha256sum" \
    >&2
rm -rf "$work/bigout" && mkdir "$work/bigout"
# Peak RSS of one run writing all three outputs (rusage of the child, no /usr/bin/time needed).
peak_kib=$(python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' \
    "$CONTAINERTOOL" build --executable "$binary" --resource "$work/big/data.bin:/data.bin" \
    --output "oci-layout:$work/bigout/layout" --output "oci-archive:$work/bigout/oci.tar" --output "docker-archive:$work/bigout/docker.tar")
rm -rf "$work/bigout" "$work/big"

python3 - "$work/three.json" "$work/big.json" "$peak_kib" <<'EOF'
import json, sys
three = json.load(open(sys.argv[1]))["results"][0]
big = {r["command"]: r for r in json.load(open(sys.argv[2]))["results"]}
ours = big["containertool build, 1 GiB resource → oci-layout"]
peer = big["tar -c | gzip -6 | sha256sum"]
fast = big["tar -c | gzip -1 | sha256sum"]
print(f"binary → all three local outputs    : {three['mean']*1000:7.1f} ms ± {three['stddev']*1000:.1f} (min {three['min']*1000:.1f}; target <= 150 ms)")
print(f"1 GiB layer, containertool (gzip -1): {ours['mean']:6.2f} s wall, {ours['user']+ours['system']:6.2f} s CPU")
print(f"1 GiB, tar | gzip -6 | sha256sum    : {peer['mean']:6.2f} s wall, {peer['user']+peer['system']:6.2f} s CPU")
print(f"1 GiB, tar | gzip -1 | sha256sum    : {fast['mean']:6.2f} s wall, {fast['user']+fast['system']:6.2f} s CPU")
print(f"ratio to tar | gzip -6 | sha256sum  : {ours['mean']/peer['mean']:.2f}x wall, {(ours['user']+ours['system'])/(peer['user']+peer['system']):.2f}x CPU (target <= 1.5x)")
print(f"peak RSS, 1 GiB resource to three outputs: {int(sys.argv[3]) / 1024:.0f} MiB (target < 64 MB)")
EOF

python3 - "$work/build.json" "$work/sha.json" "$size_bytes" "$work/link.json" <<'EOF'
import json, sys
build = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
link = {r["command"]: r for r in json.load(open(sys.argv[4]))["results"]}
gold, lld = link["link with gold"], link["link with lld"]
print(f"static link, gold / lld               : {gold['mean']*1000:7.1f} ms / {lld['mean']*1000:.1f} ms ({gold['mean']/lld['mean']:.1f}x)")
eng = build["containertool build → engine:docker (streamed, no archive)"]
sha = {r["command"]: r for r in json.load(open(sys.argv[2]))["results"]}
size_mb = int(sys.argv[3]) / 1e6
ct = build["containertool build (docker-archive)"]
dk = build["docker build (FROM scratch + COPY, --no-cache)"]
ctl = build["containertool build + docker load"]
print(f"binary: {size_mb:.1f} MB")
print(f"containertool build → docker archive : {ct['mean']*1000:7.1f} ms ± {ct['stddev']*1000:.1f} (min {ct['min']*1000:.1f})")
print(f"docker build FROM scratch + COPY      : {dk['mean']*1000:7.1f} ms ± {dk['stddev']*1000:.1f} (min {dk['min']*1000:.1f})")
print(f"containertool build + docker load     : {ctl['mean']*1000:7.1f} ms ± {ctl['stddev']*1000:.1f}")
print(f"containertool build → engine:docker   : {eng['mean']*1000:7.1f} ms ± {eng['stddev']*1000:.1f} (the --load/--run path)")
ctd = build["containertool build (debug build)"]
print(f"containertool build, debug build       : {ctd['mean']*1000:7.1f} ms ± {ctd['stddev']*1000:.1f} (min {ctd['min']*1000:.1f})")
print(f"speed-up (docker build / containertool build): {dk['mean']/ct['mean']:.1f}x (target >= 5x)")
# Wall time includes reading the file from the page cache; CPU time (user + system) is what
# the hash costs when the machine is shared.
print("sha256 of 100 MB (wall MB/s, CPU MB/s):")
for command in ["containertool digest", "containertool digest (debug build)", "sha256sum", "openssl dgst -sha256"]:
    r = sha[command]
    cpu = r["user"] + r["system"]
    print(f"  {command:36}: {r['mean']*1000:6.0f} ms  {100/r['mean']:5.0f} MB/s wall  {100/cpu:5.0f} MB/s CPU")
EOF
