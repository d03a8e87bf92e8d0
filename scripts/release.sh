#!/usr/bin/env bash
# scripts/release.sh — this repository's pipeline step: run the tests, then
# `swift package containerize --release` (which any package depending on the plugin can run itself).
#
#   scripts/release.sh [--version V] [--push REF] [--sign-key PEM] [--product NAME] [--from REF] [--embedded] [--platform P[,P]] [--skip-tests]
#
#   --version V     image version label, tag and SBOM version (default: `git describe --tags --always`, v stripped)
#   --push REF      also push to a registry, e.g. 127.0.0.1:5000/hello:1.0.0 (HOST[:PORT]/REPO[:TAG]);
#                   credentials: ~/.docker/config.json, then ~/.netrc, then
#                   CONTAINERIZE_REGISTRY_USERNAME / CONTAINERIZE_REGISTRY_PASSWORD
#   --sign-key PEM  sign each pushed image in cosign's format with this EC P-256 private key (an encrypted
#                   one reads CONTAINERIZE_SIGNING_KEY_PASSWORD); check with containertool verify REF --key PUB
#   --product NAME  executable product to containerize (default: HelloWeb)
#   --from REF      build on a base image instead of scratch (HOST[:PORT]/REPO[:TAG], oci-layout:DIR[:TAG],
#                   oci-archive:FILE, docker-archive:FILE; see docs/base-images.md)
#   --embedded      build the product as Embedded Swift
#   --platform P    build for these platforms, e.g. linux/amd64,linux/arm64 (with --embedded: one image index;
#                   dist/NAME.tar holds the host's platform); --swift-sdk NAME: the standard build's Swift SDK
#   --skip-tests    do not run scripts/test.sh first
#
# Writes dist/ (replaced as a whole, only when everything succeeded):
#   dist/NAME.tar           docker archive   (docker load -i dist/NAME.tar)
#   dist/NAME-oci.tar       OCI archive      (skopeo copy oci-archive:dist/NAME-oci.tar …)
#   dist/NAME.spdx.json     SPDX 2.3 SBOM: what the static link pulled in (Debian packages, the Swift
#                           runtime, SwiftPM packages), every resolved package; the image is its root;
#                           with --from, the base (by digest) and the packages of its dpkg database
#   dist/NAME.provenance.json  SLSA Provenance v1 (an in-toto statement)
#   dist/digest             the image's manifest digest, sha256:…
#   dist/attached.json      with --push: each push's OCI 1.1 referrers (SBOM, provenance) and signature
# DIST_DIR=PATH writes there instead of dist/.
# Progress goes to stderr; stdout gets exactly one line, the digest:
#   digest="$(scripts/release.sh --push "$REGISTRY/hello:$VERSION")"
# On failure the exit status is non-zero and the failed step is named.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib/common.sh"

release_options=(--release --product HelloWeb); skip_tests=0; network=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --version|--product|--sign-key) need_value "$1" $# "${2:-}"; release_options+=("$1" "$2"); shift 2 ;;
    --push) need_value "$1" $# "${2:-}"; release_options+=(--push "$2"); network=(--allow-network-connections all); shift 2 ;;
    --embedded) release_options+=(--embedded); shift ;;
    --from) need_value "$1" $# "${2:-}"; release_options+=(--from "$2")
            case "$2" in oci-layout:*|oci-archive:*|docker-archive:*) ;; *) network=(--allow-network-connections all) ;; esac
            shift 2 ;;
    --platform|--swift-sdk) need_value "$1" $# "${2:-}"; release_options+=("$1" "$2"); shift 2 ;;
    --skip-tests) skip_tests=1; shift ;;
    -h|--help) usage_from_header "$0"; exit 0 ;;
    *) echo "release.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ -n "${DIST_DIR:-}" ]]; then release_options+=(--dist "$DIST_DIR"); fi
cd "$root"

current_step="setup"
log=""
trap 'status=$?; rm -f "$log"; if [[ $status -ne 0 ]]; then echo "release.sh: FAILED in step '"'"'$current_step'"'"' (exit status $status)" >&2; fi' EXIT

if [[ $skip_tests -eq 0 ]]; then
  current_step="run the tests (scripts/test.sh)"; step "$current_step" >&2
  bash scripts/test.sh >&2
fi

# Pushing is the only step that needs the network; the plugin gets it only then.
current_step="swift package containerize --release"; step "$current_step" >&2
# The plugin's standard output is the digest alone (progress goes to stderr); anything else SwiftPM
# itself prints there is shown on stderr too, and the last line kept. swift_package (common.sh) reruns
# the command once if swift-package itself crashes (an intermittent SwiftPM bug); the run is idempotent.
log="$(mktemp)"
swift_package --allow-writing-to-package-directory "${network[@]}" containerize "${release_options[@]}" | tee "$log" >&2
digest="$(tail -n 1 "$log")"
rm -f "$log"
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "release.sh: the plugin did not end with a digest (got '$digest')" >&2; exit 1; }
current_step="done"
echo "$digest"
