#!/usr/bin/env bash
# Throughput through the balancer of scripts/cluster.sh (issue 14), in three layouts, one after
# the other in one run so that their ratios mean something on a noisy machine:
#   three:  three app nodes, each on its own Galera node (the cluster as `make cluster` runs it);
#   oneapp: one app node (app1 on db1; app2 and app3 stopped), three Galera nodes;
#   one:    the three app nodes all on db1, with db2 and db3 stopped (a one-node cluster).
# In each layout: the drill's load with no fault (scripts/drill/drill.py with DRILL_FAULTS=0:
# 32 clients ordering end to end, sales orders, billing runs, the double spend; then every check of
# the drill), and wrk on two read routes (a bearer token of the provider admin, 32 connections).
# Prints one table. The cluster is stopped at the end (it is started if it does not run).
#
# Settings: CLUSTER_PORT (8088), THROUGHPUT_SECONDS (load per layout, 60), THROUGHPUT_WRK_SECONDS (20),
# THROUGHPUT_ROUNDS (1; each round measures both layouts again, to see the machine's noise),
# and those of scripts/cluster.sh. Long, and the cluster takes the whole machine: not in `make test`.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cluster=$repo/scripts/cluster.sh
export CLUSTER_PORT=${CLUSTER_PORT:-8088}
seconds=${THROUGHPUT_SECONDS:-60}
wrk_seconds=${THROUGHPUT_WRK_SECONDS:-20}
base=http://127.0.0.1:$CLUSTER_PORT
out=$repo/.local/cluster/throughput
say() { echo "throughput: $*" >&2; }

"$repo/scripts/apt-install.sh" wrk curl python3 mariadb-client >/dev/null
trap '"$cluster" down >/dev/null 2>&1 || true' EXIT

# A copy of the binary: the tree may be rebuilt during the run.
if [[ -z ${CLUSTER_BINARY:-} ]]; then
    mkdir -p "$repo/.local/cluster"
    cp "$repo/.build/debug/console" "$repo/.local/cluster/throughput-console"
    export CLUSTER_BINARY=$repo/.local/cluster/throughput-console
fi
mkdir -p "$out"

wait_ready() {   # the app nodes named UP in the balancer, every running database node Synced
    local want=$1 servers=${2:-app1 UP, app2 UP, app3 UP} status
    for _ in $(seq 1 120); do
        status=$("$cluster" status 2>/dev/null || true)
        if grep -q "servers: $servers" <<<"$status" \
            && [[ $(grep -c "wsrep_cluster_size=$want wsrep_local_state_comment=Synced" <<<"$status") == "$want" ]]; then
            return 0
        fi
        sleep 1
    done
    "$cluster" status >&2 || true
    say "the cluster did not become ready"
    exit 1
}

token() {
    curl -fsS -m 10 -X POST "$base/api/v1/tokens" -H 'Content-Type: application/json' \
        -d '{"email":"admin@provider.test","password":"console-demo-1"}' | sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p'
}

declare -A result
measure() {
    local layout=$1 log line route rps
    log=$out/$layout-drill.log
    say "$layout: the drill's load with no fault for $seconds s"
    # Where the CPU goes under the load: top over 20 s from 10 s in, summed by program.
    (sleep 10; top -b -w 250 -d 20 -n 2 >"$out/$layout-top.txt" 2>/dev/null) &
    local sampler=$!
    DRILL_FAULTS=0 DRILL_SECONDS=$seconds /usr/bin/python3 "$repo/scripts/drill/drill.py" >"$log" 2>&1 \
        || { tail -30 "$log" >&2; say "$layout: the drill's checks failed (log: $log)"; exit 1; }
    wait "$sampler" || true
    result[$layout,cpu]=$(awk '
        /^top -/ { block++; delete cpu; next }
        block && $1 ~ /^[0-9]+$/ && NF >= 12 {
            name = $12
            if (name ~ /cons/) name = "console"   # top cuts names at 15 characters: throughput-cons
            else if (name ~ /^swift|^clang|^ld/) name = "swift builds"
            cpu[name] += $9
        }
        END { for (n in cpu) if (cpu[n] >= 3) printf "%s %.0f%%, ", n, cpu[n] }' "$out/$layout-top.txt" | sed 's/, $//')
    say "$layout: CPU under the load (of 200 %): ${result[$layout,cpu]}"
    line=$(grep '^drill: throughput:' "$log")
    result[$layout,orders]=$(sed -n 's/.* = \([0-9.]*\) orders\/s.*/\1/p' <<<"$line")
    result[$layout,requests]=$(sed -n 's/.* = \([0-9.]*\) requests\/s.*/\1/p' <<<"$line")
    result[$layout,drill]=$(tail -1 "$log")
    local bearer="" wrk_out bad
    for _ in $(seq 1 10); do
        bearer=$(token || true)
        [[ -n $bearer ]] && break
        sleep 1
    done
    [[ -n $bearer ]] || { say "$layout: no token for admin@provider.test"; exit 1; }
    for route in "/api/v1/subscriptions?limit=50" "/healthz"; do
        wrk_out=$(BENCH_LUA_DIR="$repo/scripts/bench" BENCH_AUTHORIZATION="Bearer $bearer" \
            wrk -t2 -c32 -d"${wrk_seconds}s" -s "$repo/scripts/bench/request.lua" "$base$route" 2>&1)
        rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$wrk_out")
        # Only answers 200 count: a run with any other (401, 503) is no measurement.
        bad=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' <<<"$wrk_out")
        if [[ -n $bad ]]; then
            say "$layout: GET $route: $bad answers were not 2xx"
            rps="($bad not 2xx)"
        fi
        result[$layout,$route]=${rps:-0}
        say "$layout: GET $route ${rps:-0} req/s"
    done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }

rounds=${THROUGHPUT_ROUNDS:-1}
say "three Galera nodes: bringing the cluster up"
"$cluster" up >/dev/null
for round in $(seq 1 "$rounds"); do
    if ((round > 1)); then
        say "round $round: three Galera nodes again: db2 and db3 started, the app nodes back on their own"
        for n in 1 2 3; do "$cluster" stop "app$n" >/dev/null; done
        "$cluster" start db2 >/dev/null
        "$cluster" start db3 >/dev/null
        for n in 1 2 3; do "$cluster" start "app$n" >/dev/null; done
    fi
    wait_ready 3
    measure "three$round"

    say "round $round: three Galera nodes, one app node: app2 and app3 stopped"
    "$cluster" stop app2 >/dev/null
    "$cluster" stop app3 >/dev/null
    wait_ready 3 "app1 UP, app2 DOWN, app3 DOWN"
    measure "oneapp$round"

    say "round $round: one Galera node: db2 and db3 stopped, the three app nodes restarted on db1"
    for n in 1 2 3; do "$cluster" stop "app$n" >/dev/null; done
    "$cluster" stop db3 >/dev/null
    "$cluster" stop db2 >/dev/null
    for n in 1 2 3; do CLUSTER_APPS_ON_DB=1 "$cluster" start "app$n" >/dev/null; done
    wait_ready 1
    measure "one$round"
done

printf '\n| through the balancer | round | 3 app nodes, 3 Galera nodes | 1 app node, 3 Galera nodes | 3 app nodes, 1 Galera node | 3 / 1 app | 3 / 1 Galera |\n|---|---|---|---|---|---|---|\n'
for key in orders requests "/api/v1/subscriptions?limit=50" /healthz; do
    case $key in
        orders) label="orders answered 201 per second (drill load, 32 clients)" ;;
        requests) label="requests per second (drill load, 32 clients)" ;;
        *) label="GET $key, wrk 32 connections, req/s" ;;
    esac
    for round in $(seq 1 "$rounds"); do
        three=${result[three$round,$key]} oneapp=${result[oneapp$round,$key]} one=${result[one$round,$key]}
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$round" "$three" "$oneapp" "$one" "$(ratio "$three" "$oneapp")" "$(ratio "$three" "$one")"
    done
done
printf '\ndrill checks and CPU under the drill load (top, %% of one CPU, 2 CPUs):\n'
for round in $(seq 1 "$rounds"); do
    for layout in three oneapp one; do
        printf '  round %s, %-6s: %s; %s\n' "$round" "$layout" "${result[$layout$round,drill]}" "${result[$layout$round,cpu]}"
    done
done
