#!/usr/bin/env bash
# The cluster fault drill (issue 14; deploy/README.md "A Galera cluster"): brings the cluster of
# scripts/cluster.sh up if it does not run, drives change orders, sales orders, billing runs and
# a cross-node double spend through the balancer while it kills -9 a Galera node and an app node,
# restarts both, and cuts a Galera node off (gmcast.isolate) and heals it; then checks the
# database against every answer the clients got (scripts/drill/checks.py). Stops the cluster at
# the end unless DRILL_KEEP=1 (or it was already running when the drill began).
#
# Last line: `cluster drill: N orders, M faults, L lost, D doubled, S stuck`; exits 1 when any of
# L, D, S is not 0 or any check fails (each failure is printed with its rows).
#
# Settings (environment):
#   DRILL_SECONDS         seconds of load (180; 60 is the short, CI-sized drill)
#   DRILL_CLIENTS         clients through the balancer, each with its own subscription (32)
#   DRILL_SETTLE_SECONDS  how long to wait after the load for orders to leave provisioning (150)
#   DRILL_KEEP            1 leaves the cluster running at the end
#   CLUSTER_PORT, CLUSTER_APP_PORT, CLUSTER_DB_PORT, CLUSTER_DATABASE, CLUSTER_BINARY: as for
#   scripts/cluster.sh, which this passes them to.
# The drill adds a reseller "Drill <run>" with its own customers and subscriptions on each run
# and checks only those: it can run again on the same data. Every write goes through the API (the
# double spend's credit is a manual credit adjustment by the provider admin); SQL only reads.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cluster=$repo/scripts/cluster.sh
export CLUSTER_PORT=${CLUSTER_PORT:-8080}

say() { echo "drill: $*" >&2; }

"$repo/scripts/apt-install.sh" python3 mariadb-client socat >/dev/null

started_here=0
if ! "$cluster" status 2>/dev/null | grep -q '^haproxy pid'; then
    started_here=1
fi
down() {
    local rc=$?
    if [[ ${DRILL_KEEP:-0} == 1 ]]; then
        say "DRILL_KEEP=1: the cluster keeps running (scripts/cluster.sh down stops it)"
    elif ((started_here)) || [[ ${DRILL_KEEP:-} == 0 ]]; then
        "$cluster" down || true
    else
        say "the cluster ran before the drill: left running (DRILL_KEEP=0 stops it)"
    fi
    exit "$rc"
}
trap down EXIT

# A cluster the drill starts runs a copy of the console binary: a rebuild during the drill (the
# tree is shared) must not put another binary on the node it restarts.
if ((started_here)) && [[ -z ${CLUSTER_BINARY:-} && -x $repo/.build/debug/console ]]; then
    mkdir -p "$repo/.local/cluster"
    cp "$repo/.build/debug/console" "$repo/.local/cluster/drill-console"
    export CLUSTER_BINARY=$repo/.local/cluster/drill-console
fi
say "console binary: ${CLUSTER_BINARY:-$repo/.build/debug/console}"

up_started=$SECONDS
"$cluster" up >/dev/null
say "cluster up in $((SECONDS - up_started)) s"
# Every node Synced and every app node in the balancer before the load begins.
for _ in $(seq 1 60); do
    status=$("$cluster" status)
    if [[ $(grep -c 'wsrep_cluster_size=3 wsrep_local_state_comment=Synced' <<<"$status") == 3 ]] \
        && grep -q 'servers: app1 UP, app2 UP, app3 UP' <<<"$status"; then
        break
    fi
    sleep 1
done
"$cluster" status >&2

/usr/bin/python3 "$repo/scripts/drill/drill.py"
