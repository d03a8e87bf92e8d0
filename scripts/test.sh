#!/usr/bin/env bash
# The project's whole test run: unit tests over real sockets and real tools, then the end-to-end path
#   Swift source → fully static binary → scratch image (no Docker daemon) → a real container → "Hello world!"
# in both build modes, through the plugin, the fixture package, a real OCI registry and release.sh.
#
# Usage: scripts/test.sh [--unit-only | --e2e-only | --e2e NAME[,NAME…]]
#   --e2e NAME…  only these end-to-end checks (the e2e_NAME functions of scripts/lib/e2e.sh), e.g.
#                --e2e urlsession_dynamic_libc,fixture_release
# Needs: swift; for the end-to-end part also a running Docker engine and the Debian packages that
# .ci/run installs. Locally, a missing tool skips the part that needs it, with a message; with CI=true
# a missing tool is a failure.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
source scripts/lib/common.sh

run_unit=1
run_e2e=1
e2e_checks=(standard_image edit_loop embedded_image fixture_package incremental_build urlsession_dynamic_libc
            registry_push release_script fixture_release dockerfile_builds foundation_apps
            cross_platform_embedded kubernetes base_image)
case "${1:-}" in
    --unit-only) run_e2e=0 ;;
    --e2e-only) run_unit=0 ;;
    --e2e) need_value "$1" $# "${2:-}"; run_unit=0; IFS=, read -ra e2e_checks <<<"$2" ;;
    -h|--help) usage_from_header "$0"; exit 0 ;;
    "") ;;
    *) die "unknown option '$1' (see --help)" ;;
esac

WORK=$(mktemp -d /tmp/containerize-test.XXXXXX)
export SWIFTPM_CRASH_LOG=$WORK/swiftpm-crashes  # see swift_package in scripts/lib/common.sh
current_check=""
cleanup() {
    local status=$?
    # set -e ends the run at the first failing command, sometimes without a message (a crash): name the check.
    [[ $status == 0 || -z "$current_check" ]] || printf 'error: end-to-end check %s failed (exit %s)\n' "$current_check" "$status" >&2
    stop_started_services
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT

if [[ $run_unit == 1 ]]; then
    step "swift build"
    swift build

    step "swift test"
    swift test 2>&1 | tee "$WORK/swift-test.log"
fi

[[ $run_e2e == 1 ]] || exit 0

require_tools docker curl jq skopeo hadolint docker-registry htpasswd || {
    say "end-to-end part skipped: install the tools above (see .ci/run) and start dockerd"
    exit 0
}
docker info >/dev/null 2>&1 || {
    if [[ "${CI:-}" == "true" ]]; then die "no Docker engine answers (docker info failed)"; fi
    say "end-to-end part skipped: no Docker engine answers; start one with: dockerd --bridge=none --iptables=false --ip-masq=false &"
    exit 0
}

source scripts/lib/e2e.sh
source scripts/lib/e2e-apps.sh
source scripts/lib/e2e-arch.sh
source scripts/lib/e2e-kubernetes.sh
source scripts/lib/e2e-base.sh
E2E_CONTAINERTOOL=$(containertool_binary)
for check in "${e2e_checks[@]}"; do
    declare -F "e2e_$check" >/dev/null || die "no end-to-end check '$check' (known: $(declare -F | sed -n 's/^declare -f e2e_//p' | tr '\n' ' '))"
    current_check=$check
    "e2e_$check"
done
current_check=""

step "all checks passed"
crashes=0
[[ ! -f "$SWIFTPM_CRASH_LOG" ]] || crashes=$(wc -l <"$SWIFTPM_CRASH_LOG")
echo "e2e: ${#e2e_checks[@]} passed, 0 failed; swift-package crashes rerun: $crashes"  # reached only when every check passed (set -e, die)
