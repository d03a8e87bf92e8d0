# End-to-end checks for Kubernetes manifests (issue #17), sourced by scripts/test.sh after e2e.sh:
#   containerize --resolve on the TwoProducts fixture against a real registry (golden output, digests
#   equal to skopeo's, bad input pushes nothing), then `podman kube play` of HelloWeb's resolved
#   starter manifest: Running, "Hello world!", the exec health check, the security context, kube down.
# That PyYAML reads the resolved YAML: ResolvedYAMLTests (the golden files these outputs are compared with).
# Expects common.sh and e2e.sh (containerize, skopeo_digest), $ROOT and $WORK. Everything stays on loopback.

e2e_kubernetes() {
    start_kubernetes_registry
    e2e_kubernetes_resolve
    e2e_kubernetes_podman
    e2e_kubernetes_multi_platform
}

# e2e_kubernetes_multi_platform — `--platform a,b` reaches --resolve: the pinned digest is an image index
# holding both platforms (Embedded HelloWeb, cross-compiled through the local Swift SDKs).
e2e_kubernetes_multi_platform() {
    step "containerize --embedded --platform linux/amd64,linux/arm64 --resolve: the pinned image is an index"
    cd "$ROOT"
    containerize --embedded --platform linux/amd64,linux/arm64 --resolve deploy/HelloWeb.yaml --push "$K8S_REGISTRY/multi" \
        >"$WORK/k8s-multi.yaml" 2>"$WORK/k8s-multi.log" || die "multi-platform --resolve failed: $(tail -5 "$WORK/k8s-multi.log")"
    local reference platforms
    reference=$(grep -oE "$K8S_REGISTRY/multi/helloweb@sha256:[0-9a-f]{64}" "$WORK/k8s-multi.yaml" | sort -u)
    [[ -n "$reference" ]] || die "the multi-platform --resolve pinned no helloweb image"
    platforms=$(skopeo inspect --raw --tls-verify=false "docker://$reference" \
        | jq -r 'select(.mediaType == "application/vnd.oci.image.index.v1+json") | [.manifests[].platform | "\(.os)/\(.architecture)"] | sort | join(" ")')
    [[ "$platforms" == "linux/amd64 linux/arm64" ]] || die "$reference holds '$platforms', not linux/amd64 and linux/arm64"
    say "--resolve pinned $reference: an index of $platforms"
}

# start_kubernetes_registry — a fresh registry of its own, so its catalog shows exactly what was pushed.
start_kubernetes_registry() {
    local port dir=$WORK/k8s-registry
    port=$(free_port)
    "$ROOT/scripts/start-registry.sh" --port "$port" --dir "$dir" >/dev/null
    remember_pid "$(cat "$dir/registry.pid")"
    K8S_REGISTRY=127.0.0.1:$port
    say "registry for the Kubernetes checks on $K8S_REGISTRY"
}

registry_catalog() { curl -s "http://$K8S_REGISTRY/v2/_catalog"; }

# expect_one_error DESCRIPTION EXPECTED COMMAND… — the command fails with exactly one "error:" line
# (SwiftPM's own build progress may precede it), which contains EXPECTED.
expect_one_error() {
    local description=$1 expected=$2 output errors
    shift 2
    if output=$("$@" 2>&1 </dev/null); then die "$description: the command succeeded"; fi
    errors=$(grep -c 'error:' <<<"$output" || true)
    [[ "$errors" == 1 ]] || die "$description: expected one error line, got $errors: $(tail -5 <<<"$output")"
    grep -F 'error:' <<<"$output" | grep -qF -- "$expected" || die "$description: the error lacks '$expected': $(grep -F 'error:' <<<"$output")"
    say "$description: $(grep -F 'error:' <<<"$output")"
}

# pushed_digest REPOSITORY — the digest the registry reports for REPOSITORY:latest (skopeo).
pushed_digest() { skopeo_digest "docker://$1:latest"; }

e2e_kubernetes_resolve() {
    step "containerize --resolve (Tests/Fixtures/TwoProducts/deploy: 5 documents, 2 products, foreign images)"
    local product digest golden=$ROOT/Tests/KubernetesManifestsTests/Golden/fixture-resolved.yaml
    [[ -n "${K8S_REGISTRY:-}" ]] || start_kubernetes_registry  # (run alone: scripts/test.sh --e2e kubernetes_resolve)
    cd "$ROOT/Tests/Fixtures/TwoProducts"
    mkdir -p "$WORK/k8s-bad"
    printf 'kind: Pod\nspec:\n  containers:\n    - name: a\n      image: "swift://hello-a\n' >"$WORK/k8s-bad/syntax.yaml"
    printf 'kind: Pod\nspec:\n  containers:\n    - name: a\n      image: swift://hello-a\n    - name: z\n      image: swift://hello-z\n' \
        >"$WORK/k8s-bad/unknown.yaml"
    expect_one_error "--resolve without --push" "--resolve needs --push REGISTRY/PREFIX" containerize --resolve deploy
    expect_one_error "a YAML syntax error names file and line" "syntax.yaml:5: YAML syntax error: unterminated double-quoted string" \
        containerize --resolve "$WORK/k8s-bad/syntax.yaml" --push "$K8S_REGISTRY/team"
    expect_one_error "an unknown product names file and line" "unknown.yaml:7: swift://hello-z names no executable product" \
        containerize --resolve "$WORK/k8s-bad/unknown.yaml" --push "$K8S_REGISTRY/team"
    printf 'image: swift://Greeting\n' >"$WORK/k8s-bad/library.yaml"
    expect_one_error "a library product is not an image" "library.yaml:1: swift://Greeting names no executable product" \
        containerize --resolve "$WORK/k8s-bad/library.yaml" --push "$K8S_REGISTRY/team"
    [[ "$(registry_catalog)" == '{"repositories":[]}' ]] || die "a failed --resolve pushed something: $(registry_catalog)"
    say "registry catalog after the failures: $(registry_catalog) (nothing pushed)"

    containerize --resolve deploy --push "$K8S_REGISTRY/team" >"$WORK/k8s-resolved.yaml" 2>"$WORK/k8s-resolve.log" \
        || die "--resolve failed: $(tail -5 "$WORK/k8s-resolve.log")"
    diff <(sed -E "s#$K8S_REGISTRY/team/#registry.example.com/team/#g; s#@sha256:[0-9a-f]{64}#@sha256:DIGEST#g" "$WORK/k8s-resolved.yaml") \
        <(sed -E 's#@sha256:[0-9a-f]{64}#@sha256:DIGEST#g' "$golden") \
        || die "the resolved YAML differs from $golden (registry and digests aside)"
    say "resolved YAML = golden file, byte for byte apart from registry and digests"
    for product in hello-a hello-b; do
        digest=$(pushed_digest "$K8S_REGISTRY/team/$product")
        [[ "$(grep -oE "$K8S_REGISTRY/team/$product@sha256:[0-9a-f]{64}" "$WORK/k8s-resolved.yaml" | sort -u)" \
            == "$K8S_REGISTRY/team/$product@$digest" ]] || die "swift://$product was not pinned to the pushed $digest"
        say "swift://$product → $K8S_REGISTRY/team/$product@$digest (= skopeo inspect)"
        check_fallback_referrers "team/$product" "$digest" "$K8S_REGISTRY"
    done
    containerize --resolve deploy --push "$K8S_REGISTRY/team" >"$WORK/k8s-resolved-again.yaml" 2>"$WORK/k8s-resolve-again.log"
    cmp -s "$WORK/k8s-resolved.yaml" "$WORK/k8s-resolved-again.yaml" || die "a second --resolve printed different YAML (not reproducible)"
    [[ "$(grep -Eic 'uploaded 0 blobs|0 blobs uploaded' "$WORK/k8s-resolve-again.log")" == 2 ]] \
        || die "the second --resolve uploaded blobs again: $(grep -i 'uploaded' "$WORK/k8s-resolve-again.log")"
    say "a second --resolve: the same YAML, the same digests, no blob uploaded"
    [[ "$(grep -c 'Building .* for swift://' "$WORK/k8s-resolve.log")" == 2 ]] || die "expected one build per product: $(grep 'for swift://' "$WORK/k8s-resolve.log")"

    # --kubernetes never replaces a hand-written manifest.
    printf 'kind: Deployment # hand-written\n' >"deploy/hello-b.yaml"
    expect_one_error "--kubernetes keeps a hand-written deploy/hello-b.yaml" "--force" containerize --kubernetes --product hello-b
    [[ "$(cat deploy/hello-b.yaml)" == 'kind: Deployment # hand-written' ]] || die "the hand-written manifest was changed"
    rm -f deploy/hello-b.yaml
    say "hand-written deploy/hello-b.yaml untouched"
    cd "$ROOT"
}

# podman_play_copy RESOLVED PORT OUTPUT — a test-only copy of the resolved starter for one loopback
# machine: host networking (no bridge, no CNI), one replica (two would share the host port), no
# `ports:` (podman 4.3 publishes every containerPort, which host networking refuses), the free PORT
# instead of 8080, and the commented exec probe (HelloWeb --healthcheck) in place of the httpGet
# liveness probe: podman runs probes inside the container, and a scratch image has no curl.
podman_play_copy() {
    python3 - "$1" "$2" "$3" <<'PY'
import re, sys
source, port, output = sys.argv[1], sys.argv[2], sys.argv[3]
lines = re.sub(r"\b8080\b", port, open(source).read()).split("\n")
exec_lines = [l.strip().lstrip("#").strip() for l in lines if re.match(r"\s*#\s+(exec:|command:)", l)]
assert exec_lines[0] == "exec:" and exec_lines[1].startswith("command: ["), exec_lines
out, i = [], 0
while i < len(lines):
    line = lines[i]
    if line == "  replicas: 2": line = "  replicas: 1"
    if line == "    spec:": out += [line, "      hostNetwork: true"]; i += 1; continue
    if line.strip() == "ports:" and lines[i + 2].strip().startswith("containerPort:"): i += 3; continue
    if line.strip() == "livenessProbe:":
        indent = line[: len(line) - len(line.lstrip())] + "  "
        out += [line, indent + exec_lines[0], indent + "  " + exec_lines[1]]
        i += 4; continue  # livenessProbe:, httpGet:, path:, port:
    out.append(line); i += 1
open(output, "w").write("\n".join(out))
PY
}

e2e_kubernetes_podman() {
    step "podman kube play of HelloWeb's resolved starter manifest (image pulled by digest from $K8S_REGISTRY)"
    cd "$ROOT"
    containerize --kubernetes | tee "$WORK/k8s-starter.log"
    grep -q "deploy/HelloWeb.yaml: unchanged" "$WORK/k8s-starter.log" \
        || die "deploy/HelloWeb.yaml is not what --kubernetes renders (regenerate it: swift package --allow-writing-to-package-directory containerize --kubernetes)"
    containerize --resolve deploy/HelloWeb.yaml --push "$K8S_REGISTRY/team" >"$WORK/helloweb-resolved.yaml" 2>"$WORK/helloweb-resolve.log" \
        || die "--resolve deploy/HelloWeb.yaml failed: $(tail -5 "$WORK/helloweb-resolve.log")"
    local digest reference
    digest=$(pushed_digest "$K8S_REGISTRY/team/helloweb")
    reference=$K8S_REGISTRY/team/helloweb@$digest
    grep -qF "image: $reference" "$WORK/helloweb-resolved.yaml" || die "deploy/HelloWeb.yaml was not pinned to $reference"
    diff <(sed "s#$reference#swift://HelloWeb#" "$WORK/helloweb-resolved.yaml") deploy/HelloWeb.yaml >/dev/null \
        || die "--resolve changed more than the image line of deploy/HelloWeb.yaml"
    say "deploy/HelloWeb.yaml resolved to $reference (only the image line changed)"

    require_tools podman catatonit || { say "SKIPPED: podman kube play (install podman and catatonit)"; return 0; }
    local dir=$WORK/podman port pod=helloweb-pod-0 container=helloweb-pod-0-helloweb state pid status body started elapsed
    mkdir -p "$dir"
    # Raising rlimits is refused on this kind of machine, so pin them at what the container gets anyway.
    printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n' >"$dir/containers.conf"
    export CONTAINERS_CONF=$dir/containers.conf
    # Private storage under $WORK: nothing is left in the machine's podman store.
    PODMAN=(podman --root "$dir/root" --runroot "$dir/run" --runtime runc)
    port=$(free_port)
    podman_play_copy "$WORK/helloweb-resolved.yaml" "$port" "$dir/play.yaml"
    K8S_PODMAN_PLAY=$dir/play.yaml
    chain_exit_trap kubernetes_podman_cleanup

    # Can this machine run a podman container at all (overlay storage, else vfs where overlay cannot
    # nest, e.g. /tmp on overlayfs)? If not, that is the machine, not the manifest.
    if ! "${PODMAN[@]}" run --rm --network host --tls-verify=false "$reference" --help >"$dir/probe.log" 2>&1; then
        "${PODMAN[@]}" system reset --force >/dev/null 2>&1 || true
        PODMAN+=(--storage-driver vfs)
        if ! "${PODMAN[@]}" run --rm --network host --tls-verify=false "$reference" --help >>"$dir/probe.log" 2>&1; then
            say "SKIPPED: podman kube play: this machine cannot run a podman container ($(grep -m1 -iE 'error|denied|failed' "$dir/probe.log" || tail -1 "$dir/probe.log"))"
            kubernetes_podman_cleanup
            return 0
        fi
        say "podman: overlay storage failed here, using vfs ($(grep -m1 -iE 'error' "$dir/probe.log" || true))"
    fi
    "${PODMAN[@]}" kube play --tls-verify=false "$dir/play.yaml" >"$dir/play.log" 2>&1 \
        || die "podman kube play failed: $(tail -5 "$dir/play.log")"
    for _ in $(seq 1 100); do
        state=$("${PODMAN[@]}" pod inspect "$pod" --format '{{.State}}' 2>/dev/null || true)
        [[ "$state" == Running ]] && break
        sleep 0.2
    done
    [[ "$state" == Running ]] || die "pod $pod is '$state', not Running: $("${PODMAN[@]}" logs "$container" 2>&1 | tail -3)"
    say "pod $pod: Running"
    [[ "$("${PODMAN[@]}" inspect "$container" --format '{{.ImageName}}')" == "$reference" ]] || die "the pod does not run $reference"
    wait_for_http "http://127.0.0.1:$port/" || die "nothing answers on 127.0.0.1:$port: $("${PODMAN[@]}" logs "$container" 2>&1 | tail -3)"
    body=$(curl -s "http://127.0.0.1:$port/")
    [[ "$body" == "Hello world!" ]] || die "the pod answered '$body'"
    say "curl http://127.0.0.1:$port/ → $body"
    "${PODMAN[@]}" exec "$container" /HelloWeb --healthcheck --port "$port" || die "podman exec … /HelloWeb --healthcheck failed"
    # podman turned the commented exec probe into its health check, but wraps it in /bin/sh -c, which a
    # scratch image lacks (the kubelet runs exec probes without a shell): check that it read the command.
    status=$("${PODMAN[@]}" inspect "$container" --format '{{.Config.Healthcheck.Test}}')
    [[ "$status" == *"/HelloWeb --healthcheck --port $port"* ]] || die "podman did not take the exec probe: $status"
    say "exec health check: podman exec … /HelloWeb --healthcheck --port $port exits 0 (podman parsed the exec probe: $status)"

    # What the securityContext promises, read from the running process.
    pid=$("${PODMAN[@]}" inspect "$container" --format '{{.State.Pid}}')
    grep -qE '^Uid:\s+65532\s+65532\s+65532\s+65532$' "/proc/$pid/status" || die "not running as 65532: $(grep Uid "/proc/$pid/status")"
    grep -qE '^CapEff:\s+0+$' "/proc/$pid/status" || die "capabilities left: $(grep CapEff "/proc/$pid/status")"
    grep -qE '^NoNewPrivs:\s+1$' "/proc/$pid/status" || die "no_new_privs is off"
    grep -qE '^Seccomp:\s+2$' "/proc/$pid/status" || die "no seccomp filter"
    [[ "$(awk '$2 == "/" {print $4}' "/proc/$pid/mounts" | cut -d, -f1)" == ro ]] || die "the root filesystem is writable"
    say "process: uid/gid 65532, no capabilities, no_new_privs, seccomp filter, read-only root"

    # Memory: peak RSS after a bounded burst of requests stays under the manifest's request.
    for _ in $(seq 1 400); do printf 'url = "http://127.0.0.1:%s/"\noutput = "/dev/null"\n' "$port"; done >"$dir/burst.curlrc"
    curl -s --no-progress-meter --parallel --parallel-max 16 --max-time 30 -K "$dir/burst.curlrc" || die "the burst of 400 requests failed"
    local peak_kb request_mi
    peak_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
    request_mi=$(grep -oE 'memory: [0-9]+Mi' deploy/HelloWeb.yaml | head -1 | grep -oE '[0-9]+')
    (( peak_kb < request_mi * 1024 )) || die "peak RSS ${peak_kb} kB is over the ${request_mi}Mi memory request"
    say "peak RSS after 400 requests: ${peak_kb} kB (request ${request_mi}Mi)"

    # SIGTERM: the server drains and exits 0 well within terminationGracePeriodSeconds.
    started=$(date +%s%N)
    "${PODMAN[@]}" pod stop -t 10 "$pod" >"$dir/stop.log" 2>&1  # (podman notes it has no systemd timers to remove)
    elapsed=$(( ($(date +%s%N) - started) / 1000000 ))
    [[ "$("${PODMAN[@]}" inspect "$container" --format '{{.State.ExitCode}}')" == 0 ]] || die "HelloWeb did not exit 0 on SIGTERM"
    (( elapsed < 5000 )) || die "stopping the pod took $elapsed ms (SIGTERM not handled?)"
    "${PODMAN[@]}" kube down "$dir/play.yaml" >"$dir/down.log" 2>&1 || die "podman kube down failed: $(tail -3 "$dir/down.log")"
    [[ -z "$("${PODMAN[@]}" pod ps -q)" ]] || die "podman kube down left a pod"
    ! curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/" || die "something still answers on $port after kube down"
    say "pod stop: exit 0 after $elapsed ms (grace period 10 s); podman kube down: no pod left"
    kubernetes_podman_cleanup
}

# kubernetes_podman_cleanup — removes the pod and the private podman store (also on failure, from the EXIT trap).
kubernetes_podman_cleanup() {
    [[ -n "${K8S_PODMAN_PLAY:-}" ]] || return 0
    "${PODMAN[@]}" kube down "$K8S_PODMAN_PLAY" >/dev/null 2>&1 || true
    "${PODMAN[@]}" system reset --force >/dev/null 2>&1 || true
    K8S_PODMAN_PLAY=""
}

# chain_exit_trap FUNCTION — runs FUNCTION before whatever the EXIT trap already does.
chain_exit_trap() {
    local previous
    previous=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
    # shellcheck disable=SC2064
    # (hands the exit status on to the previous handler, which reads $?; `set +e` so that setting it
    # does not end the handler under errexit)
    trap "k8s_status=\$?; $1; set +e; (exit \$k8s_status); ${previous:-true}" EXIT
}
