#!/usr/bin/env bash
# Starts Debian's `docker-registry` (distribution 2.8) on loopback for tests and prints its pid.
#
#   scripts/start-registry.sh --port PORT --dir DIR [--user USER --password PASS]
#                             [--token-realm URL --token-cert PEM] [--listen ADDR]
#                             [--tls-cert PEM --tls-key KEY [--tls-client-ca PEM]]
#
# --listen: the address to listen on, 127.0.0.1 (default), [::1] or localhost. --tls-cert/--tls-key:
# serve HTTPS with this certificate (the readiness check does not verify it). --tls-client-ca: require
# client certificates signed by this CA (mutual TLS; then the readiness check only waits for the port).
# --user/--password: htpasswd (Basic) auth. --token-realm/--token-cert: bearer-token auth, tokens
# issued by a token service at URL (issuer "containerize-test-issuer", service
# "containerize-test-registry") and signed with the key of the certificate PEM.
# DIR holds the generated config.yml, the blob storage (DIR/storage), the log (DIR/registry.log),
# the htpasswd file when --user is given, and DIR/registry.pid. Starting again with the same DIR
# reuses the stored blobs (a restart). Waits until GET /v2/ answers (200 or 401), at most ~10 s.
# Stop it with scripts/stop-registry.sh DIR.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

port=""; dir=""; user=""; password=""; token_realm=""; token_cert=""; listen="127.0.0.1"; tls_cert=""; tls_key=""; tls_client_ca=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) need_value "$1" $# "${2:-}"; port="$2"; shift 2 ;;
    --dir) need_value "$1" $# "${2:-}"; dir="$2"; shift 2 ;;
    --user) need_value "$1" $# "${2:-}"; user="$2"; shift 2 ;;
    --password) need_value "$1" $# "${2:-}"; password="$2"; shift 2 ;;
    --token-realm) need_value "$1" $# "${2:-}"; token_realm="$2"; shift 2 ;;
    --token-cert) need_value "$1" $# "${2:-}"; token_cert="$2"; shift 2 ;;
    --listen) need_value "$1" $# "${2:-}"; listen="$2"; shift 2 ;;
    --tls-cert) need_value "$1" $# "${2:-}"; tls_cert="$2"; shift 2 ;;
    --tls-key) need_value "$1" $# "${2:-}"; tls_key="$2"; shift 2 ;;
    --tls-client-ca) need_value "$1" $# "${2:-}"; tls_client_ca="$2"; shift 2 ;;
    -h|--help) usage_from_header "$0"; exit 0 ;;
    *) echo "start-registry.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n "$port" && -n "$dir" ]] || { echo "usage: start-registry.sh --port PORT --dir DIR [--user USER --password PASS] [--listen ADDR] [--tls-cert PEM --tls-key KEY]" >&2; exit 2; }
case "$listen" in 127.*|"[::1]"|localhost) ;; *) echo "start-registry.sh: --listen must be a loopback address (127.0.0.1, [::1], localhost)" >&2; exit 2 ;; esac
[[ -z "$tls_cert" || -n "$tls_key" ]] || { echo "start-registry.sh: --tls-cert needs --tls-key" >&2; exit 2; }
command -v docker-registry >/dev/null || { echo "start-registry.sh: docker-registry not installed (apt-get install docker-registry)" >&2; exit 1; }

mkdir -p "$dir/storage"
dir="$(cd "$dir" && pwd)"

auth=""
if [[ -n "$user" ]]; then
  command -v htpasswd >/dev/null || { echo "start-registry.sh: htpasswd not installed (apt-get install apache2-utils)" >&2; exit 1; }
  htpasswd -Bbn "$user" "$password" > "$dir/htpasswd"
  auth="auth:
  htpasswd:
    realm: containerize-test
    path: $dir/htpasswd"
fi

if [[ -n "$token_realm" ]]; then
  auth="auth:
  token:
    realm: $token_realm
    service: containerize-test-registry
    issuer: containerize-test-issuer
    rootcertbundle: $token_cert"
fi

tls=""
scheme="http"
if [[ -n "$tls_cert" ]]; then
  scheme="https"
  tls="  tls:
    certificate: $tls_cert
    key: $tls_key"
  if [[ -n "$tls_client_ca" ]]; then
    tls="$tls
    clientcas:
      - $tls_client_ca"
  fi
fi

cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: "$listen:$port"
  secret: containerize-test-only
$tls
$auth
YAML

# setsid: the registry must outlive this script and not share the caller's process group.
# Close every inherited descriptor above 2 first: a caller's pipe held open by the daemon would keep
# `$(start-registry.sh …)` (or a test harness reading our output) waiting forever.
(
  for fd in /proc/self/fd/*; do
    n="${fd##*/}"
    if (( n > 2 )); then eval "exec $n>&-" 2>/dev/null || true; fi
  done
  exec setsid docker-registry serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 < /dev/null
) &
pid=$!
echo "$pid" > "$dir/registry.pid"

for _ in $(seq 1 100); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start-registry.sh: docker-registry exited; log:" >&2
    cat "$dir/registry.log" >&2
    exit 1
  fi
  code="$(curl -gsk -o /dev/null -w '%{http_code}' "$scheme://$listen:$port/v2/" || true)"
  if [[ "$code" == "200" || "$code" == "401" ]] || { [[ -n "$tls_client_ca" ]] && (exec 3<>"/dev/tcp/${listen//[\[\]]/}/$port") 2>/dev/null; }; then
    echo "$pid"
    exit 0
  fi
  sleep 0.1
done
echo "start-registry.sh: docker-registry did not answer on $listen:$port within 10 s" >&2
kill "$pid" 2>/dev/null || true
exit 1
