#!/usr/bin/env bash
# The edit loop, timed against its baselines in one run (issue 24), on HelloWeb in a throwaway clone:
#   cold        `containerize --load` on a fresh clone  vs  a plain `swift build -c release` of the product
#   no-change   `containerize --load` right after the last one
#   edit        a one-line edit to Sources/HelloWeb/main.swift → `--load` → `docker run` → first answer
#   push        `containertool push` of a built layout  vs  `skopeo copy` of the same layout (loopback registry)
# Each line shows the figure, its baseline and the issue's goal; nothing here fails on a goal.
#
# usage: scripts/bench-edit-loop.sh        (needs docker, skopeo, curl, docker-registry; about 10 minutes)
#   RUNS=N  hyperfine runs for the push figures (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/lib/common.sh
RUNS="${RUNS:-10}"
for tool in docker skopeo curl hyperfine; do
    command -v "$tool" >/dev/null || { echo "bench-edit-loop.sh: $tool is required; install it" >&2; exit 1; }
done
work=$(mktemp -d /tmp/bench-edit-loop.XXXXXX)
registry_pid=""
cleanup() {
    docker rm -f bench-edit-loop >/dev/null 2>&1 || true
    docker rmi -f helloweb:bench-edit-loop >/dev/null 2>&1 || true
    [[ -n "$registry_pid" ]] && kill "$registry_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
seconds() { python3 -c 'import sys,time; print(f"{time.time() - float(sys.argv[1]):.2f}")' "$1"; }
now() { python3 -c 'import time; print(time.time())'; }

git clone -q "$root" "$work/clone"
cd "$work/clone"
plugin() { swift package --allow-writing-to-package-directory containerize --product HelloWeb --tag helloweb:bench-edit-loop --load "$@" >>"$work/plugin.log" 2>&1; }
answer_after() {  # START: docker run the loaded image, poll until it answers; prints the seconds since START
    docker rm -f bench-edit-loop >/dev/null 2>&1 || true
    docker run -d --rm --name bench-edit-loop --network host helloweb:bench-edit-loop --port 18199 >/dev/null
    until curl -sf -o /dev/null http://127.0.0.1:18199/; do sleep 0.02; done
    seconds "$1"
}

echo "== cold: the plugin on a fresh clone, then a plain release build of the product in another scratch folder" >&2
start=$(now); plugin; cold=$(seconds "$start"); echo "   $cold s" >&2
start=$(now)
swift build -c release --product HelloWeb --static-swift-stdlib -Xswiftc -static-executable --scratch-path "$work/plain" >/dev/null 2>&1
plain=$(seconds "$start"); echo "   plain: $plain s" >&2

echo "== no change" >&2
start=$(now); plugin; nochange=$(seconds "$start"); echo "   $nochange s" >&2

echo "== a one-line edit → --load → docker run → first answer" >&2
printf '\n// edited %s\n' "$(date +%s)" >>Sources/HelloWeb/main.swift
start=$(now); plugin; edit=$(answer_after "$start"); echo "   $edit s" >&2

echo "== push of a built layout: containertool push vs skopeo copy" >&2
port=$(free_port)
registry_pid=$("$root/scripts/start-registry.sh" --port "$port" --dir "$work/registry")
swift build --product containertool >/dev/null 2>&1
tool=$(swift build --show-bin-path)/containertool
"$tool" build --executable "$(swift build -c release --show-bin-path --scratch-path "$work/plain")/HelloWeb" --output "oci-layout:$work/layout" --tag t >/dev/null
# Every blob is there after the first push: what a second registry or a re-push costs.
hyperfine -N -w 1 -r "$RUNS" --export-json "$work/push.json" \
    "$tool push oci-layout:$work/layout 127.0.0.1:$port/bench/ct:1" \
    "skopeo copy --dest-tls-verify=false oci:$work/layout:latest docker://127.0.0.1:$port/bench/sk:1" >/dev/null 2>&1
read -r push_ct push_sk < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(*(f"{x[\"median\"]*1000:.0f}" for x in r))' "$work/push.json")

printf '%-44s %8s   %-34s %s\n' "figure" "seconds" "baseline" "goal"
printf '%-44s %8s   %-34s %s\n' "cold containerize --load" "$cold" "plain swift build -c release: $plain s" "<= 1.3x ($(python3 -c "print(f'{$cold/$plain:.2f}x')"))"
printf '%-44s %8s   %-34s %s\n' "no-change containerize --load" "$nochange" "-" "<= 1.5 s"
printf '%-44s %8s   %-34s %s\n' "one-line edit → container answering" "$edit" "-" "<= 2 s (HelloWeb)"
printf '%-44s %8s   %-34s %s\n' "push of a layout, blobs there (ms, median)" "$push_ct" "skopeo copy: $push_sk ms" "<= 1.5x ($(python3 -c "print(f'{$push_ct/$push_sk:.2f}x')"))"
