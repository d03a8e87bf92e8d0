# End-to-end checks for real Foundation apps in a scratch image (issue #10), sourced by scripts/test.sh
# after e2e.sh: time-zone data, /tmp and the home folder, Bundle.module resource bundles, a CA bundle
# with a test CA for HTTPS, and the rendered Dockerfile building the same image. Fixture:
# Tests/Fixtures/FoundationApps (toolchain only). Expects common.sh, e2e.sh, $ROOT and $WORK.

APPS_FIXTURE=$ROOT/Tests/Fixtures/FoundationApps

# apps_containertool ARG… — this checkout's containertool (scripts/test.sh built it).
apps_containertool() {
    "$ROOT/.build/debug/containertool" "$@"
}

# apps_extract ARCHIVE PATH DEST — copies one file out of a docker archive's layers.
apps_extract() {
    python3 - "$@" <<'PY'
import io, json, sys, tarfile
archive, wanted, dest = sys.argv[1], sys.argv[2].lstrip("/"), sys.argv[3]
outer = tarfile.open(archive)
for layer in json.load(outer.extractfile("manifest.json"))[0]["Layers"]:
    inner = tarfile.open(fileobj=io.BytesIO(outer.extractfile(layer).read()))
    for member in inner.getmembers():
        if member.name.lstrip("./") == wanted and member.isfile():
            open(dest, "wb").write(inner.extractfile(member).read())
            sys.exit(0)
sys.exit(f"{wanted} not in {archive}")
PY
    chmod +x "$3"
}

# apps_unpack ARCHIVE DIR — the image's files (all layers) into DIR, e.g. a binary with its resource bundles.
apps_unpack() {
    rm -rf "$2"
    mkdir -p "$2"
    python3 - "$@" <<'PY'
import io, json, sys, tarfile
outer = tarfile.open(sys.argv[1])
for layer in json.load(outer.extractfile("manifest.json"))[0]["Layers"]:
    tarfile.open(fileobj=io.BytesIO(outer.extractfile(layer).read())).extractall(sys.argv[2], filter="tar")
PY
}

# apps_compare_images FIRST.tar SECOND.tar [EXEMPT,…] — the same paths, kinds, modes, owners, symlink
# targets and contents (except the EXEMPT paths' contents, and tzdata's, which come from the host in
# one and from the builder image in the other), and the same config, as `containertool inspect --diff`
# sees them. Docker adds its default PATH to every image it builds; that one Env entry is ignored.
apps_compare_images() {
    apps_containertool inspect "docker-archive:$1" --diff "docker-archive:$2" --json >"$WORK/image-diff.json" \
        || die "containertool inspect --diff $1 $2 failed"
    python3 - "$WORK/image-diff.json" "${3:-}" <<'PY'
import json, sys
report, exempt = json.load(open(sys.argv[1])), set(filter(None, sys.argv[2].split(",")))
zones, default_path = ("/usr/share/zoneinfo/America/New_York", "/usr/share/zoneinfo/Etc/UTC"), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
def side(text):  # a config field as inspect prints it ("-" when absent); empty is absent, Docker's PATH is not ours
    value = None if text == "-" else json.loads(text)
    if isinstance(value, list): value = [e for e in value if e != default_path]
    return value or None
problems = []
for d in report["differences"]:
    path, change, details = d["path"], d["change"], d["details"]
    tzdata = path.startswith("/usr/share/zoneinfo/")
    if path.startswith("config."):
        if side(details[0].split(" → ")[0]) != side(details[0].split(" → ")[1]): problems.append(f"{path}: {details[0]}")
    elif change != "changed":
        if not tzdata or path in zones: problems.append(f"{path}: only in the {'second' if change == 'added' else 'first'} image")
    elif not ((path in exempt or tzdata) and all(x.startswith("contents:") for x in details)):
        problems.append(f"{path}: {'; '.join(details)}")
print(f"compared the two images' files and config: {len(report['differences'])} raw differences, {len(problems)} that count")
for problem in problems: print("  differs: " + problem)
sys.exit(1 if problems else 0)
PY
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
        --output "docker-archive:$WORK/apps-foundation-tool.tar" 2>&1 | tee "$WORK/apps-foundation-tool.log"
    grep -q "add-on tzdata /usr/share/zoneinfo" "$WORK/apps-foundation-tool.log" || die "the build did not report the tzdata add-on"
    apps_load "$WORK/apps-foundation-tool.tar" apps-foundation-tool:plugin
    apps_expect_output apps-foundation-tool:plugin "$APPS_FOUNDATION_OUTPUT"
    local said
    said=$(docker run --rm --network host -e TZ=Europe/Paris apps-foundation-tool:plugin)
    grep -qx "current time zone: Europe/Paris" <<<"$said" || die "TZ=Europe/Paris did not win over /etc/localtime: $said"
    say "TZ in the environment wins over the image's UTC /etc/localtime"

    # The same binary without the add-on: Foundation traps (exit 132) — the reason it is on by default.
    apps_extract "$WORK/apps-foundation-tool.tar" /foundation-tool "$WORK/foundation-tool"
    apps_containertool build --executable "$WORK/foundation-tool" --no-tzdata --tag apps-foundation-tool:bare \
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
        --output "docker-archive:$WORK/apps-resource-tool.tar" 2>&1 | tee "$WORK/apps-resource-tool.log"
    for bundle in FoundationApps_ResourceTool.resources FoundationApps_Assets.resources; do
        grep -q "add-on resource-bundle /$bundle" "$WORK/apps-resource-tool.log" || die "the build did not list $bundle"
    done
    grep -q "FoundationApps_HTTPSClient\|add-on resource-bundle /FoundationApps_FoundationTool" "$WORK/apps-resource-tool.log" \
        && die "a bundle the binary does not name was copied"
    apps_load "$WORK/apps-resource-tool.tar" apps-resource-tool:plugin
    apps_expect_output apps-resource-tool:plugin "$APPS_RESOURCE_OUTPUT"

    # The plugin's binary with its bundles beside it, as in the build folder.
    apps_unpack "$WORK/apps-resource-tool.tar" "$WORK/apps-resource-tool-files"
    apps_containertool build --executable "$WORK/apps-resource-tool-files/resource-tool" --no-resource-bundles --no-tzdata \
        --tag apps-resource-tool:bare --output "docker-archive:$WORK/apps-resource-tool-bare.tar" >/dev/null
    apps_load "$WORK/apps-resource-tool-bare.tar" apps-resource-tool:bare
    docker run --rm --network host apps-resource-tool:bare >/dev/null 2>&1 && die "resource-tool ran without its bundles"
    say "without the bundles it fails, as issue #10 reported"
    say "size: resource-tool $(apps_image_size apps-resource-tool:plugin) bytes with bundles and tzdata, $(apps_image_size apps-resource-tool:bare) without"
    cd "$ROOT"
}

# apps_make_test_ca DIR — a test CA and a server certificate for 127.0.0.1 signed by it (openssl).
apps_make_test_ca() {
    local dir=$1
    mkdir -p "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 \
        -subj "/CN=containerize e2e test CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/ext.cnf"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
        -out "$dir/server.pem" -days 2 -extfile "$dir/ext.cnf" 2>/dev/null
}

# apps_start_tls_server DIR — an HTTPS server on 127.0.0.1 (stops by itself after 5 minutes); sets TLS_PORT.
apps_start_tls_server() {
    local dir=$1
    mkdir -p "$dir/www"
    printf 'hello over TLS' >"$dir/www/index.txt"
    TLS_PORT=$(free_port)
    python3 - "$TLS_PORT" "$dir" >"$dir/server.log" 2>&1 <<'PY' &
import functools, http.server, ssl, sys, time
port, folder = int(sys.argv[1]), sys.argv[2]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=folder + "/www")
server = http.server.HTTPServer(("127.0.0.1", port), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(folder + "/server.pem", folder + "/server.key")
server.socket = context.wrap_socket(server.socket, server_side=True)
server.timeout = 1
deadline = time.time() + 300
while time.time() < deadline:
    server.handle_request()
PY
    remember_pid $!
    local i
    for ((i = 0; i < 100; i++)); do
        curl -s -o /dev/null --cacert "$dir/ca.pem" "https://127.0.0.1:$TLS_PORT/index.txt" && return 0
        sleep 0.1
    done
    die "the loopback TLS server did not start ($(tail -3 "$dir/server.log"))"
}

# FoundationNetworking needs libcurl, which has no static archive here, so this client is built by the
# plugin with --link dynamic-libc (static Swift runtime, dynamic glibc/libcurl, the shared-library
# closure bundled) and trusts the test CA through --ca-file.
e2e_apps_https_client() {
    step "an HTTPS client (URLSession) in scratch trusting a test CA through --ca-file"
    require_tools openssl || { say "SKIPPED: no openssl to make the test CA"; return 0; }
    apps_make_test_ca "$WORK/apps-tls"
    apps_start_tls_server "$WORK/apps-tls"
    cd "$APPS_FIXTURE"
    local binary=$APPS_FIXTURE/.build/containerize-build-dynamic-libc/release/https-client url="https://127.0.0.1:$TLS_PORT/index.txt"
    containerize --product https-client --link dynamic-libc --no-dockerfile --ca-file "$WORK/apps-tls/ca.pem" \
        --tag apps-https-client:ca --output "docker-archive:$WORK/apps-https-client.tar" 2>&1 | tee "$WORK/apps-https.log"
    [[ -x "$binary" ]] || die "the plugin's dynamic-libc build is not at $binary"
    grep -q "add-on ca-certificates /etc/ssl/certs/ca-certificates.crt" "$WORK/apps-https.log" || die "no CA bundle add-on reported"
    grep -q "1 certificate from $WORK/apps-tls/ca.pem" "$WORK/apps-https.log" || die "the --ca-file certificate was not reported"
    apps_load "$WORK/apps-https-client.tar" apps-https-client:ca
    apps_expect_output apps-https-client:ca "200 hello over TLS" "$url"

    # The CA bundle alone (auto: libcurl names /etc/ssl/certs) does not trust the test CA: proves --ca-file did.
    apps_containertool build --executable "$binary" --bundle-shared-libraries \
        --tag apps-https-client:public --output "docker-archive:$WORK/apps-https-client-public.tar" >/dev/null
    apps_load "$WORK/apps-https-client-public.tar" apps-https-client:public
    local said
    said=$(docker run --rm --network host apps-https-client:public "$url") && die "trusted the test CA without --ca-file: $said"
    grep -qi "certificate" <<<"$said" || die "expected a certificate error, got: $said"
    say "without --ca-file: $said"
    apps_containertool build --executable "$binary" --bundle-shared-libraries --no-ca-certificates --no-tzdata \
        --tag apps-https-client:bare --output "docker-archive:$WORK/apps-https-client-bare.tar" >/dev/null
    apps_load "$WORK/apps-https-client-bare.tar" apps-https-client:bare
    say "size: https-client $(apps_image_size apps-https-client:ca) bytes with CA bundle and tzdata, $(apps_image_size apps-https-client:bare) without"

    expect_failure "a --ca-file holding a private key is refused" "private key" \
        apps_containertool build --executable "$binary" --bundle-shared-libraries --ca-file "$WORK/apps-tls/ca.key" \
        --output "docker-archive:$WORK/apps-never.tar"
    [[ ! -e "$WORK/apps-never.tar" ]] || die "a refused build left an archive behind"
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
    local version builder context=$WORK/apps-context
    version=$(swift --version 2>&1 | sed -n 's/.*Swift version \([0-9]*\.[0-9]*\).*/\1/p' | head -1)
    builder=swift:$version-bookworm
    if ! docker image inspect "$builder" >/dev/null 2>&1; then
        [[ "${CI:-}" != "true" ]] || die "no local builder image $builder (.ci/run makes it with scripts/make-builder-image.sh)"
        say "SKIPPED: no local builder image $builder; make one with scripts/make-builder-image.sh"
        return 0
    fi
    apps_dockerfile_context "$context"
    [[ -f "$WORK/apps-tls/ca.pem" ]] || apps_make_test_ca "$WORK/apps-tls"
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
    (cd "$context" && apps_containertool build --executable "$WORK/apps-resource-tool-files/resource-tool" "${options[@]}" \
        --output "docker-archive:$WORK/apps-resource-tool-options.tar" >/dev/null)
    apps_compare_images "$WORK/apps-resource-tool-options.tar" "$WORK/apps-resource-tool-dockerfile.tar" \
        /resource-tool,/etc/ssl/certs/ca-certificates.crt || die "the Dockerfile's resource-tool image differs from containertool's"
    # The bundles differ only in the host's and the builder's public CAs; both end with the test CA.
    apps_extract "$WORK/apps-resource-tool-dockerfile.tar" /etc/ssl/certs/ca-certificates.crt "$WORK/bundle-dockerfile.crt"
    apps_extract "$WORK/apps-resource-tool-options.tar" /etc/ssl/certs/ca-certificates.crt "$WORK/bundle-containertool.crt"
    local size
    size=$(stat -c %s "$context/test-ca.pem")
    cmp -s <(tail -c "$size" "$WORK/bundle-dockerfile.crt") "$context/test-ca.pem" || die "the Dockerfile's CA bundle does not end with the test CA"
    cmp -s <(tail -c "$size" "$WORK/bundle-containertool.crt") "$context/test-ca.pem" || die "containertool's CA bundle does not end with the test CA"
    say "both CA bundles end with the --ca-file certificate"

    expect_failure "a --resource outside the build context is refused" "outside the build context" \
        apps_containertool dockerfile --product resource-tool --output "$context/Dockerfile" --resource /etc/hostname
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
    e2e_apps_https_client
    e2e_apps_dockerfile_parity
}
