# End-to-end checks for real Foundation apps in a scratch image (issue #10), sourced by scripts/test.sh
# after e2e.sh: time-zone data, /tmp and the home folder, Bundle.module resource bundles, and the rendered
# Dockerfile building the same image, a test CA appended to its CA bundle. (A URLSession client trusting a
# test CA through --ca-file: e2e_urlsession_dynamic_libc.) Fixture:
# Tests/Fixtures/FoundationApps (toolchain only). Expects common.sh, e2e.sh, $ROOT and $WORK.

APPS_FIXTURE=$ROOT/Tests/Fixtures/FoundationApps

# apps_containertool ARG… — this checkout's containertool.
apps_containertool() { "$(containertool_binary)" "$@"; }

# The plugin's build folder for the fixture's fully static products (binaries with their resource bundles beside them).
APPS_BUILT=$APPS_FIXTURE/.build/containerize-build/release

# APPS_DIFF_PROBLEMS — the jq filter that prints each difference in a `containertool inspect --diff --json`
# report that counts: the same paths, kinds, modes, owners, link targets and contents, except the $exempt
# paths' contents and tzdata's (from the host in one image, from the builder image in the other; the two
# zones the fixture reads must be in both), and the same config, where empty is absent and Docker's
# default PATH (which it adds to every image it builds) is not ours.
APPS_DIFF_PROBLEMS='
def side: (if . == "-" then null else fromjson end)
    | (if type == "array" then map(select(. != "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")) else . end)
    | (if . == [] or . == {} or . == "" then null else . end);
($exempt | split(",")) as $exempt | .differences[] | .path as $path | ($path | startswith("/usr/share/zoneinfo/")) as $tzdata
| if ($path | startswith("config.")) then
      (.details[0] | split(" → ")) as $sides | select(($sides[0] | side) != ($sides[1] | side)) | "\($path): \(.details[0])"
  elif .change != "changed" then
      select(($tzdata | not) or $path == "/usr/share/zoneinfo/America/New_York" or $path == "/usr/share/zoneinfo/Etc/UTC")
      | "\($path): only in the \(if .change == "added" then "second" else "first" end) image"
  else
      select(((any($exempt[]; . == $path) or $tzdata) and all(.details[]; startswith("contents:"))) | not) | "\($path): \(.details | join("; "))"
  end'

# apps_compare_images FIRST.tar SECOND.tar [EXEMPT,…] — the two images do not differ in anything that
# counts (APPS_DIFF_PROBLEMS), as `containertool inspect --diff --json` sees them.
apps_compare_images() {
    local problems
    apps_containertool inspect "docker-archive:$1" --diff "docker-archive:$2" --json >"$WORK/image-diff.json" \
        || die "containertool inspect --diff $1 $2 failed"
    problems=$(jq -r --arg exempt "${3:-}" "$APPS_DIFF_PROBLEMS" "$WORK/image-diff.json") || die "jq could not read the --diff report of $1 and $2"
    say "compared the two images' files and config: $(jq '.differences | length' "$WORK/image-diff.json") raw differences, $(grep -c . <<<"$problems") that count"
    [[ -z "$problems" ]] || { sed 's/^/  differs: /' <<<"$problems"; return 1; }
}

# apps_image_size IMAGE — bytes, as docker reports them.
apps_image_size() { docker image inspect -f '{{.Size}}' "$1"; }

# apps_load ARCHIVE TAG — docker load, removed at exit.
apps_load() {
    docker load -q -i "$1" >/dev/null
    remember_image "$2"
}

# apps_expect_output IMAGE EXPECTED [ARG…] — `docker run IMAGE ARG…` prints exactly EXPECTED.
apps_expect_output() {
    local image=$1 expected=$2 said
    shift 2
    said=$(docker run --rm --network host "$image" "$@") || die "$image exited with status $? (said: $said)"
    [[ "$said" == "$expected" ]] || die "$image said:\n$said\nexpected:\n$expected"
    say "$image: output as expected"
}

APPS_FOUNDATION_OUTPUT='date: 2023-11-14 17:13:20 EST
current time zone: Etc/UTC
json via /tmp/: {"count":3,"name":"containerize"} ok
json via /home/nonroot: {"count":3,"name":"containerize"} ok'
APPS_RESOURCE_OUTPUT='bundle: /FoundationApps_ResourceTool.resources
hello.txt: Hello from a Bundle.module resource!
nested/data.json: {"nested":true}
banner.txt: Banner from the Assets library bundle'

e2e_apps_foundation_tool() {
    step "a Foundation tool in scratch: DateFormatter in America/New_York, /tmp, home, JSONEncoder (FoundationApps)"
    cd "$APPS_FIXTURE"
    containerize --product foundation-tool --no-dockerfile --tag apps-foundation-tool:plugin \
        --output "docker-archive:$WORK/apps-foundation-tool.tar"
    expect_paths "$WORK/apps-foundation-tool.tar" /usr/share/zoneinfo/America/New_York /etc/localtime
    apps_load "$WORK/apps-foundation-tool.tar" apps-foundation-tool:plugin
    apps_expect_output apps-foundation-tool:plugin "$APPS_FOUNDATION_OUTPUT"
    local said
    said=$(docker run --rm --network host -e TZ=Europe/Paris apps-foundation-tool:plugin)
    grep -qx "current time zone: Europe/Paris" <<<"$said" || die "TZ=Europe/Paris did not win over /etc/localtime: $said"
    say "TZ in the environment wins over the image's UTC /etc/localtime"

    # The same binary without the add-on: Foundation traps (exit 132) — the reason it is on by default.
    [[ -x "$APPS_BUILT/foundation-tool" ]] || die "the plugin's build is not at $APPS_BUILT/foundation-tool"
    apps_containertool build --executable "$APPS_BUILT/foundation-tool" --no-tzdata --tag apps-foundation-tool:bare \
        --output "docker-archive:$WORK/apps-foundation-tool-bare.tar" >/dev/null
    apps_load "$WORK/apps-foundation-tool-bare.tar" apps-foundation-tool:bare
    local status=0
    docker run --rm --network host apps-foundation-tool:bare >/dev/null 2>&1 || status=$?
    [[ $status != 0 ]] || die "foundation-tool ran without time-zone data; the --no-tzdata check proves nothing"
    say "without --tzdata the same binary fails (exit $status)"
    say "size: foundation-tool $(apps_image_size apps-foundation-tool:plugin) bytes with tzdata, $(apps_image_size apps-foundation-tool:bare) without"
    cd "$ROOT"
}

e2e_apps_resource_tool() {
    step "Bundle.module resources in scratch (FoundationApps resource-tool: its own bundle and a library's)"
    cd "$APPS_FIXTURE"
    containerize --product resource-tool --no-dockerfile --tag apps-resource-tool:plugin \
        --output "docker-archive:$WORK/apps-resource-tool.tar"
    local bundles
    bundles=$(grep -x '/[^/]*\.resources' <<<"$(image_paths "$WORK/apps-resource-tool.tar")" | paste -sd' ')
    [[ "$bundles" == "/FoundationApps_Assets.resources /FoundationApps_ResourceTool.resources" ]] \
        || die "the image's resource bundles are '$bundles', not exactly the two the binary names"
    apps_load "$WORK/apps-resource-tool.tar" apps-resource-tool:plugin
    apps_expect_output apps-resource-tool:plugin "$APPS_RESOURCE_OUTPUT"

    # The plugin's binary, its bundles beside it in the build folder.
    apps_containertool build --executable "$APPS_BUILT/resource-tool" --no-resource-bundles --no-tzdata \
        --tag apps-resource-tool:bare --output "docker-archive:$WORK/apps-resource-tool-bare.tar" >/dev/null
    apps_load "$WORK/apps-resource-tool-bare.tar" apps-resource-tool:bare
    docker run --rm --network host apps-resource-tool:bare >/dev/null 2>&1 && die "resource-tool ran without its bundles"
    say "without the bundles it fails, as issue #10 reported"
    say "size: resource-tool $(apps_image_size apps-resource-tool:plugin) bytes with bundles and tzdata, $(apps_image_size apps-resource-tool:bare) without"
    cd "$ROOT"
}

# apps_docker_build TAG CONTEXT — docker build, then removes the builder and rootfs stages' images this
# build left untagged (the legacy builder keeps them; only ones named in this build's log, never others').
apps_docker_build() {
    local tag=$1 context=$2 log=$WORK/docker-build-$RANDOM.log id
    docker build --network host --force-rm -t "$tag" "$context" >"$log" 2>&1 || { tail -30 "$log"; die "docker build of $tag failed"; }
    remember_image "$tag"
    for id in $(sed -n 's/^ ---> \([0-9a-f]\{12\}\)$/\1/p' "$log" | sort -u); do
        if [[ -z "$(docker image inspect -f '{{join .RepoTags ","}}' "$id" 2>/dev/null)" ]] \
            && docker image ls -q --filter dangling=true | grep -qx "$id"; then
            docker image rm "$id" >/dev/null 2>&1 || true
        fi
    done
}

# apps_dockerfile_context DIR — the fixture as a self-contained build context: Docker cannot see the
# path dependency on this repository (../../..), which the products do not use, so it is dropped.
apps_dockerfile_context() {
    local dir=$1
    rm -rf "$dir"
    mkdir -p "$dir"
    cp -R "$APPS_FIXTURE/Package.swift" "$APPS_FIXTURE/Sources" "$APPS_FIXTURE/static" "$dir/"
    sed -i '/\.package(path: "\.\.\/\.\.\/\.\.")/d' "$dir/Package.swift"
    ! grep -q 'package(path' "$dir/Package.swift" || die "could not drop the path dependency from the context's Package.swift"
}

e2e_apps_dockerfile_parity() {
    step "the rendered Dockerfile builds the same image as the plugin (FoundationApps, docker build)"
    local context=$WORK/apps-context
    local_builder_image >/dev/null || return 0
    apps_dockerfile_context "$context"
    make_test_tls "$WORK/apps-tls"
    cp "$WORK/apps-tls/ca.pem" "$context/test-ca.pem"

    # 1. Defaults: the plugin's foundation-tool image against the Dockerfile's.
    (cd "$context" && apps_containertool dockerfile --product foundation-tool --output "$context/Dockerfile")
    hadolint "$context/Dockerfile" || die "hadolint has findings on the rendered Dockerfile"
    apps_docker_build apps-foundation-tool:dockerfile "$context"
    apps_expect_output apps-foundation-tool:dockerfile "$APPS_FOUNDATION_OUTPUT"
    docker save -o "$WORK/apps-foundation-tool-dockerfile.tar" apps-foundation-tool:dockerfile
    apps_compare_images "$WORK/apps-foundation-tool.tar" "$WORK/apps-foundation-tool-dockerfile.tar" /foundation-tool \
        || die "the Dockerfile's foundation-tool image differs from the plugin's"

    # 2. Every image option at once, --ca-file included: containertool build on the plugin's binary
    #    against the Dockerfile rendered with the same options.
    local options=(--resource static:/srv/static --ca-file test-ca.pem --env 'GREETING=hi $there "q" back\slash' --label team=apps
                   --workdir /srv --expose 9000/tcp --healthcheck /resource-tool --cmd --verbose)
    (cd "$context" && apps_containertool dockerfile --product resource-tool --output "$context/Dockerfile" --force "${options[@]}")
    hadolint "$context/Dockerfile" || die "hadolint has findings on the rendered Dockerfile"
    apps_docker_build apps-resource-tool:dockerfile "$context"
    apps_expect_output apps-resource-tool:dockerfile "$APPS_RESOURCE_OUTPUT"
    docker save -o "$WORK/apps-resource-tool-dockerfile.tar" apps-resource-tool:dockerfile
    (cd "$context" && apps_containertool build --executable "$APPS_BUILT/resource-tool" "${options[@]}" \
        --tag apps-resource-tool:options --output "docker-archive:$WORK/apps-resource-tool-options.tar" >/dev/null)
    apps_compare_images "$WORK/apps-resource-tool-options.tar" "$WORK/apps-resource-tool-dockerfile.tar" \
        /resource-tool,/etc/ssl/certs/ca-certificates.crt || die "the Dockerfile's resource-tool image differs from containertool's"
    # The bundles differ only in the host's and the builder's public CAs; both end with the test CA.
    apps_load "$WORK/apps-resource-tool-options.tar" apps-resource-tool:options
    image_copy apps-resource-tool:dockerfile /etc/ssl/certs/ca-certificates.crt "$WORK/bundle-dockerfile.crt"
    image_copy apps-resource-tool:options /etc/ssl/certs/ca-certificates.crt "$WORK/bundle-containertool.crt"
    local size
    size=$(stat -c %s "$context/test-ca.pem")
    cmp -s <(tail -c "$size" "$WORK/bundle-dockerfile.crt") "$context/test-ca.pem" || die "the Dockerfile's CA bundle does not end with the test CA"
    cmp -s <(tail -c "$size" "$WORK/bundle-containertool.crt") "$context/test-ca.pem" || die "containertool's CA bundle does not end with the test CA"
    say "both CA bundles end with the --ca-file certificate"
    cd "$ROOT"
}

# HelloWeb too: the image e2e_dockerfile_builds built from the rendered Dockerfile against the plugin's
# (e2e_standard_image's .build/containerize/HelloWeb.tar), when both are still there.
e2e_apps_helloweb_parity() {
    step "the rendered Dockerfile's HelloWeb image is the plugin's, file by file"
    local image=${APPS_HELLOWEB_DOCKERFILE_IMAGE:-helloweb:dockerfile} archive=${APPS_HELLOWEB_ARCHIVE:-$ROOT/.build/containerize/HelloWeb.tar}
    if ! docker image inspect "$image" >/dev/null 2>&1 || [[ ! -f "$archive" ]]; then
        say "SKIPPED: $image or $archive is missing (see e2e_dockerfile_builds)"
        return 0
    fi
    docker save -o "$WORK/apps-helloweb-dockerfile.tar" "$image"
    apps_compare_images "$archive" "$WORK/apps-helloweb-dockerfile.tar" /HelloWeb \
        || die "the Dockerfile's HelloWeb image differs from the plugin's"
}

e2e_foundation_apps() {
    e2e_apps_helloweb_parity
    e2e_apps_foundation_tool
    e2e_apps_resource_tool
    e2e_apps_dockerfile_parity
}
