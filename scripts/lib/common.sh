# Shared shell helpers for the project's scripts: messages, tool checks, ports and background services.
# Source it; it defines functions only.

say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# require_tools TOOL… — true when every tool is on PATH. Otherwise names the missing ones; with CI=true
# that is fatal, since CI installs them all (.ci/run) and a skipped check would hide a regression.
require_tools() {
    local missing=() tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [[ ${#missing[@]} == 0 ]] && return 0
    if [[ "${CI:-}" == "true" ]]; then
        die "missing tools: ${missing[*]} (CI=true: a missing tool is a failure; .ci/run installs them)"
    fi
    say "missing tools: ${missing[*]}"
    return 1
}

# free_port — prints a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_http URL [SECONDS [CURL_OPTION…]] — waits until URL answers at all (any status).
wait_for_http() {
    local url=$1 seconds=${2:-20} i
    shift; shift || true
    for ((i = 0; i < seconds * 10; i++)); do
        curl -s -o /dev/null --max-time 1 "$@" "$url" && return 0
        sleep 0.1
    done
    return 1
}

# swift_package ARG… — `swift package ARG…`, run once more when the swift-package process itself dies
# of SIGSEGV (exit 139). Why: SwiftPM 6.3 on Linux intermittently crashes inside libdispatch while it
# hosts a command plugin (a retain of a freed dispatch object; seen once in a CI run of ~40 plugin runs;
# also swiftlang/swift-package-manager#8171, moreSwift/swift-bundler#150). Only the host process ends with
# 139: a crash of our plugin or of containertool makes SwiftPM exit 1. Every plugin command is safe to
# repeat (outputs are written atomically, a push of the same digest is a no-op), so the rerun is
# safe. Stdout is held back until the command ends, so a crashed attempt's partial output never
# reaches a caller's file; the rerun is said on stderr and logged to $SWIFTPM_CRASH_LOG when set.
swift_package() {
    local stdout status attempt
    stdout=$(mktemp)
    for attempt in 1 2; do
        swift package "$@" >"$stdout" && status=0 || status=$?
        [[ $status == 139 && $attempt == 1 ]] || break
        printf 'NOTE: swift-package itself crashed (SIGSEGV, a known intermittent SwiftPM bug, not this project'"'"'s code); running `swift package %s` once more\n' "$*" >&2
        [[ -z "${SWIFTPM_CRASH_LOG:-}" ]] || printf '%s\n' "$*" >>"$SWIFTPM_CRASH_LOG"
    done
    cat "$stdout"
    rm -f "$stdout"
    return "$status"
}

# Background services started by a script, stopped by stop_started_services (call it from an EXIT trap).
STARTED_CONTAINERS=()
STARTED_PIDS=()
STARTED_IMAGES=()
remember_container() { STARTED_CONTAINERS+=("$1"); }
remember_pid() { STARTED_PIDS+=("$1"); }
remember_image() { STARTED_IMAGES+=("$1"); }
stop_started_services() {
    local item
    for item in "${STARTED_CONTAINERS[@]}"; do docker rm -f "$item" >/dev/null 2>&1 || true; done
    for item in "${STARTED_PIDS[@]}"; do kill "$item" 2>/dev/null || true; done
    for item in "${STARTED_IMAGES[@]}"; do docker rmi -f "$item" >/dev/null 2>&1 || true; done
    STARTED_CONTAINERS=(); STARTED_PIDS=(); STARTED_IMAGES=()
}

# usage_from_header SCRIPT — prints the comment block at the top of SCRIPT (after the #! line, up to
# the first line that is not a comment), without the leading "# ": every script's --help.
usage_from_header() {
    awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$1"
}

# need_value OPTION COUNT [VALUE] — for option loops: dies with "OPTION needs a value" unless a value
# follows (call it as `need_value "$1" $# "${2:-}"` before using $2).
need_value() {
    [[ $2 -ge 2 && -n ${3:-} ]] || { printf '%s: %s needs a value\n' "$(basename "$0")" "$1" >&2; exit 2; }
}

# swift_minor_version [SWIFT] — prints MAJOR.MINOR of a toolchain's `swift --version` (default: swift on PATH).
swift_minor_version() {
    "${1:-swift}" --version 2>&1 | sed -n 's/.*Swift version \([0-9]*\.[0-9]*\).*/\1/p' | head -1
}
