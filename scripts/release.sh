#!/usr/bin/env bash
# scripts/release.sh — one line for a CI pipeline: test, build the image, write dist/, optionally push.
#
#   scripts/release.sh [--version V] [--push REF] [--product NAME] [--embedded] [--skip-tests]
#
#   --version V     image version label and SBOM version (default: `git describe --tags --always`, v stripped)
#   --push REF      also push to a registry, e.g. 127.0.0.1:5000/hello:1.0.0 (HOST[:PORT]/REPO[:TAG]);
#                   credentials: ~/.docker/config.json, then ~/.netrc, then
#                   CONTAINERIZE_REGISTRY_USERNAME / CONTAINERIZE_REGISTRY_PASSWORD
#   --product NAME  executable product to containerize (default: HelloWeb)
#   --embedded      build the product as Embedded Swift
#   --skip-tests    do not run scripts/test.sh first
#
# Writes dist/ (replaced as a whole, so re-running is safe):
#   dist/NAME.tar           docker archive   (docker load -i dist/NAME.tar)
#   dist/NAME-oci.tar       OCI archive      (skopeo copy oci-archive:dist/NAME-oci.tar …)
#   dist/NAME.spdx.json     SPDX 2.3 SBOM: the product, the Swift toolchain, every resolved package
#   dist/digest             the image's manifest digest, sha256:…
# DIST_DIR=PATH writes there instead of dist/.
# Progress goes to stderr; stdout gets exactly one line, the digest, printed last:
#   digest="$(scripts/release.sh --push "$REGISTRY/hello:$VERSION")"
# On failure the exit status is non-zero and the failed step is named.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; }

version=""; push=""; product="HelloWeb"; embedded=0; skip_tests=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --version) version="${2:?--version needs a value}"; shift 2 ;;
    --push) push="${2:?--push needs a value}"; shift 2 ;;
    --product) product="${2:?--product needs a value}"; shift 2 ;;
    --embedded) embedded=1; shift ;;
    --skip-tests) skip_tests=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "release.sh: unknown option '$1'" >&2; usage; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Everything but the final digest goes to stderr; fd 3 is the real stdout.
exec 3>&1 1>&2

step_number=0
current_step="setup"
staging=""
step() {
  step_number=$((step_number + 1))
  current_step="$1"
  echo
  echo "==> [$step_number] $1"
}
on_exit() {
  local status=$?
  if [[ -n "$staging" && -d "$staging" ]]; then rm -rf "$staging"; fi
  if [[ $status -ne 0 ]]; then
    echo "release.sh: FAILED in step '$current_step' (exit status $status)" >&2
  fi
  exit "$status"
}
trap on_exit EXIT

# --- Release facts from git (all optional outside a git checkout) ---------------------------------
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
source_url="$(git remote get-url origin 2>/dev/null || true)"
if [[ -z "$version" ]]; then
  version="$(git describe --tags --always 2>/dev/null || echo 0.0.0-dev)"
  version="${version#v}"
fi
# One timestamp for the image and the SBOM: the last commit's, so every machine builds the same bytes.
if [[ -z "${SOURCE_DATE_EPOCH:-}" ]]; then
  SOURCE_DATE_EPOCH="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
fi
export SOURCE_DATE_EPOCH
echo "release: product=$product version=$version revision=$revision${push:+ push=$push}"

# --- 1. tests ---------------------------------------------------------------------------------------
if [[ $skip_tests -eq 0 ]]; then
  step "run the tests (scripts/test.sh)"
  bash scripts/test.sh
else
  step "run the tests (skipped: --skip-tests)"
fi

# --- 2. containertool (the SBOM and the digest come from it) ---------------------------------------
step "build containertool"
swift build --product containertool
containertool="$(swift build --show-bin-path)/containertool"
[[ -x "$containertool" ]] || { echo "containertool was not built at $containertool"; exit 1; }

# Outputs are staged in a fresh folder, then moved into place: a failed run leaves dist/ as it was.
mkdir -p .build-release
staging="$(mktemp -d "$root/.build-release/dist.XXXXXX")"
chmod 755 "$staging"  # mktemp's 0700 would follow the folder into dist/
dist_dir="${DIST_DIR:-$root/dist}"

# --- 3. image -------------------------------------------------------------------------------------
step "build the image through the plugin"
plugin_options=(--allow-writing-to-package-directory)
# The docker archive's name: <product lowercased>:<version>, the version made a valid tag.
image_tag="$(printf '%s' "$product" | tr '[:upper:]' '[:lower:]'):$(printf '%s' "$version" | tr -c 'A-Za-z0-9_.-' '-' | cut -c1-128)"
image_options=(
  --product "$product"
  --no-dockerfile
  --tag "$image_tag"
  --output "docker-archive:$staging/$product.tar"
  --output "oci-archive:$staging/$product-oci.tar"
  --label "org.opencontainers.image.version=$version"
  --label "org.opencontainers.image.revision=$revision"
)
if [[ -n "$source_url" ]]; then image_options+=(--label "org.opencontainers.image.source=$source_url"); fi
if [[ $embedded -eq 1 ]]; then image_options+=(--embedded); fi
if [[ -n "$push" ]]; then
  # Pushing is the only step that needs the network; the plugin gets it only then.
  plugin_options+=(--allow-network-connections all)
  image_options+=(--push "$push")
fi
plugin_log="$staging/.plugin.log"
swift package "${plugin_options[@]}" containerize "${image_options[@]}" 2>&1 | tee "$plugin_log"
for file in "$product.tar" "$product-oci.tar"; do
  [[ -s "$staging/$file" ]] || { echo "the plugin did not write $file"; exit 1; }
done

# --- 4. digest ------------------------------------------------------------------------------------
step "read the image digest"
digest="$("$containertool" inspect "oci-archive:$staging/$product-oci.tar" --json \
  | grep -o '"digest" *: *"sha256:[0-9a-f]\{64\}"' | head -n 1 | grep -o 'sha256:[0-9a-f]\{64\}' || true)"
if [[ -z "$digest" ]]; then
  # Fallback: the manifest descriptor in the OCI archive's index.json (the same digest a registry stores;
  # the docker archive's differs, its layers being uncompressed).
  digest="$(tar -xOf "$staging/$product-oci.tar" index.json | grep -o 'sha256:[0-9a-f]\{64\}' | head -n 1 || true)"
fi
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "could not read the image digest from $product-oci.tar"; exit 1; }
if [[ -n "$push" ]]; then
  grep -q "@$digest" "$plugin_log" || { echo "the push did not report $digest (see the plugin output above)"; exit 1; }
fi
printf '%s\n' "$digest" > "$staging/digest"
rm -f "$plugin_log"

# --- 5. SBOM --------------------------------------------------------------------------------------
step "write the SPDX SBOM"
sbom_options=(--package-path "$root" --product "$product" --version "$version" --output "$staging/$product.spdx.json")
if [[ -n "$source_url" ]]; then sbom_options+=(--source "$source_url"); fi
"$containertool" sbom "${sbom_options[@]}"

# --- 6. dist/ -------------------------------------------------------------------------------------
step "move the results into $dist_dir"
# The old dist/ steps aside before the new one moves in, so no moment leaves neither.
previous="$staging.previous"
if [[ -e "$dist_dir" ]]; then mv "$dist_dir" "$previous"; fi
mv "$staging" "$dist_dir"
staging=""
rm -rf "$previous"
ls -l "$dist_dir"

current_step="done"
echo
echo "release: $product $version ${push:+pushed to $push, }digest:"
echo "$digest" >&3
