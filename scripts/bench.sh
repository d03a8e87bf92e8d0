#!/usr/bin/env bash
# Benchmark of HelloWeb (issues 3 and 7) against the Go original from the seed
# article and nginx. Not a test: it reports numbers and PASS/FAIL per target,
# and exits non-zero only when a server cannot be built or started or dies.
#
# Usage: scripts/bench.sh [--quick] [--servers LIST] [--skip-build]
#   --quick         3 s per run, 1 round (default: $BENCH_DURATION per run, 3 rounds)
#   --servers LIST  comma-separated subset of: helloweb,embedded,go,nginx (default: all)
#   --skip-build    reuse the binaries from the previous run
#   --rolling-only  only the rolling-restart run (issue 22): keep-alive load, SIGTERM
#                   (nginx: `nginx -s quit`) mid-run, client-side errors counted per server
# Environment: BENCH_DURATION (default 10s), BENCH_ROUNDS (default 3),
#   BENCH_SCENARIOS (default ka1,ka64,ka256,close64),
#   BENCH_PORT (first port, default 18080), BENCH_OUT (default .build-bench),
#   BENCH_ROLLING (1: rolling-restart run after the table, default; 0: skip it),
#   BENCH_ROLLING_CONNECTIONS (default 64), HELLOWEB_BINARY (test that HelloWeb binary
#   instead of building the static release one).
#
# Method: every server runs pinned to CPU 0 with one thread (HelloWeb
# --threads 1, GOMAXPROCS=1, one nginx worker); wrk runs pinned to CPU 1 with
# one thread. Scenarios: keep-alive with 1, 64 and 256 connections, and
# `Connection: close` with 64. Each run starts a fresh server; runs go
# round-robin over the servers within a scenario, for each round, so slow
# drifts of this shared machine hit every server alike. Per run it records
# req/s, p99 latency, server CPU time (utime+stime from /proc/PID/stat, before
# and after) per request and its kernel share, server CPU utilisation, peak RSS
# (VmHWM) and socket errors. The table shows medians over rounds (peak RSS: the
# maximum). Raw numbers: $BENCH_OUT/results.txt; wrk output: wrk-output.txt.
set -euo pipefail

cd "$(dirname "$0")/.."
repo_root="$(pwd)"
source scripts/lib/common.sh

duration="${BENCH_DURATION:-10s}"
rounds="${BENCH_ROUNDS:-3}"
base_port="${BENCH_PORT:-18080}"
out_dir="${BENCH_OUT:-$repo_root/.build-bench}"
case "$out_dir" in /*) ;; *) out_dir="$repo_root/$out_dir" ;; esac  # go build runs in a subfolder
servers_arg="helloweb,embedded,go,nginx"
skip_build=0
rolling_only=0
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) duration="${BENCH_DURATION:-3s}"; rounds=1 ;;
        --servers) servers_arg="$2"; shift ;;
        --skip-build) skip_build=1 ;;
        --rolling-only) rolling_only=1 ;;
        -h|--help) usage_from_header "$0"; exit 0 ;;
        *) echo "error: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
IFS=',' read -r -a servers <<< "$servers_arg"
for s in "${servers[@]}"; do
    case "$s" in helloweb|embedded|go|nginx) ;; *)
        echo "error: unknown server '$s' (choose from helloweb,embedded,go,nginx)" >&2; exit 2 ;;
    esac
done

IFS=',' read -r -a scenarios <<< "${BENCH_SCENARIOS:-ka1,ka64,ka256,close64}"
for scenario in "${scenarios[@]}"; do
    case "$scenario" in ka1|ka64|ka256|close64) ;; *)
        echo "error: unknown scenario '$scenario' in BENCH_SCENARIOS (choose from ka1,ka64,ka256,close64)" >&2; exit 2 ;;
    esac
done

for tool in wrk taskset curl awk size getconf; do
    command -v "$tool" >/dev/null || { echo "error: '$tool' is needed but not in PATH" >&2; exit 1; }
done
[ "$(nproc --all)" -ge 2 ] || { echo "error: needs at least 2 CPUs (server on CPU 0, wrk on CPU 1)" >&2; exit 1; }

clk_tck="$(getconf CLK_TCK)"
mkdir -p "$out_dir"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")"
raw="$out_dir/results.txt"
wrk_log="$out_dir/wrk-output.txt"
: > "$wrk_log"
summary="$out_dir/summary.txt"
server_pid=""

cleanup() {
    if [ -n "$server_pid" ]; then kill -KILL "$server_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

has_server() { local s; for s in "${servers[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
label_of() {
    case "$1" in
        helloweb) echo "HelloWeb" ;; embedded) echo "Embedded" ;; go) echo "Go" ;; nginx) echo "nginx" ;;
    esac
}
log() { echo "$*" >&2; }

# ---------------------------------------------------------------- build
bin_helloweb="${HELLOWEB_BINARY:-$repo_root/.build-bench-static/release/HelloWeb}"
bin_embedded="$repo_root/.build-bench-embedded/release/HelloWeb"
bin_go="$out_dir/go-hello"
bin_go_stripped="$out_dir/go-hello-stripped"

# Runs a build command, its output to a log; on failure shows the log tail and exits.
run_build() {
    local name="$1"; shift
    local log_file="$out_dir/build-$name.log"
    local started=$SECONDS
    if ! "$@" > "$log_file" 2>&1; then
        log "error: building $name failed; last lines of $log_file:"
        tail -25 "$log_file" >&2
        exit 1
    fi
    log "    built $name in $((SECONDS - started)) s"
}

build_go() {
    local gotmp="$tmp/go"
    mkdir -p "$gotmp/cache" "$gotmp/path"
    (cd scripts/bench/go-hello && env CGO_ENABLED=0 GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local \
        GOCACHE="$gotmp/cache" GOPATH="$gotmp/path" go build -o "$bin_go" . &&
     env CGO_ENABLED=0 GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local \
        GOCACHE="$gotmp/cache" GOPATH="$gotmp/path" go build -ldflags='-s -w' -o "$bin_go_stripped" .)
}

if [ "$skip_build" = 0 ]; then
    log "==> building (logs in $out_dir/build-*.log)"
    # The flags come from their one owner, `containertool build-flags` (Sources/DockerfileRenderer/BuildMode.swift).
    swift build --product containertool >"$out_dir/build-containertool.log" 2>&1 \
        || { log "error: building containertool failed; see $out_dir/build-containertool.log"; exit 1; }
    containertool="$(swift build --show-bin-path)/containertool"
    if has_server helloweb && [ -z "${HELLOWEB_BINARY:-}" ]; then
        mapfile -t static_flags < <("$containertool" build-flags)
        run_build helloweb swift build -c release --product HelloWeb "${static_flags[@]}" --scratch-path .build-bench-static
    fi
    if has_server embedded; then
        mapfile -t embedded_flags < <("$containertool" build-flags --embedded)
        run_build embedded swift build -c release --product HelloWeb "${embedded_flags[@]}" --scratch-path .build-bench-embedded
    fi
    if has_server go; then run_build go build_go; fi
fi

# ---------------------------------------------------------------- servers
port_of() {
    case "$1" in helloweb) echo "$base_port" ;; embedded) echo $((base_port + 1)) ;;
                 go) echo $((base_port + 2)) ;; nginx) echo $((base_port + 3)) ;; esac
}

# True while process $1 runs (a crashed, not yet reaped server is a zombie: not alive).
alive() {
    [ -r "/proc/$1/stat" ] && [ "$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# Starts server $1 pinned to CPU 0 in the background; sets server_pid.
start_server() {
    local name="$1" port; port="$(port_of "$1")"
    local err="$tmp/$name.stderr"
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        log "error: port $port is already in use; free it or set BENCH_PORT"
        exit 1
    fi
    case "$name" in
        helloweb) taskset -c 0 "$bin_helloweb" --port "$port" --threads 1 > "$tmp/$name.stdout" 2> "$err" & ;;
        embedded) taskset -c 0 "$bin_embedded" --port "$port" --threads 1 > "$tmp/$name.stdout" 2> "$err" & ;;
        go) GOMAXPROCS=1 PORT="$port" taskset -c 0 "$bin_go" > "$tmp/$name.stdout" 2> "$err" & ;;
        nginx)
            mkdir -p "$tmp/nginx"
            sed -e "s|@PORT@|$port|g" -e "s|@TMP@|$tmp/nginx|g" scripts/bench/nginx.conf.template > "$tmp/nginx/nginx.conf"
            taskset -c 0 nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/nginx-error.log" \
                > "$tmp/$name.stdout" 2> "$err" & ;;
    esac
    server_pid=$!
    local i
    for i in $(seq 1 100); do
        alive "$server_pid" || break
        if [ "$(curl -s --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null)" = "Hello world!" ]; then return 0; fi
        sleep 0.05
    done
    if alive "$server_pid"; then
        log "error: $(label_of "$name") (pid $server_pid) did not answer 'Hello world!' on port $port within 5 s"
    else
        log "error: $(label_of "$name") exited before answering on port $port"
    fi
    log "its stdout and stderr:"
    cat "$tmp/$name.stdout" "$err" >&2 || true
    exit 1
}

stop_server() {
    local i
    kill -TERM "$server_pid" 2>/dev/null || true
    for i in $(seq 1 40); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# ---------------------------------------------------------------- rolling restart (issue 22)
# Every rolling update sends SIGTERM to a server still taking traffic. Per server: the load
# client (scripts/bench/rolling-restart/load.c) runs 64 keep-alive connections, each sending
# its next request as soon as an answer arrives, for at most 4 s; after 1 s the server is
# told to stop (SIGTERM; nginx: `nginx -s quit`). Client-side errors: resets, requests without
# a response (`unanswered`: sent, then EOF before any response byte — it crossed the server's
# FIN), truncated responses, non-2xx. Bounded: loopback, 4 s, 10 s receive timeout.
rolling_restart() {
    local load="$out_dir/rolling-load"
    gcc -O2 -pthread -o "$load" scripts/bench/rolling-restart/load.c || { log "error: building the load client failed"; exit 1; }
    local connections="${BENCH_ROLLING_CONNECTIONS:-64}" name port result
    echo
    echo "Rolling restart: $connections keep-alive connections at full load, stop signal after 1 s (no reconnect)"
    printf '  %-9s %8s %7s %11s %10s %7s %12s  %s
' server ok resets unanswered truncated non2xx clean-close errors
    for name in "${servers[@]}"; do
        [ "$name" = embedded ] && continue
        port="$(port_of "$name")"
        start_server "$name"
        taskset -c 1 "$load" "$port" "$connections" 4 > "$tmp/rolling-$name.txt" &
        local client=$!
        sleep 1
        if [ "$name" = nginx ]; then
            nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/nginx-error.log" -s quit 2>/dev/null || true
        else
            kill -TERM "$server_pid" 2>/dev/null || true
        fi
        wait "$client" || true
        stop_server
        result="$(cat "$tmp/rolling-$name.txt")"
        # shellcheck disable=SC2086
        local $result
        printf '  %-9s %8s %7s %11s %10s %7s %12s  %s
' "$(label_of "$name")" "$ok" "$resets" "$unanswered" "$truncated" "$non2xx" "$clean_close" \
            "$((resets + unanswered + truncated + non2xx))"
    done
}
if [ "$rolling_only" = 1 ]; then rolling_restart; exit 0; fi

# Kernel-mode CPU ticks (stime) of process $1; cpu_ticks: user + kernel (utime + stime).
sys_ticks() { awk '{ sub(/^.*\) /, ""); print $13 }' "/proc/$1/stat"; }
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
peak_rss_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# ---------------------------------------------------------------- runs
scenario_title() {
    case "$1" in
        ka1) echo "keep-alive, 1 connection" ;; ka64) echo "keep-alive, 64 connections" ;;
        ka256) echo "keep-alive, 256 connections" ;; close64) echo "Connection: close, 64 connections" ;;
    esac
}

# Parses wrk output (stdin) into: requests req_per_sec p99_us errors seconds
parse_wrk() {
    awk '
        function us(v) {
            if (v ~ /us$/) { sub(/us$/, "", v); return v + 0 }
            if (v ~ /ms$/) { sub(/ms$/, "", v); return v * 1000 }
            if (v ~ /m$/)  { sub(/m$/, "", v);  return v * 60000000 }
            if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000000 }
            return v + 0
        }
        / requests in / { requests = $1; seconds = $4; sub(/s,?$/, "", seconds) }
        /^Requests\/sec:/ { rps = $2 }
        /^ +99%/ { p99 = us($2) }
        /Socket errors:/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
        /Non-2xx or 3xx responses:/ { errors += $5 }
        END { printf "%d %.1f %.1f %d %.2f\n", requests, rps, p99, errors, seconds }'
}

echo "# round server scenario requests req_per_sec p99_us cpu_ticks cpu_us_per_req peak_rss_kib errors seconds server_cpu_pct sys_ticks" > "$raw"
log "==> running: ${servers[*]}; $rounds round(s) x ${#scenarios[@]} scenarios, $duration each"
for round in $(seq 1 "$rounds"); do
    for scenario in "${scenarios[@]}"; do
        for name in "${servers[@]}"; do
            case "$scenario" in
                ka1) conns=1; extra=() ;; ka64) conns=64; extra=() ;; ka256) conns=256; extra=() ;;
                close64) conns=64; extra=(-H 'Connection: close') ;;
            esac
            start_server "$name"
            before="$(cpu_ticks "$server_pid")"; sys_before="$(sys_ticks "$server_pid")"
            wrk_out="$(taskset -c 1 wrk -t1 -c"$conns" -d"$duration" --latency "${extra[@]}" \
                "http://127.0.0.1:$(port_of "$name")/" 2>&1)" || { log "error: wrk failed: $wrk_out"; exit 1; }
            if ! alive "$server_pid"; then
                log "error: $(label_of "$name") (pid $server_pid) died during the run ($scenario, round $round); its output:"
                cat "$tmp/$name.stdout" "$tmp/$name.stderr" >&2 || true
                exit 1
            fi
            after="$(cpu_ticks "$server_pid")"; sys_after="$(sys_ticks "$server_pid")"
            rss="$(peak_rss_kib "$server_pid")"
            stop_server
            { echo "== round $round $name $scenario"; echo "$wrk_out"; } >> "$wrk_log"
            read -r requests rps p99 errors seconds <<< "$(parse_wrk <<< "$wrk_out")"
            cpu_us=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$requests" \
                'BEGIN { printf "%.2f", (n > 0 ? t * 1000000 / hz / n : 0) }')
            cpu_pct=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v d="$seconds" \
                'BEGIN { printf "%.0f", (d > 0 ? 100 * t / hz / d : 0) }')
            echo "$round $name $scenario $requests $rps $p99 $((after - before)) $cpu_us $rss $errors $seconds $cpu_pct $((sys_after - sys_before))" >> "$raw"
            log "    round $round  $(printf '%-8s %-8s' "$(label_of "$name")" "$scenario")  $(printf '%9.0f req/s  p99 %8.0f us  %6.2f us CPU/req  %6d KiB  errors %d  server CPU %3d%%' "$rps" "$p99" "$cpu_us" "$rss" "$errors" "$cpu_pct")"
        done
    done
done

# ---------------------------------------------------------------- report
# Aggregates the raw file: per server and scenario, medians over rounds (peak RSS: max, errors: sum).
aggregate() {
    awk '
        function median(list,   n, a, i, j, t) {
            n = split(list, a, " ")
            for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        /^#/ { next }
        {
            k = $2 " " $3; keys[k] = 1
            ticks[k] += $7; sys[k] += $13
            rps[k] = rps[k] " " $5; p99[k] = p99[k] " " $6; cpu[k] = cpu[k] " " $8; pct[k] = pct[k] " " $12
            if ($9 > rss[k]) rss[k] = $9
            err[k] += $10
        }
        END { for (k in keys) printf "%s %.0f %.0f %.2f %d %d %.0f %.0f\n", k, median(rps[k]), median(p99[k]), median(cpu[k]), rss[k], err[k], median(pct[k]), (ticks[k] > 0 ? 100 * sys[k] / ticks[k] : 0) }
    ' "$raw"
}
agg="$tmp/aggregate.txt"
aggregate > "$agg"
value() { awk -v k="$1 $2" -v f="$3" '$1 " " $2 == k { print $f; found = 1 } END { if (!found) print "" }' "$agg"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }

{
    echo
    echo "HelloWeb benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc --all) CPUs, $rounds round(s) x $duration per run"
    echo "server on CPU 0 (1 thread), wrk on CPU 1 (1 thread); medians over rounds, peak RSS = max;
sys% = share of the server's CPU time spent in the kernel;
CPU% = server CPU time / run time (below ~90%, req/s is limited by wrk or other load, not the server);
ratios are server / Go: req/s higher is better, CPU per request and RSS lower is better"
    for scenario in "${scenarios[@]}"; do
        echo
        echo "$(scenario_title "$scenario")"
        printf '  %-9s %9s %9s %11s %5s %5s %12s %6s  %9s %7s %7s\n' server "req/s" "p99 us" "CPU us/req" "sys%" "CPU%" "peak RSS" errors \
            "req/s/Go" "CPU/Go" "RSS/Go"
        for name in "${servers[@]}"; do
            rps="$(value "$name" "$scenario" 3)"; p99="$(value "$name" "$scenario" 4)"
            cpu="$(value "$name" "$scenario" 5)"; rss="$(value "$name" "$scenario" 6)"; err="$(value "$name" "$scenario" 7)"
            r1=""; r2=""; r3=""
            if has_server go && [ "$name" != go ]; then
                r1="$(ratio "$rps" "$(value go "$scenario" 3)")"
                r2="$(ratio "$cpu" "$(value go "$scenario" 5)")"
                r3="$(ratio "$rss" "$(value go "$scenario" 6)")"
            fi
            pct="$(value "$name" "$scenario" 8)"; sys_pct="$(value "$name" "$scenario" 9)"
            printf '  %-9s %9s %9s %11s %4s%% %4s%% %8s KiB %6s  %9s %7s %7s\n' "$(label_of "$name")" "$rps" "$p99" "$cpu" "$sys_pct" "$pct" "$rss" "$err" "$r1" "$r2" "$r3"
        done
    done

    echo
    echo "Binary sizes (bytes)"
    size_of() { if [ -f "$1" ]; then stat -c %s "$1"; else echo "-"; fi; }
    has_server helloweb && printf '  %-40s %10s\n' "HelloWeb, static, stripped" "$(size_of "$bin_helloweb")"
    has_server embedded && printf '  %-40s %10s\n' "HelloWeb, Embedded, static, stripped" "$(size_of "$bin_embedded")"
    has_server go && printf '  %-40s %10s\n' "Go (CGO_ENABLED=0 go build)" "$(size_of "$bin_go")"
    has_server go && printf '  %-40s %10s\n' "Go (-ldflags '-s -w')" "$(size_of "$bin_go_stripped")"
    if has_server helloweb && [ -f "$bin_helloweb" ]; then
        echo
        echo "Largest sections of the standard static binary (size -A)"
        total="$(size -A "$bin_helloweb" | awk '$1 == "Total" { print $2 }')"
        size -A "$bin_helloweb" | awk -v total="$total" '$1 ~ /^\./ { printf "  %-24s %10d  %5.1f%%\n", $1, $2, 100 * $2 / total }' \
            | sort -k2,2 -n -r | head -8
        echo "  (all sections: $total bytes)"
    fi

    echo
    echo "Targets (issue 3; binary sizes from issue 7)"
    verdict() { if [ "$1" = 1 ]; then echo PASS; else echo FAIL; fi; }
    check() { awk "BEGIN { exit !($1) }" && echo 1 || echo 0; }
    has_server go && { has_server helloweb || has_server embedded; } || echo "  (need Go and HelloWeb or Embedded in --servers)"
    for name in helloweb embedded; do
        has_server "$name" && has_server go || continue
        label="$(label_of "$name")"
        if [ -n "$(value "$name" ka64 3)" ]; then
            r="$(value "$name" ka64 3)"; rg="$(value go ka64 3)"
            printf '  %-5s %-9s %s\n' "$(verdict "$(check "$r >= 2 * $rg")")" "$label" "keep-alive 64: $r req/s >= 2 x Go ($rg)"
            pct="$(value "$name" ka64 8)"
            if awk "BEGIN { exit !($pct < 90) }"; then
                printf '  %-5s %-9s %s\n' "" "" "  (the server used only $pct% of its core: req/s was limited by wrk or other load;"
                printf '  %-5s %-9s %s\n' "" "" "   by CPU per request it would do $(ratio "$(value go ka64 5)" "$(value "$name" ka64 5)") x Go's req/s on a saturated core)"
            fi
            p="$(value "$name" ka64 4)"; pg="$(value go ka64 4)"
            printf '  %-5s %-9s %s\n' "$(verdict "$(check "$p <= $pg")")" "$label" "keep-alive 64: p99 $p us <= Go's $pg us"
        fi
        if [ -n "$(value "$name" close64 5)" ]; then
            c="$(value "$name" close64 5)"; cg="$(value go close64 5)"
            printf '  %-5s %-9s %s\n' "$(verdict "$(check "$c <= $cg / 2")")" "$label" "close 64: $c us CPU/req <= 1/2 Go ($cg)"
        fi
        m="$(awk -v n="$name" '$1 == n && $6 > m { m = $6 } END { print m + 0 }' "$agg")"
        mg="$(awk '$1 == "go" && $6 > m { m = $6 } END { print m + 0 }' "$agg")"
        printf '  %-5s %-9s %s\n' "$(verdict "$(check "$m <= $mg / 2")")" "$label" "peak RSS $m KiB <= 1/2 Go ($mg KiB)"
        e="$(awk -v n="$name" '$1 == n { e += $7 } END { print e + 0 }' "$agg")"
        printf '  %-5s %-9s %s\n' "$(verdict "$(check "$e == 0")")" "$label" "socket errors in all runs: $e"
    done
    if has_server helloweb && [ -f "$bin_helloweb" ]; then
        s="$(stat -c %s "$bin_helloweb")"
        printf '  %-5s %-9s %s\n' "$(verdict "$(check "$s <= 7000000")")" "HelloWeb" "static stripped binary $s bytes <= 7 MB (issue 7; issue 3 said 6.5 MB: $(verdict "$(check "$s <= 6500000")"))"
    fi
    if has_server embedded && [ -f "$bin_embedded" ]; then
        s="$(stat -c %s "$bin_embedded")"
        printf '  %-5s %-9s %s\n' "$(verdict "$(check "$s < 1000000")")" "Embedded" "static stripped binary $s bytes < 1 MB"
    fi
    echo
    echo "raw numbers: $raw (wrk output: $wrk_log)"
    echo "this table:  $summary"
} | tee "$summary"
if [ "${BENCH_ROLLING:-1}" != 0 ]; then rolling_restart | tee -a "$summary"; fi

# The image benchmark (another script) runs after this one when it is present.
if [ -f scripts/bench-image.sh ]; then
    echo
    echo "==> scripts/bench-image.sh"
    bash scripts/bench-image.sh || echo "scripts/bench-image.sh failed with exit status $?"
fi
