# End-to-end checks for scripts/test.sh: each function runs one user-visible path for real and fails
# loudly (set -e, die) on the first deviation. Expects common.sh, $ROOT and $WORK.

# The plugin as a user runs it, in the current directory's package.
containerize() {
    swift_package --allow-writing-to-package-directory containerize "$@"
}

# containertool_binary — prints the path of this checkout's containertool (debug), built on the first
# call; scripts/test.sh keeps that path in E2E_CONTAINERTOOL, so the checks build it once, not per use.
containertool_binary() {
    if [[ -z "${E2E_CONTAINERTOOL:-}" ]]; then
        (cd "$ROOT" && swift build --product containertool >/dev/null 2>&1) || die "building containertool failed"
        E2E_CONTAINERTOOL="$(cd "$ROOT" && swift build --show-bin-path)/containertool"
    fi
    printf '%s\n' "$E2E_CONTAINERTOOL"
}

# json_field FILE KEY — prints a top-level field of a JSON document.
json_field() { jq -er ".$2" "$1"; }

# skopeo_digest REFERENCE — the manifest digest skopeo reads at REFERENCE (loopback registries without TLS).
skopeo_digest() { skopeo inspect --tls-verify=false "$1" | jq -er .Digest; }

# image_copy IMAGE PATH DEST — copies PATH out of the local docker image IMAGE (which need not be able to run).
image_copy() {
    local cid status=0
    cid=$(docker create "$1" /none)
    docker cp "$cid:$2" "$3" >/dev/null || status=$?
    docker rm "$cid" >/dev/null
    return "$status"
}

# local_builder_image — prints swift:MAJOR.MINOR-bookworm when docker has it (nothing can be pulled here);
# otherwise says how to make it and fails (fatal with CI=true: .ci/run makes it).
local_builder_image() {
    local builder
    builder=swift:$(swift_minor_version)-bookworm
    docker image inspect "$builder" >/dev/null 2>&1 && { printf '%s\n' "$builder"; return 0; }
    [[ "${CI:-}" != "true" ]] || die "no local builder image $builder (.ci/run makes it with scripts/make-builder-image.sh)"
    say "SKIPPED: no local builder image $builder; make one with scripts/make-builder-image.sh" >&2
    return 1
}

# validate_sbom FILE — pyspdxtools accepts the SPDX document and ntia-checker finds it NTIA-conformant.
validate_sbom() {
    local ntia
    pyspdxtools -i "$1" >/dev/null || die "pyspdxtools refuses $1"
    ntia=$(ntia-checker "$1" 2>&1) || true  # read whole: grep -q would break its pipe
    [[ "$ntia" == *"Conformant: True"* ]] || die "$1 is not NTIA-conformant: $(grep False <<<"$ntia" | tr -s ' ' | paste -sd ';')"
}

# sbom_linked FILE KIND — "NAME VERSION" of each package of the SPDX document FILE that is the target of
# a KIND relationship (STATIC_LINK, DYNAMIC_LINK), one a line.
sbom_linked() {
    jq -r --arg kind "$2" '(.packages | map({(.SPDXID): .}) | add) as $p
        | [.relationships[] | select(.relationshipType == $kind) | $p[.relatedSpdxElement] | "\(.name) \(.versionInfo)"] | unique[]' "$1"
}

# sbom_image_version FILE — the versionInfo (the image digest) of the document's root package, the image.
sbom_image_version() {
    jq -er 'select(.documentDescribes == ["SPDXRef-Package-image"]) | .packages[] | select(.SPDXID == "SPDXRef-Package-image") | .versionInfo' "$1"
}

# expect_linked FILE KIND NAME [VERSION] — the SBOM FILE names NAME (at VERSION, default dpkg's) as KIND.
expect_linked() {
    local version=${4:-$(dpkg-query -W -f '${Version}' "$3")}
    grep -qxF "$3 $version" <<<"$(sbom_linked "$1" "$2")" || die "$1 does not name $3 $version as $2 (it names: $(sbom_linked "$1" "$2" | paste -sd,))"
}

# run_and_check_container IMAGE [DOCKER_RUN_OPTION…] — runs the HelloWeb image on a free host port,
# checks the answer, the scratch-friendly health check and a graceful `docker stop` (SIGTERM to PID 1,
# exit 0, fast). The options go to `docker run` (e.g. --platform linux/arm64).
run_and_check_container() {
    local image=$1 port cid body headers started stopped exit_code
    port=$(free_port)
    cid=$(docker run -d --network host "${@:2}" "$image" --port "$port")
    remember_container "$cid"
    wait_for_http "http://127.0.0.1:$port/" || { docker logs "$cid"; die "$image: nothing answers on port $port"; }
    body=$(curl -s "http://127.0.0.1:$port/any/path")
    [[ "$body" == "Hello world!" ]] || die "$image answered '$body', expected 'Hello world!'"
    say "container $image answered: $body"
    headers=$(curl -s -I "http://127.0.0.1:$port/")
    grep -q '^Content-Length: 12' <<<"${headers//$'\r'/}" || die "$image: HEAD lacks Content-Length: 12"
    docker exec "$cid" "/HelloWeb" --healthcheck --port "$port" || die "$image: --healthcheck failed inside the container"
    say "health check inside the container: ok"
    started=$(date +%s%N)
    docker stop -t 10 "$cid" >/dev/null
    stopped=$(date +%s%N)
    exit_code=$(docker inspect -f '{{.State.ExitCode}}' "$cid")
    [[ "$exit_code" == 0 ]] || die "$image: exit code $exit_code after docker stop (expected 0: graceful SIGTERM)"
    (( (stopped - started) / 1000000 < 3000 )) || die "$image: docker stop took $(( (stopped - started) / 1000000 )) ms (SIGTERM not handled?)"
    say "docker stop: exit 0 after $(( (stopped - started) / 1000000 )) ms"
}

# check_image_config IMAGE MAX_BYTES — size limit, non-root user, absolute entrypoint.
check_image_config() {
    local image=$1 max=$2 size user entrypoint
    size=$(docker image inspect -f '{{.Size}}' "$image")
    user=$(docker image inspect -f '{{.Config.User}}' "$image")
    entrypoint=$(docker image inspect -f '{{index .Config.Entrypoint 0}}' "$image")
    say "image $image: size $size bytes ($(( size / 1024 )) KiB), user '$user', entrypoint '$entrypoint'"
    (( size < max )) || die "$image is $size bytes, over the limit of $max"
    [[ -n "$user" && "$user" != root && "$user" != 0 && "${user%%:*}" != 0 ]] || die "$image runs as root (User '$user')"
    [[ "$entrypoint" == /* ]] || die "$image entrypoint '$entrypoint' is not an absolute path"
}

REFERRER_TYPES='["application/spdx+json", "application/vnd.in-toto+json"]'

# check_layout_referrers LAYOUT DIGEST — the layout's index.json lists the SBOM and the provenance as
# untagged referrers whose manifests' subject is DIGEST, after the images.
check_layout_referrers() {
    local entry
    jq -e "[.manifests[] | select(.artifactType)] as \$r | (\$r | map(.artifactType) | sort) == $REFERRER_TYPES
        and all(\$r[]; has(\"annotations\") | not) and .manifests[-(\$r | length):] == \$r" "$1/index.json" >/dev/null \
        || die "$1/index.json does not list the SBOM and the provenance, untagged, after the images"
    for entry in $(jq -r '.manifests[] | select(.artifactType) | .digest[7:]' "$1/index.json"); do
        [[ "$(jq -r .subject.digest "$1/blobs/sha256/$entry")" == "$2" ]] || die "the referrer sha256:$entry in $1 is not about $2"
    done
}

# check_fallback_referrers REPO DIGEST [REGISTRY] — the registry's ($REGISTRY's) fallback tag sha256-<hex>
# lists the SBOM and the provenance (docker-registry has no referrers API).
check_fallback_referrers() {
    curl -sf -H "Accept: application/vnd.oci.image.index.v1+json" "http://${3:-$REGISTRY}/v2/$1/manifests/sha256-${2#sha256:}" \
        | jq -e "[.manifests[].artifactType] | sort == $REFERRER_TYPES" >/dev/null \
        || die "the fallback tag sha256-${2#sha256:} of $1 does not list the SBOM and the provenance"
}

# check_same_image ARCHIVE LAYOUT — the plugin wrote one image to both outputs (what real tools make of
# each kind of output is ToolAcceptanceTests' and LayoutReferrersTests' business).
check_same_image() {
    "$(containertool_binary)" inspect "docker-archive:$1" --diff "oci-layout:$2" --exit-code >"$WORK/same-image.log" \
        || die "$1 and $2 hold different images: $(head -5 "$WORK/same-image.log")"
}

e2e_standard_image() {
    step "plugin on this package, default options (standard build, fully static)"
    rm -rf .build/containerize
    containerize | tee "$WORK/plugin-standard.log"
    local archive=.build/containerize/HelloWeb.tar layout=.build/containerize/HelloWeb-oci
    [[ -f "$archive" && -d "$layout" ]] || die "the plugin did not write $archive and $layout"
    grep -q 'Generated by swift package containerize' Dockerfile || die "no rendered Dockerfile at the package root"
    hadolint Dockerfile || die "hadolint has findings on the rendered Dockerfile"
    say "hadolint Dockerfile: no findings"
    check_same_image "$archive" "$layout"
    docker load -i "$archive"
    remember_image helloweb:latest
    check_image_config helloweb:latest 10000000
    run_and_check_container helloweb:latest
    image_copy helloweb:latest /HelloWeb "$WORK/HelloWeb-standard"
}

# start_plugin_run LOG PORT [SWIFT_PACKAGE_OPTION…] -- [PLUGIN_OPTION…] — starts `containerize --run` of
# the edit-loop image in its own session (so a Ctrl-C can go to its whole group, as in a terminal),
# HelloWeb on PORT (published on the same port where the engine has a bridge). Sets PLUGIN_RUN_PID:
# the swift-package process itself, a child of this shell (`wait` gives its exit status).
start_plugin_run() {
    local log=$1 port=$2 swiftpm=()
    shift 2
    while [[ $# -gt 0 && $1 != -- ]]; do swiftpm+=("$1"); shift; done
    shift
    setsid swift package "${swiftpm[@]}" --allow-writing-to-package-directory containerize --no-dockerfile --run \
        --tag "$EDIT_LOOP_TAG" --port "$port" "$@" -- --port "$port" >"$log" 2>&1 &
    PLUGIN_RUN_PID=$!
    remember_pid "$PLUGIN_RUN_PID"
}

# interrupt_and_expect_removed ENGINE PID NAME — Ctrl-C to the run's whole group, as in a terminal;
# the container NAME must be gone within 30 s.
interrupt_and_expect_removed() {
    local engine=$1 pid=$2 name=$3 i
    kill -INT -- "-$(ps -o pgid= "$pid" | tr -d ' ')"
    for ((i = 0; i < 300; i++)); do [[ -z "$("$engine" ps -aq --filter "name=^/?$name\$")" ]] && break; sleep 0.1; done
    [[ -z "$("$engine" ps -aq --filter "name=^/?$name\$")" ]] || die "--run: the container $name outlived Ctrl-C: $("$engine" ps -a --filter "name=^/?$name\$")"
}

# e2e_edit_loop — `--load` puts the image into the engine without writing an archive or a layout;
# `--run -- ARG…` runs it with the words after --, a second `--run` replaces the first (which ends
# with status 0), and an interrupt of the whole terminal group (Ctrl-C) stops and removes the
# container; then `--run --engine podman` does the same in Podman.
e2e_edit_loop() {
    step "plugin --load and --run (the edit loop)"
    # A tag of this run's own: the container's name comes from it, and the engines may be shared.
    EDIT_LOOP_TAG=edit-loop-$$:test
    local name=containerize-edit-loop-$$
    rm -rf .build/containerize
    containerize --no-dockerfile --load --tag "$EDIT_LOOP_TAG" >"$WORK/edit-load.log" 2>&1 || { tail -5 "$WORK/edit-load.log"; die "--load failed"; }
    remember_image "$EDIT_LOOP_TAG"
    grep -q "loaded into docker: $EDIT_LOOP_TAG" "$WORK/edit-load.log" || die "--load did not say where the image went: $(tail -3 "$WORK/edit-load.log")"
    [[ -z "$(ls .build/containerize 2>/dev/null)" ]] || die "--load wrote files: $(ls .build/containerize)"
    docker image inspect "$EDIT_LOOP_TAG" >/dev/null || die "--load: docker has no $EDIT_LOOP_TAG"
    say "--load: in docker, nothing written under .build/containerize"

    local port first second first_id started answered
    port=$(free_port)
    start_plugin_run "$WORK/edit-run.log" "$port" --
    first=$PLUGIN_RUN_PID
    wait_for_http "http://127.0.0.1:$port/" 120 || { tail -5 "$WORK/edit-run.log"; die "--run: nothing answers on port $port"; }
    [[ "$(curl -s "http://127.0.0.1:$port/")" == "Hello world!" ]] || die "--run: the container does not say Hello world!"
    grep -q "HelloWeb listening on 0.0.0.0:$port" "$WORK/edit-run.log" || die "--run did not stream the container's output"
    first_id=$(docker container inspect --format '{{.Id}}' "$name") || die "--run: no container named $name (the image's name)"
    say "--run -- --port $port: answered as $name, streamed its log"

    # SwiftPM holds its lock on .build while the first `swift package` runs: a second one in another
    # terminal needs SwiftPM's --ignore-lock (docs/plugin-reference.md says so).
    started=$(date +%s%N)
    start_plugin_run "$WORK/edit-run2.log" "$port" --ignore-lock --
    second=$PLUGIN_RUN_PID
    local i id
    for ((i = 0; i < 1200; i++)); do
        # The new container is created once the old one has stopped: while its ID is there, it is what answers.
        id=$(docker container inspect --format '{{.Id}}' "$name" 2>/dev/null) || id=
        [[ -n "$id" && "$id" != "$first_id" ]] && curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$port/" && break
        sleep 0.1
    done
    answered=$(date +%s%N)
    [[ -n "$id" && "$id" != "$first_id" && "$(curl -s "http://127.0.0.1:$port/")" == "Hello world!" ]] \
        || { tail -5 "$WORK/edit-run2.log"; die "a second --run did not replace the first"; }
    local status=0
    for ((i = 0; i < 300; i++)); do kill -0 "$first" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$first" 2>/dev/null && die "the replaced --run did not end: $(tail -4 "$WORK/edit-run.log")"
    wait "$first" || status=$?
    [[ $status == 0 ]] && grep -q "containertool: $name was replaced by a newer run; this one ends" "$WORK/edit-run.log" \
        || die "the first --run did not end quietly with status 0 (it ended with $status): $(tail -4 "$WORK/edit-run.log")"
    ! grep -q 'Error' "$WORK/edit-run.log" || die "the replaced --run printed engine errors: $(grep Error "$WORK/edit-run.log")"
    for ((i = 0; i < 50; i++)); do [[ "$(docker ps -a --format '{{.Names}}' | grep -c "^$name")" == 1 ]] && break; sleep 0.1; done
    [[ "$(docker ps -a --format '{{.Names}}' | grep -c "^$name")" == 1 ]] || die "not one container after the replacement: $(docker ps -a --format '{{.Names}}' | grep "^$name")"
    say "a second --run (swift package --ignore-lock) replaced the first: new container answering $(( (answered - started) / 1000000 )) ms after the command started (its build and load included); the first ended with status 0"
    interrupt_and_expect_removed docker "$second" "$name"
    say "Ctrl-C stopped and removed the container"

    step "plugin --run --engine podman"
    require_tools podman || { say "skipped: --run --engine podman needs podman"; return 0; }
    # Podman has a bridge here: the plugin's --port publishes HelloWeb's port (-p N:N).
    # Podman may not raise a container's rlimits in a sandbox (CI's): a config of this run's own,
    # given through the environment, not the machine's (EngineTests do the same).
    printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n' >"$WORK/containers.conf"
    export CONTAINERS_CONF=$WORK/containers.conf
    port=$(free_port)
    start_plugin_run "$WORK/edit-podman.log" "$port" -- --engine podman
    first=$PLUGIN_RUN_PID
    wait_for_http "http://127.0.0.1:$port/" 120 || { tail -5 "$WORK/edit-podman.log"; die "--run --engine podman: nothing answers on port $port"; }
    [[ "$(curl -s "http://127.0.0.1:$port/")" == "Hello world!" ]] || die "--run --engine podman: the container does not say Hello world!"
    grep -q "running $EDIT_LOOP_TAG in podman as $name" "$WORK/edit-podman.log" || die "--run --engine podman did not run in podman: $(grep running "$WORK/edit-podman.log")"
    podman container inspect "$name" >/dev/null || die "--run --engine podman: podman has no container $name"
    interrupt_and_expect_removed podman "$first" "$name"
    podman rmi -f "$EDIT_LOOP_TAG" >/dev/null 2>&1 || true
    unset CONTAINERS_CONF
    say "--run --engine podman -- --port $port: loaded, answered, Ctrl-C stopped and removed the container"
}

e2e_embedded_image() {
    step "plugin --embedded (Embedded Swift build)"
    containerize --embedded --no-dockerfile --tag helloweb:embedded \
        --output "docker-archive:$WORK/embedded.tar" --output "oci-layout:$WORK/embedded-oci"
    check_same_image "$WORK/embedded.tar" "$WORK/embedded-oci"
    docker load -i "$WORK/embedded.tar"
    remember_image helloweb:embedded
    check_image_config helloweb:embedded 1000000
    run_and_check_container helloweb:embedded

    step "HelloWeb behaviour tests against the binaries inside both images"
    image_copy helloweb:embedded /HelloWeb "$WORK/HelloWeb-embedded"
    local binary
    for binary in "$WORK/HelloWeb-embedded" "$WORK/HelloWeb-standard"; do
        say "HELLOWEB_BINARY=$binary ($(stat -c %s "$binary") bytes)"
        HELLOWEB_BINARY="$binary" swift test --skip-build --filter HTTPServerTests
    done
}

# expect_failure DESCRIPTION EXPECTED_TEXT COMMAND… — the command must fail and say EXPECTED_TEXT.
expect_failure() {
    local description=$1 expected=$2 output
    shift 2
    if output=$("$@" 2>&1 </dev/null); then die "$description: the command succeeded"; fi
    grep -qF -- "$expected" <<<"$output" || die "$description: the error lacks '$expected': $(tail -5 <<<"$output")"
    say "$description: ok"
}

e2e_fixture_package() {
    step "plugin in a package that depends on ours (Tests/Fixtures/TwoProducts)"
    local product said
    cd "$ROOT/Tests/Fixtures/TwoProducts"
    rm -f Dockerfile .dockerignore
    for product in hello-a hello-b; do
        containerize --product "$product" --no-dockerfile --tag "fixture-$product:test" \
            --output "docker-archive:$WORK/$product.tar" >/dev/null
        docker load -q -i "$WORK/$product.tar" >/dev/null
        remember_image "fixture-$product:test"
        said=$(docker run --rm --network host "fixture-$product:test")
        [[ "$said" == "Hello from $product!" ]] || die "--product $product ran something that said '$said'"
        say "--product $product runs /$product: $said"
    done
    expect_failure "no --product with two executables lists them" "hello-a" containerize --dockerfile-only
    expect_failure "no --product lists hello-b too" "hello-b" containerize --dockerfile-only
    expect_failure "a library product is refused" "not an executable product" containerize --product Greeting
    expect_failure "an unknown product is refused" "no product named 'nope'" containerize --product nope
    expect_failure "an unknown option is refused" "unknown option '--bogus'" containerize --bogus
    expect_failure "without the permission flag SwiftPM refuses" "allow-writing-to-package-directory" \
        swift_package containerize --product hello-b --dockerfile-only
    [[ -z "$(ls Dockerfile* .dockerignore 2>/dev/null)" ]] || die "a failed run left a Dockerfile or .dockerignore behind"

    step "two products, two Dockerfiles (Dockerfile.<product>)"
    containerize --product hello-a --dockerfile-only >/dev/null
    containerize --product hello-b --dockerfile-only >/dev/null
    grep -q 'hello-a' Dockerfile.hello-a || die "Dockerfile.hello-a does not build hello-a"
    grep -q 'hello-b' Dockerfile.hello-b || die "Dockerfile.hello-b does not build hello-b"
    [[ ! -e Dockerfile ]] || die "a package with two products got a plain Dockerfile"
    say "Dockerfile.hello-a and Dockerfile.hello-b, neither replaced the other"
    containerize --product hello-a --dockerfile-only --port 9000 --expose 9001/udp >/dev/null
    grep -qx 'EXPOSE 9001/udp' Dockerfile.hello-a || die "--expose did not reach the Dockerfile as it reaches the image: $(grep EXPOSE Dockerfile.hello-a)"
    mkdir -p docker
    containerize --product hello-a --dockerfile-only --dockerfile docker/Dockerfile --resource Sources/HelloA:/src >/dev/null
    grep -qF 'COPY ["Sources/HelloA", "/rootfs/src"]' docker/Dockerfile || die "a --resource of the package is not taken in the package-root context with --dockerfile docker/Dockerfile"
    rm -rf docker
    expect_failure "--name, which the Dockerfile cannot honour, is refused" "cannot reproduce --name other" \
        containerize --product hello-a --dockerfile-only --name other
    say "--expose, --resource with --dockerfile in a subfolder and --name reach the Dockerfile as they reach the image"
    containerize --product hello-a --dockerfile "$WORK/custom.Dockerfile" --dockerfile-only >/dev/null
    grep -q 'hello-a' "$WORK/custom.Dockerfile" || die "--dockerfile PATH was not written"
    echo "FROM scratch" >Dockerfile.hello-b
    expect_failure "a hand-written Dockerfile is kept without --force (checked before compiling)" "--force" \
        containerize --product hello-b
    [[ "$(cat Dockerfile.hello-b)" == "FROM scratch" ]] || die "the hand-written Dockerfile was changed"
    say "the hand-written Dockerfile is untouched"

    step "a bad --push reference fails before any compile"
    if containerize --product hello-a --no-dockerfile --push 127.0.0.1:5000/UX/App:1 >"$WORK/bad-push.log" 2>&1; then
        die "a push to 127.0.0.1:5000/UX/App:1 was accepted"
    fi
    grep -q "invalid image reference '127.0.0.1:5000/UX/App:1'" "$WORK/bad-push.log" || die "the error does not name the reference: $(tail -3 "$WORK/bad-push.log")"
    ! grep -q 'Building for production\|Compiling' "$WORK/bad-push.log" || die "the product was compiled before the reference was checked"
    say "rejected before the build: $(grep -m1 'invalid image reference' "$WORK/bad-push.log" | cut -c1-120)"
    rm -f Dockerfile* .dockerignore
    cd "$ROOT"
}

# e2e_incremental_build — the plugin builds in .build/containerize-build, so alternating it with a
# plain `swift build -c release` recompiles nothing (asserted on the build logs, not on time).
e2e_incremental_build() {
    step "alternating swift build -c release and containerize rebuilds nothing"
    cd "$ROOT/Tests/Fixtures/TwoProducts"
    local args=(--product hello-a --no-dockerfile --output "docker-archive:$WORK/incremental.tar")
    swift build -c release --product hello-a >"$WORK/inc-1.log" 2>&1
    containerize "${args[@]}" >"$WORK/inc-2.log" 2>&1
    swift build -c release --product hello-a >"$WORK/inc-3.log" 2>&1
    containerize "${args[@]}" >"$WORK/inc-4.log" 2>&1
    local log
    for log in inc-3 inc-4; do
        ! grep -q 'Compiling\|Linking' "$WORK/$log.log" || die "$log: the second build recompiled: $(grep -m3 'Compiling\|Linking' "$WORK/$log.log")"
    done
    grep -q 'Building for production' "$WORK/inc-4.log" || die "containerize showed no build progress"
    say "second swift build and second containerize: no Compiling, no Linking"
    cd "$ROOT"
}

# e2e_urlsession_dynamic_libc — FoundationNetworking (libcurl) cannot link fully static: with --link static
# the plugin says so in one line and touches nothing; without --link it picks dynamic-libc by itself
# (saying so), the image carries the shared libraries and the loader, and URLSession in it fetches from a
# loopback HTTP server.
e2e_urlsession_dynamic_libc() {
    step "URLSession client: static link explained, --link dynamic-libc runs"
    cd "$ROOT/Tests/Fixtures/URLSessionClient"
    rm -rf Dockerfile .dockerignore dist
    # A generated Dockerfile (marker line first), which a successful run would regenerate:
    printf '%s\nsentinel\n' "$("$(containertool_binary)" dockerfile --product x --stdout | head -n 1)" >Dockerfile
    mkdir -p dist && echo sentinel >dist/digest
    if containerize --link static >"$WORK/fetch-static.log" 2>&1; then die "the fully static URLSession build succeeded (no hint tested)"; fi
    grep -q "error: .*cannot be linked fully static: libcurl .*--link dynamic-libc" "$WORK/fetch-static.log" \
        || die "no one-line explanation: $(grep 'error:' "$WORK/fetch-static.log" | tail -2)"
    if containerize --link static --release --version 1.0.0 >"$WORK/fetch-release.log" 2>&1; then die "the static --release build succeeded"; fi
    [[ "$(cat Dockerfile)" == *sentinel* && "$(cat dist/digest)" == sentinel && -z "$(ls -A . | grep staging)" ]] \
        || die "a failed build touched the Dockerfile or dist/"
    say "failed builds left the Dockerfile and dist/ alone; the error: $(grep -o -m1 "'Fetch' cannot be linked fully static: [^;]*" "$WORK/fetch-static.log")"
    rm -rf Dockerfile dist

    # A test CA appended to the CA bundle (--ca-file), so the same image also speaks HTTPS to a loopback server.
    make_test_tls "$WORK/tls"
    # No --link: the plugin sees `import FoundationNetworking` and picks dynamic-libc before compiling, in one line.
    containerize --tag "containerize-e2e-fetch:test" --output "docker-archive:$WORK/fetch.tar" \
        --ca-file "$WORK/tls/ca.pem" >"$WORK/fetch.log" 2>&1 \
        || die "the automatic --link dynamic-libc build failed: $(tail -5 "$WORK/fetch.log")"
    grep -q "note: 'Fetch' imports FoundationNetworking (URLSession needs libcurl, in Sources/Fetch/main.swift), which cannot link fully static: building with --link dynamic-libc" "$WORK/fetch.log" \
        || die "the automatic link mode was not announced: $(grep -m2 'note:' "$WORK/fetch.log")"
    ! grep -q "undefined reference" "$WORK/fetch.log" || die "the automatic link mode still tried a static link first"
    say "no --link: FoundationNetworking seen before compiling, built with --link dynamic-libc"
    docker load -q -i "$WORK/fetch.tar" >/dev/null
    remember_image "containerize-e2e-fetch:test"
    local port tls_port said scheme
    port=$(free_port)
    tls_port=$(free_port)
    mkdir -p "$WORK/www" && echo "hello over loopback" >"$WORK/www/hello.txt"
    (cd "$WORK/www" && exec timeout 120 python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
    remember_pid $!
    serve_https "$WORK/www" "$tls_port" "$WORK/tls" &
    remember_pid $!
    for scheme in "http://127.0.0.1:$port" "https://127.0.0.1:$tls_port"; do
        wait_for_http "$scheme/hello.txt" 20 --cacert "$WORK/tls/ca.pem" || die "the loopback server $scheme did not start"
        said=$(timeout 60 docker run --rm --network host "containerize-e2e-fetch:test" "$scheme/hello.txt")
        [[ "$said" == $'200\nhello over loopback' ]] || die "URLSession in the image, $scheme, said: $said"
        say "URLSession in the scratch image, ${scheme%%:*}: $(head -1 <<<"$said") $(tail -1 <<<"$said")"
    done
    say "image: $(stat -c %s "$WORK/fetch.tar") bytes (static Swift runtime + the shared-library closure and loader)"
    grep -q "1 certificate from $WORK/tls/ca.pem" "$WORK/fetch.log" || die "the --ca-file certificate was not reported"
    expect_paths "$WORK/fetch.tar" /etc/ssl/certs/ca-certificates.crt
    # The CA bundle alone (auto: libcurl names /etc/ssl/certs) does not trust the test CA: --ca-file did.
    "$(containertool_binary)" build --executable .build/containerize-build-dynamic-libc/release/Fetch --bundle-shared-libraries \
        --tag containerize-e2e-fetch:public --output "docker-archive:$WORK/fetch-public.tar" >/dev/null 2>&1
    docker load -q -i "$WORK/fetch-public.tar" >/dev/null
    remember_image containerize-e2e-fetch:public
    said=$(timeout 60 docker run --rm --network host containerize-e2e-fetch:public "https://127.0.0.1:$tls_port/hello.txt" 2>&1) \
        && die "trusted the test CA without --ca-file: $said"
    grep -q "SSL certificate problem" <<<"$said" || die "expected a certificate error without --ca-file, got: $said"
    say "without --ca-file: a certificate error"

    # Released and pushed: the SBOM attached to the image (read back through the fallback tag) names the
    # libraries the image carries — libcurl, zlib, OpenSSL, glibc, libstdc++ — with dpkg's versions and purls.
    ensure_test_registry
    local ref=$REGISTRY/fetch-release:1.0.0 digest manifest blob sbom=$WORK/fetch-attached.spdx.json name
    containerize --release --version 1.0.0 --push "$ref" --dist "$WORK/fetch-dist" >"$WORK/fetch-release.out" 2>"$WORK/fetch-release.err" \
        || die "--release of the URLSession client failed: $(tail -5 "$WORK/fetch-release.err")"
    digest=$(tail -n 1 "$WORK/fetch-release.out")
    manifest=$(curl -sf -H "Accept: application/vnd.oci.image.index.v1+json" "http://$REGISTRY/v2/fetch-release/manifests/sha256-${digest#sha256:}" \
        | jq -er '.manifests[] | select(.artifactType == "application/spdx+json") | .digest') || die "no SBOM under the fallback tag sha256-${digest#sha256:}"
    blob=$(curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" "http://$REGISTRY/v2/fetch-release/manifests/$manifest" | jq -er '.layers[0].digest')
    curl -sf -o "$sbom" "http://$REGISTRY/v2/fetch-release/blobs/$blob" || die "the attached SBOM's blob is missing"
    for name in libcurl4 zlib1g libssl3 libc6 libstdc++6 libnghttp2-14; do
        expect_linked "$sbom" DYNAMIC_LINK "$name"
        grep -q "^pkg:deb/debian/${name//+/%2B}@" <<<"$(jq -r --arg name "$name" \
            '.packages[] | select(.name == $name) | .externalRefs[] | select(.referenceType == "purl") | .referenceLocator' "$sbom")" \
            || die "the attached SBOM gives $name no Debian purl"
    done
    grep -q '^swiftCore ' <<<"$(sbom_linked "$sbom" STATIC_LINK)" || die "the attached SBOM does not name the static Swift runtime"
    jq -e 'any(.packages[]; .name == "FoundationNetworking")' "$sbom" >/dev/null || die "the attached SBOM does not name FoundationNetworking"
    [[ "$(sbom_image_version "$sbom")" == "$digest" ]] || die "the attached SBOM is not about $digest"
    say "attached SBOM of the dynamic-libc image: $(sbom_linked "$sbom" DYNAMIC_LINK | wc -l) shared-library packages"
    cd "$ROOT"
}

# image_paths ARCHIVE — every path of a docker archive's merged file system (inspect --files --json), one a line.
image_paths() { "$(containertool_binary)" inspect "docker-archive:$1" --files --json | jq -r '.files[].path'; }

# expect_paths ARCHIVE PATH… — the image has each PATH.
expect_paths() {
    local paths path
    paths=$(image_paths "$1")
    for path in "${@:2}"; do grep -qxF "$path" <<<"$paths" || die "$1 has no $path"; done
    say "$1 has ${*:2}"
}

# make_test_tls DIR — a throwaway CA (DIR/ca.pem) and a server certificate for 127.0.0.1 (DIR/server.pem, .key).
make_test_tls() {
    local dir=$1
    mkdir -p "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 -subj "/CN=containerize e2e CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
        -out "$dir/server.pem" -days 2 -extfile "$dir/ext" 2>/dev/null
}

# serve_https DIR PORT TLS_DIR — serves DIR over HTTPS on 127.0.0.1:PORT for at most 300 s (run it with &).
serve_https() {
    exec timeout 300 python3 -c '
import functools, http.server, ssl, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[2])), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[3] + "/server.pem", sys.argv[3] + "/server.key")
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()' "$1" "$2" "$3" >/dev/null 2>&1
}

# e2e_fixture_release — `containerize --release` from a package that depends on the plugin: dist/ with
# the six files (provenance and attached.json included), a push, the digest as the last stdout line, summary paths that exist;
# signed (.sig) and the provenance and SBOM attested (.att), both verified by containertool verify.
e2e_fixture_release() {
    step "containerize --release in a fixture package, pushed to the loopback registry"
    ensure_test_registry
    cd "$ROOT/Tests/Fixtures/TwoProducts"
    local ref=$REGISTRY/fixture-release:1.0.0 dist=$WORK/fixture-dist last file path
    openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$WORK/release.key"
    openssl pkey -in "$WORK/release.key" -pubout -out "$WORK/release.pub"
    containerize --release --product hello-b --version 1.0.0 --push "$ref" --dist "$dist" --sign-key "$WORK/release.key" \
        >"$WORK/fixture-release.out" 2>"$WORK/fixture-release.err" || die "--release failed: $(tail -5 "$WORK/fixture-release.err")"
    last=$(cat "$WORK/fixture-release.out")
    [[ "$last" =~ ^sha256:[0-9a-f]{64}$ ]] || die "--release's standard output is not exactly the digest: '$last'"
    for file in hello-b.tar hello-b-oci.tar hello-b.spdx.json hello-b.provenance.json digest attached.json; do
        [[ -s "$dist/$file" ]] || die "--release did not write $dist/$file"
    done
    [[ "$(cat "$dist/digest")" == "$last" ]] || die "dist/digest differs from the printed digest"
    local checked
    checked=$(python3 "$ROOT/scripts/lib/validate-provenance.py" "$dist/hello-b.provenance.json" "${last#sha256:}") \
        || die "dist/hello-b.provenance.json is not valid SLSA provenance about $last"
    say "$checked"
    # The SBOM names what the static link pulled in (lld's trace): glibc with dpkg's version, the Swift
    # runtime; the image (at the released digest) is its root. Valid SPDX, NTIA-conformant.
    expect_linked "$dist/hello-b.spdx.json" STATIC_LINK libc6-dev
    grep -q '^swiftCore ' <<<"$(sbom_linked "$dist/hello-b.spdx.json" STATIC_LINK)" || die "dist/hello-b.spdx.json does not name the Swift runtime"
    [[ "$(sbom_image_version "$dist/hello-b.spdx.json")" == "$last" ]] || die "dist/hello-b.spdx.json is not about $last"
    validate_sbom "$dist/hello-b.spdx.json"
    [[ "$(skopeo_digest "docker://$ref")" == "$last" ]] || die "the registry holds another digest"
    # containertool verify: the tag resolves to the released digest, whose cosign signature (.sig) and
    # DSSE attestations (.att: the provenance and the SBOM) the release key verifies; the SBOM and the
    # provenance are attached as OCI 1.1 referrers (docker-registry: the fallback tag sha256-<hex>).
    local tool sigtag="sha256-${last#sha256:}.sig" atttag="sha256-${last#sha256:}.att" item
    tool=$(containertool_binary)
    "$tool" verify "$ref" --key "$WORK/release.pub" --plain-http --json >"$WORK/verify.json" 2>/dev/null || die "containertool verify refuses the release key"
    jq -e --arg image "$REGISTRY/fixture-release@$last" --arg att "$atttag" '.image == $image and .verified == 1
        and (.attestationTag | endswith(":" + $att)) and ([.attestations[] | select(.verdict == "verified") | .predicateType] | sort) == ["https://slsa.dev/provenance/v1", "https://spdx.dev/Document"]
        and ([.referrers[].artifactType] | sort) == '"$REFERRER_TYPES" "$WORK/verify.json" >/dev/null \
        || die "containertool verify --json does not verify the signature and both attestations, or lacks a referrer: $(cat "$WORK/verify.json")"
    say "containertool verify $ref: signature, provenance and SBOM attestations verified; SBOM and provenance attached"
    # dist/attached.json and the summary name each referrer as the registry lists it, the signature and the attestations.
    jq -e --slurpfile verify "$WORK/verify.json" --arg sig "$sigtag" --arg att "$atttag" 'length == 1
        and ([.[0].referrers[].digest] | sort) == ([$verify[0].referrers[].digest] | sort) and (.[0].signature.signatureTag | endswith(":" + $sig))
        and ([.[0].attestations[].predicateType] | sort) == ["https://slsa.dev/provenance/v1", "https://spdx.dev/Document"]
        and all(.[0].attestations[]; .attestationTag | endswith(":" + $att))' "$dist/attached.json" >/dev/null \
        || die "dist/attached.json does not list what was attached: $(cat "$dist/attached.json")"
    for item in $(jq -r '.[0].referrers[].digest, .[0].attestations[-1].attestationManifest' "$dist/attached.json") "$sigtag"; do
        grep -qF "$item" "$WORK/fixture-release.err" || die "the summary does not name $item"
    done
    # The summary is on standard error, each line as SwiftPM shows plugin progress: "[ContainerizePlugin] …".
    sed 's/^\[ContainerizePlugin\] //' "$WORK/fixture-release.err" >"$WORK/fixture-release.log"
    grep -q "^Image   $REGISTRY/fixture-release@$last" "$WORK/fixture-release.log" || die "the summary does not name the pushed reference"
    local paths=0
    while read -r path; do
        [[ -e "$path" ]] || die "the summary names $path, which does not exist"
        paths=$((paths + 1))
    done < <(sed -n 's/^  [a-z-]*: \(\/[^ ]*\) (.*/\1/p; s/^  \(\/[^ ]*\)$/\1/p' "$WORK/fixture-release.log")
    (( paths == 6 )) || die "the summary named $paths paths in dist/, expected 6"
    [[ -z "$(ls -A "$WORK" | grep staging)" ]] || die "a staging folder was left beside dist/"
    say "dist/ has the six files, $ref is at $last, every summary path exists"
    cd "$ROOT"
}

# ensure_test_registry — a real registry (Debian's docker-registry) on 127.0.0.1, started once per run
# through scripts/start-registry.sh; sets REGISTRY. Every function that pushes calls it.
ensure_test_registry() {
    [[ -n "${REGISTRY:-}" ]] && return 0
    local port
    port=$(free_port)
    remember_pid "$("$ROOT/scripts/start-registry.sh" --port "$port" --dir "$WORK/registry")"
    REGISTRY=127.0.0.1:$port
    say "registry on $REGISTRY"
}

e2e_registry_push() {
    step "push to a real OCI registry"
    ensure_test_registry
    local ref=$REGISTRY/hello:1.0.0 digest
    containerize --no-dockerfile --push "$ref" --output "oci-layout:$WORK/pushed-oci" | tee "$WORK/push1.log"
    digest=$(skopeo_digest "docker://$ref")
    grep -q "$digest" "$WORK/push1.log" || die "the registry holds $digest, which the push did not print"
    say "skopeo sees $ref at $digest, the digest the push printed"
    # A plain push and an OCI layout get the SBOM and the provenance as referrers, the image unchanged.
    check_fallback_referrers hello "$digest"
    check_layout_referrers "$WORK/pushed-oci" "$digest"
    [[ "$(skopeo_digest "oci:$WORK/pushed-oci:latest")" == "$digest" ]] || die "the layout's tagged image is not $digest"
    grep -q "attached to $REGISTRY/hello: application/spdx+json sha256:.* (fallback tag)" "$WORK/push1.log" || die "the summary does not list the SBOM attached to the push"
    grep -q "attached to oci-layout:$WORK/pushed-oci: application/vnd.in-toto+json sha256:.* (index.json)" "$WORK/push1.log" || die "the summary does not list the provenance in the layout"
    cp "$WORK/pushed-oci/index.json" "$WORK/pushed-oci-index.json"
    containerize --no-dockerfile --push "$ref" --output "oci-layout:$WORK/pushed-oci" 2>&1 | tee "$WORK/push2.log"
    grep -Eiq 'uploaded 0 blobs|0 blobs uploaded' "$WORK/push2.log" || die "the second push uploaded blobs again"
    say "second push uploaded no blob"
    cmp -s "$WORK/pushed-oci/index.json" "$WORK/pushed-oci-index.json" || die "the second build changed the layout's index.json (the same SBOM and provenance should list once)"
    check_fallback_referrers hello "$digest"
    say "second build: the same referrers, listed once"
    # --no-attach (both off): a new layout gets no referrers.
    containerize --no-dockerfile --no-attach --output "oci-layout:$WORK/plain-oci" >/dev/null
    [[ "$(jq '.manifests | length' "$WORK/plain-oci/index.json")" == 1 ]] || die "--no-attach still attached to the layout"
    docker pull "$ref"
    remember_image "$ref"
    run_and_check_container "$ref"
}

e2e_release_script() {
    step "scripts/release.sh --push (the pipeline step)"
    ensure_test_registry
    local ref=$REGISTRY/hello-release:1.0.0 last digest
    local dist=$WORK/dist  # (a developer's own dist/ stays as it is)
    DIST_DIR=$dist scripts/release.sh --skip-tests --version 1.0.0 --push "$ref" | tee "$WORK/release.log"
    last=$(tail -n 1 "$WORK/release.log")
    [[ "$last" =~ ^sha256:[0-9a-f]{64}$ ]] || die "release.sh did not end with the digest (last line: '$last')"
    digest=$(cat "$dist/digest")
    [[ "$digest" == "$last" ]] || die "dist/digest ($digest) differs from the printed digest ($last)"
    ls -l "$dist"
    validate_sbom "$dist/HelloWeb.spdx.json"
    [[ "$(skopeo_digest "docker://$ref")" == "$digest" ]] || die "the registry's digest for $ref is not the one release.sh printed"
    say "release.sh pushed $ref at $digest"
}

e2e_dockerfile_builds() {
    step "the rendered Dockerfile builds with docker build"
    local builder
    builder=$(local_builder_image) || return 0
    containerize --dockerfile-only
    docker build --network host -t helloweb:dockerfile .
    remember_image helloweb:dockerfile
    check_image_config helloweb:dockerfile 10000000
    run_and_check_container helloweb:dockerfile

    # The link-trace stage (cached: the same build): the trace and the builder's dpkg answers, exported
    # as the classic builder allows (create + cp), then an SBOM that names the builder's packages.
    local trace=$WORK/dockerfile-link-trace sbom=$WORK/dockerfile.spdx.json
    docker build --network host -q --target link-trace -t helloweb:link-trace . >/dev/null || die "docker build --target link-trace failed"
    remember_image helloweb:link-trace
    rm -rf "$trace" && mkdir -p "$trace"
    image_copy helloweb:link-trace / "$trace"
    "$(containertool_binary)" sbom --product HelloWeb --version 1.0.0 --link-trace "$trace/HelloWeb" --build-directory /src/.build --output "$sbom" \
        || die "containertool sbom on the Dockerfile's link trace failed"
    expect_linked "$sbom" STATIC_LINK libc6-dev "$(docker run --rm --network host --entrypoint dpkg-query "$builder" -W -f '${Version}' libc6-dev)"
    expect_linked "$sbom" STATIC_LINK swiftCore "$(swift --version 2>&1 | sed -n 's/.*Swift version \([0-9.]*\).*/\1/p' | head -1)"
    jq -e 'all(.packages[]; .name | startswith("/") | not)' "$sbom" >/dev/null || die "$sbom names a package by a path"
    pyspdxtools -i "$sbom" >/dev/null || die "pyspdxtools refuses the Dockerfile build's SBOM"
}
