#!/usr/bin/env bash
# The edit loop, timed against its baselines in one run (issue 24), for HelloWeb (a fresh clone of this
# package) and a Hummingbird 2 hello app (its own package, the plugin by path):
#   first run   `containerize --load` on a machine whose tool cache is empty (builds containertool once)
#   cold        `containerize --load` on a fresh package  vs  a plain `swift build -c release` of the product
#   no-change   `containerize --load` right after the last one
#   edit        a one-line edit → `containerize --run` → the container answers with the edited text
#   push        `containertool push` of a built layout  vs  `skopeo copy` of the same layout (loopback registry)
# Everything is cached in a folder of its own (CONTAINERIZE_CACHE_DIR), so "first run" is really the first.
# Each line shows the figure, its baseline and the issue's goal; nothing here fails on a goal.
#
# usage: scripts/bench-edit-loop.sh [--no-hummingbird]   (needs docker, skopeo, curl, hyperfine,
#   docker-registry; about 5 minutes for HelloWeb, 10–20 more for Hummingbird on 2 cores)
#   RUNS=N  hyperfine runs for the push figures (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/lib/common.sh
RUNS="${RUNS:-10}"
hummingbird=1
case "${1:-}" in
    --no-hummingbird) hummingbird=0 ;;
    -h|--help) usage_from_header "$0"; exit 0 ;;
    "") ;;
    *) die "unknown option '$1' (see --help)" ;;
esac
for tool in docker skopeo curl hyperfine; do
    command -v "$tool" >/dev/null || { echo "bench-edit-loop.sh: $tool is required; install it" >&2; exit 1; }
done
work=$(mktemp -d /tmp/bench-edit-loop.XXXXXX)
export CONTAINERIZE_CACHE_DIR=$work/cache
registry_pid=""
run_pid=""
cleanup() {
    cp "$work/plugin.log" /tmp/bench-edit-loop.log 2>/dev/null || true  # for a look after a failure
    [[ -n "$run_pid" ]] && kill -INT -- "-$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null
    docker rmi -f bench-edit-loop:helloweb bench-edit-loop:hummingbird >/dev/null 2>&1 || true
    [[ -n "$registry_pid" ]] && kill "$registry_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { python3 -c 'import sys,time; print(f"{time.time() - float(sys.argv[1]):.2f}")' "$1"; }
ratio() { python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.2f}x")' "$1" "$2"; }

# plugin DIR PRODUCT ARG… — `swift package containerize` there, its output in the log. Every run is
# started the same way, in the background (edit_and_run's must be): SwiftPM compiles the plugin again
# (3–6 s) when any environment variable differs from the last run's, and bash gives a foreground and
# a background child different SHLVLs.
plugin() {
    local dir=$1 product=$2
    shift 2
    setsid bash -c 'cd "$1" && shift && exec swift package --allow-writing-to-package-directory containerize "$@"' \
        plugin "$dir" --product "$product" --tag "$(tag_of "$product")" "$@" >>"$work/plugin.log" 2>&1 &
    wait $!
}
tag_of() { [[ $1 == App ]] && echo bench-edit-loop:hummingbird || echo bench-edit-loop:helloweb; }
# plain DIR PRODUCT — the baseline: a release build of the product, fully static, in a new scratch folder.
plain() {
    swift build --package-path "$1" -c release --product "$2" --static-swift-stdlib -Xswiftc -static-executable \
        --scratch-path "$1/.build-plain" >>"$work/plain.log" 2>&1
}
# edit_and_run DIR PRODUCT EXPECTED — right after the edit: `--run` in its own session, poll until the
# container answers EXPECTED, set `answered` to the seconds; then Ctrl-C (the whole group) ends the loop.
edit_and_run() {
    local dir=$1 product=$2 expected=$3 port start
    port=$(free_port)
    start=$(now)
    setsid bash -c 'cd "$1" && shift && exec swift package --allow-writing-to-package-directory containerize "$@"' \
        plugin "$dir" --product "$product" --tag "$(tag_of "$product")" --run -- --port "$port" >>"$work/plugin.log" 2>&1 &
    run_pid=$!
    local deadline=$((SECONDS + 600))
    until [[ "$(curl -s "http://127.0.0.1:$port/" 2>/dev/null)" == "$expected" ]]; do
        kill -0 "$run_pid" 2>/dev/null || { tail -5 "$work/plugin.log" >&2; die "--run ended before $product answered"; }
        ((SECONDS < deadline)) || { tail -5 "$work/plugin.log" >&2; die "$product did not answer '$expected' on port $port within 10 minutes"; }
        sleep 0.02
    done
    answered=$(since "$start")
    kill -INT -- "-$run_pid"
    wait "$run_pid" 2>/dev/null || true
    run_pid=""
}
rows=()
row() { rows+=("$(printf '%-48s %8s   %-40s %s' "$@")"); echo "   ${rows[-1]}" >&2; }

# --- HelloWeb -------------------------------------------------------------------------------------
git clone -q "$root" "$work/first"
git clone -q "$root" "$work/helloweb"
echo "== HelloWeb: first run on this machine (the tool cache is empty)" >&2
start=$(now); plugin "$work/first" HelloWeb --load; first=$(since "$start")
echo "== HelloWeb: cold (a fresh clone; the tool is cached), then a plain release build" >&2
start=$(now); plugin "$work/helloweb" HelloWeb --load; cold=$(since "$start")
start=$(now); plain "$work/helloweb" HelloWeb; baseline=$(since "$start")
row "HelloWeb: first run (tool cache empty)" "$first" "plain release build: $baseline s" "one-time ($(ratio "$first" "$baseline"))"
row "HelloWeb: cold containerize --load" "$cold" "plain release build: $baseline s" "<= 1.3x ($(ratio "$cold" "$baseline"))"
start=$(now); plugin "$work/helloweb" HelloWeb --load; nochange=$(since "$start")
row "HelloWeb: no-change containerize --load" "$nochange" "-" "<= 1.5 s"
echo "== HelloWeb: a one-line edit → --run → the container answers" >&2
printf '\n// edited %s\n' "$(date +%s)" >>"$work/helloweb/Sources/HelloWeb/main.swift"
edit_and_run "$work/helloweb" HelloWeb "Hello world!"
row "HelloWeb: one-line edit → --run answering" "$answered" "-" "<= 2 s"

# --- Hummingbird ----------------------------------------------------------------------------------
if [[ $hummingbird == 1 ]]; then
    # Not named "hummingbird": a root package's identity is its folder's name, and the dependency has it.
    for copy in hello-hummingbird hello-hummingbird-plain; do
        mkdir -p "$work/$copy/Sources/App"
        cat >"$work/$copy/Package.swift" <<EOF
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "hummingbird-hello",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0"),
        .package(path: "$work/helloweb"),
    ],
    targets: [.executableTarget(name: "App", dependencies: [.product(name: "Hummingbird", package: "hummingbird")])]
)
EOF
        cat >"$work/$copy/Sources/App/main.swift" <<'EOF'
import Hummingbird

let arguments = CommandLine.arguments
let port = arguments.firstIndex(of: "--port").flatMap { Int(arguments[$0 + 1]) } ?? 8080
let greeting = "Hello world! v1"
let router = Router()
router.get("/") { _, _ in greeting }
let app = Application(router: router, configuration: .init(address: .hostname("0.0.0.0", port: port)))
try await app.runService()
EOF
    done
    echo "== Hummingbird: cold (a fresh package), then a plain release build of another fresh copy" >&2
    start=$(now); plugin "$work/hello-hummingbird" App --load; hcold=$(since "$start")
    start=$(now); plain "$work/hello-hummingbird-plain" App; hbaseline=$(since "$start")
    row "Hummingbird: cold containerize --load" "$hcold" "plain release build: $hbaseline s" "<= 1.3x ($(ratio "$hcold" "$hbaseline"))"
    start=$(now); plugin "$work/hello-hummingbird" App --load; hnochange=$(since "$start")
    row "Hummingbird: no-change containerize --load" "$hnochange" "-" "<= 1.5 s"
    echo "== Hummingbird: a one-line handler edit → --run → the container answers with the new text" >&2
    sed -i 's/Hello world! v1/Hello world! v2/' "$work/hello-hummingbird/Sources/App/main.swift"
    edit_and_run "$work/hello-hummingbird" App "Hello world! v2"
    row "Hummingbird: one-line edit → --run answering" "$answered" "-" "<= 5 s"
fi

# --- push -----------------------------------------------------------------------------------------
echo "== push of a built layout: containertool push vs skopeo copy" >&2
port=$(free_port)
registry_pid=$("$root/scripts/start-registry.sh" --port "$port" --dir "$work/registry")
tool=$(ls -t "$CONTAINERIZE_CACHE_DIR"/tools/bin/containertool-* | head -1)  # the one the plugin runs
"$tool" build --executable "$work/helloweb/.build-plain/release/HelloWeb" --output "oci-layout:$work/layout" --tag t >/dev/null
# Every blob is there after the first push: what a second registry or a re-push costs.
hyperfine -N -w 1 -r "$RUNS" --export-json "$work/push.json" \
    "$tool push oci-layout:$work/layout 127.0.0.1:$port/bench/ct:1" \
    "skopeo copy --dest-tls-verify=false oci:$work/layout:latest docker://127.0.0.1:$port/bench/sk:1" >/dev/null 2>&1
read -r push_ct push_sk < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(*(round(x["median"] * 1000, 1) for x in r))' "$work/push.json")
rows+=("$(printf '%-48s %8s   %-40s %s' "push of a layout, blobs there (ms, median)" "$push_ct" "skopeo copy: $push_sk ms" "<= 1.5x ($(ratio "$push_ct" "$push_sk"))")")

printf '\n%-48s %8s   %-40s %s\n' "figure" "seconds" "baseline" "goal"
printf '%s\n' "${rows[@]}"
