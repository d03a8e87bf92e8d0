# End-to-end check of `--from` (docs/base-images.md), sourced by scripts/test.sh after e2e.sh and
# e2e-apps.sh (it reuses their helpers). Expects common.sh, $ROOT and $WORK.

# e2e_base_image — a base made here (a static program, a file, Env, a label) pushed to the real
# registry; the plugin builds HelloWeb --from it; docker runs the image; the second build downloads no
# blob; the rendered Dockerfile --from the same base builds the same file tree under docker build.
e2e_base_image() {
    step "--from a base image on a real registry: plugin build, docker run, Dockerfile parity"
    ensure_test_registry
    local base=$REGISTRY/e2e-base:1 tool cache=$WORK/base-cache tag=e2e-base-hello:plugin
    tool=$(containertool_binary)
    mkdir -p "$WORK/base-src"
    printf '#include <stdio.h>\nint main(void) { puts("base tool"); return 0; }\n' >"$WORK/base-src/basetool.c"
    gcc -static -Os -s -o "$WORK/base-src/basetool" "$WORK/base-src/basetool.c"
    printf 'from the base\n' >"$WORK/base-src/marker.txt"
    # A tiny dpkg database and os-release, so the release's SBOM has base packages to list.
    printf 'Package: e2e-base-files\nStatus: install ok installed\nMaintainer: E2E <e2e@example.org>\nArchitecture: all\nVersion: 1.0+e2e1\n\n' >"$WORK/base-src/status"
    printf 'ID=debian\nVERSION_ID="12"\n' >"$WORK/base-src/os-release"
    "$tool" build --executable "$WORK/base-src/basetool" --env BASE_MARKER=1 --label base.origin=e2e \
        --resource "$WORK/base-src/marker.txt:/etc/base-marker.txt" --resource "$WORK/base-src/status:/var/lib/dpkg/status" \
        --resource "$WORK/base-src/os-release:/etc/os-release" --output "registry:$base" >/dev/null
    say "base pushed: $base"

    cd "$ROOT"
    CONTAINERIZE_CACHE_DIR=$cache containerize --no-dockerfile --from "$base" --tag "$tag" \
        --output "docker-archive:$WORK/base-hello.tar" 2>&1 | tee "$WORK/base-build1.log"
    grep -q "blob(s) downloaded" "$WORK/base-build1.log" || die "the first --from build did not report the base download"
    CONTAINERIZE_CACHE_DIR=$cache containerize --no-dockerfile --from "$base" --tag "$tag" \
        --output "docker-archive:$WORK/base-hello.tar" 2>&1 | tee "$WORK/base-build2.log"
    grep -q ": [0-9]* layer(s), 0 blob(s) downloaded" "$WORK/base-build2.log" || die "the second --from build downloaded base blobs again"
    say "second build: no base blob downloaded (cache $cache)"

    docker load -q -i "$WORK/base-hello.tar" >/dev/null
    remember_image "$tag"
    docker image inspect -f '{{json .Config.Env}}' "$tag" | grep -q 'BASE_MARKER=1' || die "$tag lacks the base's Env BASE_MARKER=1"
    [[ "$(docker image inspect -f '{{index .Config.Labels "base.origin"}}' "$tag")" == e2e ]] || die "$tag lacks the base's label"
    image_copy "$tag" /etc/base-marker.txt "$WORK/base-marker.out"
    [[ "$(cat "$WORK/base-marker.out")" == "from the base" ]] || die "$tag lacks the base's /etc/base-marker.txt"
    check_image_config "$tag" 12000000
    run_and_check_container "$tag"

    # The release path takes --from too.
    DIST_DIR=$WORK/base-dist CONTAINERIZE_CACHE_DIR=$cache scripts/release.sh --skip-tests --version 1.0.0 --from "$base" \
        >/dev/null 2>"$WORK/base-release.log" || { tail -20 "$WORK/base-release.log"; die "release.sh --from failed"; }
    skopeo inspect --config "docker-archive:$WORK/base-dist/HelloWeb.tar" | grep -q 'BASE_MARKER=1' \
        || die "release.sh --from: dist/HelloWeb.tar lacks the base's Env"
    # Its SBOM lists the base under the digest the image records, and the base's package; its provenance
    # names the base among the resolved dependencies, under that digest.
    local recorded sbom=$WORK/base-dist/HelloWeb.spdx.json
    recorded=$(skopeo inspect --raw "oci-archive:$WORK/base-dist/HelloWeb-oci.tar" | jq -er '.annotations["org.opencontainers.image.base.digest"]') \
        || die "release.sh --from: dist/HelloWeb-oci.tar records no base digest"
    jq -e --arg base "$base" --arg digest "$recorded" '(.packages | map({(.SPDXID): .}) | add) as $p
        | $p["SPDXRef-Package-base-image"].name == $base and $p["SPDXRef-Package-base-image"].versionInfo == $digest
        and $p["SPDXRef-Package-base-deb-all.e2e-base-files"].externalRefs[0].referenceLocator == "pkg:deb/debian/e2e-base-files@1.0%2Be2e1?arch=all&distro=debian-12"
        and ([.relationships[] | select(.relationshipType == "CONTAINS") | [.spdxElementId, .relatedSpdxElement]] as $contains
             | ($contains | index([["SPDXRef-Package-image", "SPDXRef-Package-base-image"]])) and ($contains | index([["SPDXRef-Package-base-image", "SPDXRef-Package-base-deb-all.e2e-base-files"]])))' \
        "$sbom" >/dev/null || die "release.sh --from: $sbom does not list the base ($recorded) and its package"
    validate_sbom "$sbom"
    jq -e --arg hex "${recorded#sha256:}" 'any(.predicate.buildDefinition.resolvedDependencies[]; .name == "base image" and .digest == {sha256: $hex})' \
        "$WORK/base-dist/HelloWeb.provenance.json" >/dev/null || die "release.sh --from: the provenance does not name the base's digest"
    say "release.sh --from $base: dist/HelloWeb.tar is built on the base; its SBOM lists the base ($recorded) and its package; the provenance names it"

    # The rendered Dockerfile FROM the same base (docker pulls it from the loopback registry).
    local_builder_image >/dev/null || return 0
    docker pull -q "$base" >/dev/null
    remember_image "$base"
    "$tool" dockerfile --product HelloWeb --port 8080 --from "$base" --output "$WORK/Dockerfile.base" --context "$ROOT" >/dev/null
    grep -q "^FROM $base\$" "$WORK/Dockerfile.base" || die "the rendered Dockerfile's last stage is not FROM $base"
    hadolint "$WORK/Dockerfile.base" || die "hadolint has findings on the rendered --from Dockerfile"
    remember_image e2e-base-hello:dockerfile
    docker build --network host --force-rm -q -f "$WORK/Dockerfile.base" -t e2e-base-hello:dockerfile "$ROOT" >"$WORK/base-docker-build.log" 2>&1 \
        || { tail -30 "$WORK/base-docker-build.log"; die "docker build of the --from Dockerfile failed"; }
    docker save -o "$WORK/base-hello-dockerfile.tar" e2e-base-hello:dockerfile
    apps_compare_images "$WORK/base-hello.tar" "$WORK/base-hello-dockerfile.tar" /HelloWeb \
        || die "the Dockerfile's --from image differs from the plugin's"
    run_and_check_container e2e-base-hello:dockerfile
}
