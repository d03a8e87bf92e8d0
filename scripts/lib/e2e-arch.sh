# End-to-end checks for other CPUs (issue 15, first layer): HelloWeb compiled as Embedded Swift by SwiftPM
# for linux/arm64 and linux/amd64 through the local Swift SDKs of scripts/make-swift-sdk.sh, the socket
# behaviour suite against the arm64 binary under qemu-user, and a scratch arm64 image that `docker run
# --platform linux/arm64` runs. Expects common.sh, e2e.sh, $ROOT and $WORK.
#
# Running an arm64 binary here needs qemu-user: transparently through binfmt_misc (what `docker run`
# needs: the qemu-aarch64 entry with the F flag), else `qemu-aarch64-static BINARY` for the socket suite.
# When neither works, those checks say SKIPPED with the reason (even with CI=true: the kernel decides
# whether binfmt_misc can be used) and everything else still runs.

ARCH_SDKS=$ROOT/.build-sdk

# arm64_binfmt_problem — prints why the kernel cannot run arm64 binaries transparently (for this process
# and inside containers); prints nothing when it can.
arm64_binfmt_problem() {
    local dir=/proc/sys/fs/binfmt_misc entry
    [[ "$(uname -m)" != aarch64 ]] || return 0
    entry=$dir/qemu-aarch64
    if [[ ! -e $dir/status ]]; then
        say "binfmt_misc is not mounted (as root: mount -t binfmt_misc binfmt_misc $dir; update-binfmts --enable qemu-aarch64)"
    elif [[ "$(cat $dir/status)" != enabled ]]; then
        say "binfmt_misc is disabled (as root: echo 1 > $dir/status)"
    elif [[ ! -e $entry ]]; then
        say "no qemu-aarch64 entry in binfmt_misc (apt-get install qemu-user-static binfmt-support; update-binfmts --enable qemu-aarch64)"
    elif [[ "$(head -n 1 $entry)" != enabled ]]; then
        say "the qemu-aarch64 binfmt_misc entry is disabled (update-binfmts --enable qemu-aarch64)"
    elif ! grep -q '^flags:.*F' $entry; then
        say "the qemu-aarch64 binfmt_misc entry lacks the F flag, so containers cannot use its interpreter (reinstall qemu-user-static)"
    fi
}

# build_embedded_for PLATFORM SCRATCH — builds HelloWeb for PLATFORM with the local Swift SDK in the
# scratch folder SCRATCH (never .build: `swift test` may hold its lock); prints the binary's path.
build_embedded_for() {
    local platform=$1 scratch=$2 sdk="embedded-${1//\//-}"
    swift build -c release --product HelloWeb -Xlinker -s \
        --swift-sdks-path "$ARCH_SDKS" --swift-sdk "$sdk" --scratch-path "$scratch" >&2
    printf '%s/HelloWeb' "$(swift build -c release --swift-sdks-path "$ARCH_SDKS" --swift-sdk "$sdk" \
        --scratch-path "$scratch" --show-bin-path)"
}

# expect_file_type BINARY TEXT… — `file` must say every TEXT about BINARY.
expect_file_type() {
    local binary=$1 description text
    shift
    description=$(file -b "$binary")
    for text in "$@"; do
        grep -qF -- "$text" <<<"$description" || die "$binary: file says '$description', expected '$text'"
    done
    say "file: $description"
}

e2e_cross_platform_embedded() {
    step "Embedded HelloWeb cross-compiled by SwiftPM for linux/arm64 and linux/amd64 (local Swift SDKs)"
    require_tools file qemu-aarch64-static || { say "SKIPPED: cross-platform checks (install the tools above; see .ci/run)"; return 0; }
    local sdk_log=$WORK/make-swift-sdk.log
    if ! "$ROOT/scripts/make-swift-sdk.sh" --output "$ARCH_SDKS" >"$sdk_log" 2>&1; then
        [[ "${CI:-}" != true ]] || die "scripts/make-swift-sdk.sh failed: $(cat "$sdk_log")"
        say "SKIPPED: cross-platform checks: $(cat "$sdk_log")"
        return 0
    fi
    cat "$sdk_log"

    local arm64 amd64
    arm64=$(build_embedded_for linux/arm64 "$ROOT/.build-arm64")
    expect_file_type "$arm64" "ARM aarch64" "statically linked"
    amd64=$(build_embedded_for linux/amd64 "$ROOT/.build-amd64")
    expect_file_type "$amd64" "x86-64" "statically linked"
    say "Embedded HelloWeb, stripped: linux/arm64 $(stat -c %s "$arm64") bytes, linux/amd64 $(stat -c %s "$amd64") bytes"
    if [[ "$(uname -m)" == x86_64 ]]; then
        check_binary_answers "$amd64"
    fi

    step "socket behaviour suite against the linux/arm64 binary under qemu-user"
    local problem under_test
    problem=$(arm64_binfmt_problem)
    if [[ -z "$problem" ]]; then
        under_test=$arm64
        say "binfmt_misc runs it transparently"
    else
        # Without binfmt_misc, a wrapper that keeps the PID (exec) so signal tests still reach the server.
        under_test=$WORK/HelloWeb-arm64-qemu
        printf '#!/bin/sh\nexec qemu-aarch64-static %q "$@"\n' "$arm64" >"$under_test"
        chmod +x "$under_test"
        say "binfmt_misc cannot be used ($problem); the suite runs the binary through qemu-aarch64-static"
    fi
    check_binary_answers "$under_test"
    HELLOWEB_BINARY="$under_test" swift test --skip-build --filter HTTPServerTests

    local containertool image=arch-e2e-helloweb:arm64 archive=$WORK/helloweb-arm64.tar platform
    containertool=$(containertool_binary)
    check_two_platform_index "$containertool" "$amd64" "$arm64" "$problem"
    check_plugin_two_platforms

    step "single-platform linux/arm64 scratch image (containertool build) under docker run --platform linux/arm64"
    "$containertool" build --executable "$arm64" --tag "$image" --output "docker-archive:$archive"
    "$containertool" inspect "docker-archive:$archive" --json >"$WORK/arm64-inspect.json"
    [[ "$(json_field "$WORK/arm64-inspect.json" architecture)" == arm64 ]] \
        || die "containertool did not read arm64 from the ELF header: $(cat "$WORK/arm64-inspect.json")"
    say "image config: linux/arm64, compressed $(json_field "$WORK/arm64-inspect.json" compressedSize) bytes, uncompressed $(json_field "$WORK/arm64-inspect.json" uncompressedSize) bytes"
    if [[ -n "$problem" ]]; then
        say "SKIPPED: docker run --platform linux/arm64: $problem"
        return 0
    fi
    docker load -q -i "$archive" >/dev/null
    remember_image "$image"
    platform=$(docker image inspect -f '{{.Os}}/{{.Architecture}}/{{.Variant}}' "$image")
    [[ "$platform" == linux/arm64/v8 ]] || die "docker sees $image as $platform, expected linux/arm64/v8"
    check_image_config "$image" 1000000
    run_and_check_container "$image" --platform linux/arm64
}

# check_binary_answers BINARY — starts BINARY on a free loopback port, expects `Hello world!`, stops it.
check_binary_answers() {
    local binary=$1 port pid body
    port=$(free_port)
    "$binary" --host 127.0.0.1 --port "$port" --threads 1 >"$WORK/answers.log" 2>&1 &
    pid=$!
    if ! wait_for_http "http://127.0.0.1:$port/"; then
        kill "$pid" 2>/dev/null || true
        die "$binary: nothing answers on port $port ($(cat "$WORK/answers.log"))"
    fi
    body=$(curl -s --max-time 5 "http://127.0.0.1:$port/") || true
    kill "$pid"
    wait "$pid" || die "$binary: exit status $? after SIGTERM (expected 0)"
    [[ "$body" == "Hello world!" ]] || die "$binary answered '$body', expected 'Hello world!'"
    say "$binary answered: $body"
}

# check_two_platform_index CONTAINERTOOL AMD64 ARM64 PROBLEM — one image index over both Embedded HelloWeb
# binaries, pushed to the real registry, answers under `docker run --platform` on each platform (arm64
# only when PROBLEM, the binfmt_misc problem, is empty). What skopeo sees of such an index, its
# reproducibility and the refusal of a mislabelled binary: MultiPlatformBuildTests.
check_two_platform_index() {
    local containertool=$1 amd64=$2 arm64=$3 problem=$4 ref
    step "two-platform image index (linux/amd64 + linux/arm64) pushed to a real registry"
    ensure_test_registry
    ref=$REGISTRY/arch-e2e/helloweb:multi
    "$containertool" build --executable "linux/amd64=$amd64" --executable "linux/arm64=$arm64" \
        --name HelloWeb --tag helloweb:multi --expose 8080/tcp --output "registry:$ref" --json >"$WORK/multi.json"
    say "index $(json_field "$WORK/multi.json" indexDigest): $(jq -r '[.platforms[] | "\(.platform) (\(.size) bytes)"] | join(", ")' "$WORK/multi.json")"
    remember_image "$ref"
    run_and_check_container "$ref" --platform linux/amd64 --pull always
    remember_image "$(docker image inspect -f '{{.Id}}' "$ref")"  # the next pull re-tags $ref: remove this one by ID
    if [[ -n "$problem" ]]; then
        say "SKIPPED: docker run --platform linux/arm64 of the index: $problem"
    else
        run_and_check_container "$ref" --platform linux/arm64 --pull always
    fi
}

# check_plugin_two_platforms — `swift package containerize --embedded --platform linux/amd64,linux/arm64
# --push REF`: the plugin builds each platform (making the local arm64 SDK in .build/containerize-sdk when
# missing) and pushes one index; its summary lists both platforms and the index digest.
check_plugin_two_platforms() {
    local ref=$REGISTRY/arch-e2e/helloweb:plugin index
    step "swift package containerize --embedded --platform linux/amd64,linux/arm64 --push"
    (cd "$ROOT" && swift_package --allow-writing-to-package-directory --allow-network-connections all containerize \
        --product HelloWeb --embedded --platform linux/amd64,linux/arm64 --no-dockerfile --push "$ref" \
        --output "oci-layout:$WORK/plugin-multi") >"$WORK/plugin-multi.log" 2>&1 || die "the plugin failed: $(tail -n 5 "$WORK/plugin-multi.log")"
    index=$(sed -n 's/^Image index \(sha256:[0-9a-f]*\),.*/\1/p' "$WORK/plugin-multi.log")
    [[ -n "$index" ]] || die "the plugin's summary names no image index: $(tail -n 20 "$WORK/plugin-multi.log")"
    grep -q '^  linux/amd64: sha256:' "$WORK/plugin-multi.log" && grep -q '^  linux/arm64/v8: sha256:' "$WORK/plugin-multi.log" \
        || die "the plugin's summary lacks a platform: $(tail -n 20 "$WORK/plugin-multi.log")"
    [[ "sha256:$(skopeo inspect --raw --tls-verify=false "docker://$ref" | sha256sum | cut -d' ' -f1)" == "$index" ]] \
        || die "the registry's index for $ref is not the plugin's $index"
    say "plugin: $(grep -E '^Image index|^  linux/' "$WORK/plugin-multi.log" | tr -s ' ' | paste -sd';')"
}
