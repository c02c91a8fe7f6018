#!/usr/bin/env bash
# The console's own CPU time per request, route by route: utime + stime of the server process
# around a wrk window, divided by the requests wrk completed. Unlike req/s it barely moves when
# other work shares the machine, so two builds can be compared on a busy one
# (docs/performance.md, "Second session").
#
#   scripts/bench/cpu.sh BINARY LABEL
#
# Runs BINARY (a release build) against the database `make bench` seeded (BENCH_DATABASE,
# default console_bench; its MariaDB user and password as the runner made them), on BENCH_PORT
# (default 8095), and prints one Markdown row per route: route, LABEL, µs per request, non-2xx.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
binary=${1:?usage: scripts/bench/cpu.sh BINARY LABEL}
label=${2:?usage: scripts/bench/cpu.sh BINARY LABEL}
database=${BENCH_DATABASE:-console_bench}
port=${BENCH_PORT:-8095}
base=http://127.0.0.1:$port
password=console-demo-1   # the demo users' (console seed)
eval "$(scripts/db.sh env)"
export DATABASE_NAME=$database DATABASE_USER=$database DATABASE_PASSWORD=bench CONSOLE_ROOT=${BENCH_ROOT:-$repo}
log=$(mktemp -d)
HOST=127.0.0.1 PORT=$port CONSOLE_TEST_MODE=1 BILLING_RUN_INTERVAL_MINUTES=0 LOG_LEVEL=warning "$binary" serve >"$log/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$log"' EXIT
for _ in $(seq 1 100); do curl -fs -m 2 -o /dev/null "$base/healthz" && break; sleep 0.2; done

token() {
    curl -fsS -m 10 -X POST "$base/api/v1/tokens" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"$password\"}" | sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p'
}
cookie() {
    local jar=$log/jar.$1 csrf
    csrf=$(curl -fsS -m 10 -c "$jar" -b "$jar" "$base/signin" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p')
    curl -fsS -m 10 -o /dev/null -c "$jar" -b "$jar" -X POST "$base/signin" --data-urlencode "_csrf=$csrf" \
        --data-urlencode "email=$1" --data-urlencode "password=$password"
    awk '$6 == "console_session" { print "console_session=" $7 }' "$jar"
}
provider_token=$(token admin@provider.test) customer_token=$(token admin@acme.test)
provider=$(cookie admin@provider.test) reseller=$(cookie admin@northwind.test) customer=$(cookie admin@acme.test)
subscription=$(scripts/db.sh mysql -N -B "$database" -e \
    "SELECT s.id FROM subscriptions s JOIN accounts a ON a.id = s.customer_id WHERE a.name LIKE 'Acme%' ORDER BY s.id DESC LIMIT 1")
hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }

# route label, Authorization or Cookie value, method, path, body
measure() {
    local auth= session= before after out
    case $2 in Bearer*) auth=$2 ;; console_session=*) session=$2 ;; esac
    export BENCH_LUA_DIR=$repo/scripts/bench BENCH_METHOD=$3 BENCH_BODY=${5:-} BENCH_AUTHORIZATION=$auth BENCH_COOKIE=$session
    wrk -t2 -c8 -d2s -s scripts/bench/request.lua "$base$4" >/dev/null 2>&1   # warm-up
    before=$(ticks)
    out=$(wrk -t2 -c8 -d6s -s scripts/bench/request.lua "$base$4" 2>&1)
    after=$(ticks)
    awk -v route="$1" -v label="$label" -v t=$((after - before)) -v hz="$hz" \
        -v n="$(sed -n 's/^BENCH requests=\([0-9]*\).*/\1/p' <<<"$out")" -v bad="$(sed -n 's/.*non2xx=\([0-9]*\).*/\1/p' <<<"$out")" \
        'BEGIN { printf "| %s | %s | %.0f | %s |\n", route, label, (n ? t / hz * 1e6 / n : 0), bad }'
}
echo "| route | build | µs of console CPU per request | non-2xx |"
echo "|---|---|---|---|"
measure "/healthz" "" GET /healthz
measure "GET /api/v1/subscriptions?limit=50, provider" "Bearer $provider_token" GET "/api/v1/subscriptions?limit=50"
measure "GET /api/v1/orders?limit=50, provider" "Bearer $provider_token" GET "/api/v1/orders?limit=50"
measure "GET /api/v1/invoices?limit=50, provider" "Bearer $provider_token" GET "/api/v1/invoices?limit=50"
measure "GET /api/v1/accounts?limit=50, provider" "Bearer $provider_token" GET "/api/v1/accounts?limit=50"
measure "page /subscriptions, provider" "$provider" GET /subscriptions
measure "page /subscriptions, reseller" "$reseller" GET /subscriptions
measure "page /subscriptions/{id}, customer" "$customer" GET "/subscriptions/$subscription"
measure "page /orders, provider" "$provider" GET /orders
measure "page /invoices, provider" "$provider" GET /invoices
measure "page /dashboard, provider" "$provider" GET /dashboard
measure "page /dashboard, customer" "$customer" GET /dashboard
measure "page /audit, provider" "$provider" GET /audit
measure "POST quote (+1 RAM), customer" "Bearer $customer_token" POST "/api/v1/subscriptions/$subscription/quotes" \
    '{"resources":[{"resource_code":"ram_gb","additional":1}]}'
