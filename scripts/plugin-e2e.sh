#!/usr/bin/env bash
# End-to-end checks of `swift package containerize`, for the test script CI runs:
#   1. on this package: HelloWeb, standard and --embedded, loaded into Docker, answers "Hello world!"
#      over HTTP (docker run --network host); the embedded image is under 1 MB;
#   2. on Tests/Fixtures/TwoProducts: --product picks the right binary; no --product fails with the
#      list; a library product, an unknown product, an unknown option and a missing permission flag
#      each fail with one clear error and write nothing;
#   3. the rendered Dockerfile builds with `docker build` and the result answers "Hello world!",
#      when a builder image named swift:<X.Y>-bookworm exists locally (scripts/make-builder-image.sh
#      makes one); otherwise that step says SKIPPED.
# Needs docker and curl. Images and containers it makes are named containerize-e2e-*.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
fixture="$root/Tests/Fixtures/TwoProducts"
containerize=(swift package --allow-writing-to-package-directory containerize)
failures=0
containers=()
trap 'for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done' EXIT

pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# expect_http_hello IMAGE: runs the image on a free port and waits up to 10 s for "Hello world!".
expect_http_hello() {
    local image="$1" port name body=""
    port="$(free_port)"
    name="containerize-e2e-$RANDOM"
    containers+=("$name")
    docker run -d --rm --name "$name" --network host -e "PORT=$port" "$image" >/dev/null
    for _ in $(seq 1 50); do
        body="$(curl -fsS "http://127.0.0.1:$port/" 2>/dev/null || true)"
        [[ "$body" == "Hello world!"* ]] && break
        sleep 0.2
    done
    if [[ "$body" == "Hello world!"* ]]; then pass "$image answers Hello world! on port $port"
    else fail "$image did not answer Hello world! on port $port (got: '${body}')"; docker logs "$name" 2>&1 | tail -5 || true; fi
    docker rm -f "$name" >/dev/null 2>&1 || true
}

# expect_failure DESCRIPTION EXPECTED_TEXT COMMAND...: the command must exit non-zero and print EXPECTED_TEXT.
expect_failure() {
    local description="$1" expected="$2" output
    shift 2
    if output="$("$@" 2>&1)"; then fail "$description: exited 0"; return; fi
    if grep -qF -- "$expected" <<<"$output"; then pass "$description"
    else fail "$description: output lacks '$expected':"; tail -5 <<<"$output"; fi
}

echo "== 1. swift package containerize on this package"
cd "$root"
for mode in standard embedded; do
    tag="containerize-e2e-helloweb-$mode:latest"
    extra=()
    [[ "$mode" == embedded ]] && extra=(--embedded)
    if "${containerize[@]}" --product HelloWeb --no-dockerfile "${extra[@]}" --tag "$tag" \
        --output "docker-archive:.build/containerize/HelloWeb-$mode.tar" >"/tmp/containerize-e2e-$mode.log" 2>&1; then
        pass "containerize HelloWeb ($mode)"
        grep -E '^(digest|size)' "/tmp/containerize-e2e-$mode.log" | sed 's/^/      /'
        docker load -q -i ".build/containerize/HelloWeb-$mode.tar" >/dev/null
        expect_http_hello "$tag"
        size="$(docker image inspect --format '{{.Size}}' "$tag")"
        if [[ "$mode" == embedded ]]; then
            if (( size < 1000000 )); then pass "embedded image is $size bytes (< 1 MB)"; else fail "embedded image is $size bytes (>= 1 MB)"; fi
        else
            echo "      standard image: $size bytes"
        fi
    else
        fail "containerize HelloWeb ($mode)"; tail -20 "/tmp/containerize-e2e-$mode.log"
    fi
done

echo "== 2. the fixture package (depends on this one by path)"
cd "$fixture"
rm -f Dockerfile .dockerignore
for product in hello-a hello-b; do
    if "${containerize[@]}" --product "$product" --no-dockerfile --tag "containerize-e2e-$product:latest" >/dev/null 2>&1; then
        docker load -q -i ".build/containerize/$product.tar" >/dev/null
        said="$(docker run --rm --network host "containerize-e2e-$product:latest")"
        if [[ "$said" == "Hello from $product!" ]]; then pass "--product $product runs /$product"; else fail "--product $product printed '$said'"; fi
    else
        fail "containerize --product $product"
    fi
done
expect_failure "no --product with two executables lists them" "hello-a" "${containerize[@]}" --dockerfile-only
expect_failure "no --product lists hello-b too" "hello-b" "${containerize[@]}" --dockerfile-only
expect_failure "a library product is refused" "not an executable product" "${containerize[@]}" --product Greeting
expect_failure "an unknown product is refused" "no product named 'nope'" "${containerize[@]}" --product nope
expect_failure "an unknown option is refused" "unknown option '--bogus'" "${containerize[@]}" --bogus
expect_failure "without the permission flag SwiftPM refuses" "allow-writing-to-package-directory" \
    swift package containerize --product hello-b --dockerfile-only </dev/null
if [[ ! -e Dockerfile && ! -e .dockerignore ]]; then pass "the failures wrote no Dockerfile or .dockerignore"
else fail "a failure left a Dockerfile or .dockerignore behind"; fi
echo "FROM scratch" >Dockerfile
expect_failure "a hand-written Dockerfile is kept without --force" "--force" "${containerize[@]}" --product hello-b --dockerfile-only
if [[ "$(cat Dockerfile)" == "FROM scratch" ]]; then pass "the hand-written Dockerfile is untouched"; else fail "the hand-written Dockerfile changed"; fi
rm -f Dockerfile .dockerignore

echo "== 3. docker build of the rendered Dockerfile"
cd "$root"
swift_version="$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9]*\.[0-9]*\).*/\1/p' | head -1)"
builder="swift:${swift_version}-bookworm"
if docker image inspect "$builder" >/dev/null 2>&1; then
    "${containerize[@]}" --product HelloWeb --dockerfile-only >/dev/null 2>&1
    if docker build --network host -q -t containerize-e2e-dockerfile:latest . >/tmp/containerize-e2e-docker-build.log 2>&1; then
        pass "docker build of the rendered Dockerfile on $builder"
        expect_http_hello containerize-e2e-dockerfile:latest
    else
        fail "docker build of the rendered Dockerfile"; tail -20 /tmp/containerize-e2e-docker-build.log
    fi
else
    echo "SKIPPED docker build of the rendered Dockerfile: no local image $builder (make one with scripts/make-builder-image.sh)"
fi

if (( failures > 0 )); then echo "$failures check(s) failed"; exit 1; fi
echo "all plugin end-to-end checks passed"
