#!/usr/bin/env bash
# A whole cluster on 127.0.0.1, kept under .local/cluster of this repository: three MariaDB Galera
# nodes (Debian's mariadb-server and galera-4, state transfer by mariadb-backup), three
# `console serve` app nodes (app N uses database node N, each runs its own provisioning worker)
# and HAProxy in front of the app nodes. deploy/README.md ("A Galera cluster") describes it.
#
# Usage: scripts/cluster.sh up|down|status|kill NODE|stop NODE|start NODE   NODE: db1..db3, app1..app3, haproxy
#
#   up          starts whatever does not run yet (bootstrapping the cluster when no database node
#               runs), migrates and seeds through db1, and prints the URL and the demo logins
#   down        stops the balancer, the app nodes and the database nodes (db3, db2, db1); works
#               after partial failures
#   status      each node's state: wsrep_cluster_size and wsrep_local_state_comment, /healthz, the
#               balancer's view of the app nodes
#   kill NODE   kill -9 (a database node with its transfer helpers)
#   stop NODE   a clean stop (mariadb-admin shutdown; SIGTERM for the console and HAProxy)
#   start NODE  starts a stopped node; a database node rejoins (IST, or SST when it missed too much)
#               and is waited for until Synced
#
# Settings (environment):
#   CLUSTER_PORT         the balancer's port (8080)
#   CLUSTER_APP_PORT     app1's port; app2 and app3 take the next ones (8081)
#   CLUSTER_DB_PORT      db1's client port; db2 and db3 take the next ones (3411)
#   CLUSTER_GALERA_PORT  db1's Galera port (4577), CLUSTER_IST_PORT (4587), CLUSTER_SST_PORT (4597)
#   CLUSTER_DATABASE     the console's database (console); user console/console as in scripts/db.sh
#   CLUSTER_BINARY       the console executable (.build/debug/console, built if missing)
#   CLUSTER_TIMEOUT      seconds to wait for one node to be ready (300)
#   CLUSTER_APPS_ON_DB   a database node (1-3) every app node uses, instead of app N on db N; for
#                        scripts/bench/cluster-throughput.sh, which compares one Galera node with three
# Other settings of the console (CONSOLE_TEST_MODE, LOG_LEVEL, DATABASE_POOL_SIZE, ...) pass through.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin  # mariadbd and haproxy live in /usr/sbin

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
state=$repo/.local/cluster
balancer_port=${CLUSTER_PORT:-8080}
app_port=${CLUSTER_APP_PORT:-8081}
db_port=${CLUSTER_DB_PORT:-3411}
galera_port=${CLUSTER_GALERA_PORT:-4577}
ist_port=${CLUSTER_IST_PORT:-4587}
sst_port=${CLUSTER_SST_PORT:-4597}
database=${CLUSTER_DATABASE:-console}
binary=${CLUSTER_BINARY:-$repo/.build/debug/console}
timeout=${CLUSTER_TIMEOUT:-300}
apps_on_db=${CLUSTER_APPS_ON_DB:-}
[[ -z $apps_on_db || $apps_on_db =~ ^[123]$ ]] || { echo "cluster: CLUSTER_APPS_ON_DB is 1, 2 or 3" >&2; exit 2; }
sst_user=sst
sst_password=sst-local  # loopback only, like console/console of scripts/db.sh
db_nodes=(1 2 3)
app_nodes=(1 2 3)
packages=(mariadb-server mariadb-client galera-4 mariadb-backup socat haproxy curl)
# mariadbd refuses to run as root unless told to; as another user it runs as that user.
as_user=()
((EUID == 0)) && as_user=(--user=root)

say() { echo "cluster: $*" >&2; }
die() { say "$*"; exit 1; }

# A unix socket path must fit in sun_path (108 bytes); deep checkouts get a per-repo path in /tmp.
socket_path() {
    local path=$state/$1
    if ((${#path} > 100)); then
        path=/tmp/console-cluster-$(printf '%s' "$repo" | sha256sum | cut -c1-12)-${1//\//-}
    fi
    echo "$path"
}

# The pid in FILE if that process still runs and its /proc/PID/WHAT (cmdline or environ) holds the
# entry MARK: a pid file may be stale and its number reused.
live_pid() {
    local file=$1 what=$2 mark=$3 pid
    [[ -r $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    { tr '\0' '\n' <"/proc/$pid/$what"; } 2>/dev/null | grep -qxF -- "$mark" || return 1
    echo "$pid"
}

# Runs COMMAND... in the background in the repository, appending its output to LOG; $! is its pid.
# setsid + nohup: it outlives this script (and a Ctrl-C of make); it inherits no descriptor but
# 0-2, or whoever started us (a CI runner's pipe) would wait for it forever (see scripts/db.sh).
detach() {
    local log=$1
    shift
    (
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        cd "$repo"
        exec nohup setsid "$@"
    ) </dev/null >>"$log" 2>&1 &
}

# ---------------------------------------------------------------- database nodes

db_dir() { echo "$state/db$1"; }
db_data() { echo "$state/db$1/data"; }
db_cnf() { echo "$state/db$1/my.cnf"; }
db_log() { echo "$state/db$1/mariadbd.log"; }
db_pid_file() { echo "$state/db$1/mariadbd.pid"; }
db_socket() { socket_path "db$1/mysqld.sock"; }
db_client_port() { echo $((db_port + $1 - 1)); }
db_galera_port() { echo $((galera_port + $1 - 1)); }

root_client() {
    local node=$1
    shift
    mariadb --no-defaults --protocol=socket --socket="$(db_socket "$node")" -uroot "$@"
}

db_pid() { live_pid "$(db_pid_file "$1")" cmdline "--defaults-file=$(db_cnf "$1")"; }

db_running() { db_pid "$1" >/dev/null; }

# wsrep status of node N as "size state cluster-status", or nothing when it does not answer.
wsrep_state() {
    root_client "$1" --connect-timeout=2 -N -e "SELECT
        MAX(IF(VARIABLE_NAME = 'WSREP_CLUSTER_SIZE', VARIABLE_VALUE, NULL)),
        MAX(IF(VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT', VARIABLE_VALUE, NULL)),
        MAX(IF(VARIABLE_NAME = 'WSREP_CLUSTER_STATUS', VARIABLE_VALUE, NULL))
        FROM information_schema.GLOBAL_STATUS" 2>/dev/null | tr '\t' ' '
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_free() {
    local port
    for port in "$@"; do
        port_taken "$port" && die "port $port on 127.0.0.1 is taken by another program; see the CLUSTER_*_PORT settings at the top of scripts/cluster.sh"
    done
    return 0
}

# The node's configuration: deploy/mariadb.cnf and deploy/galera.cnf as an operator installs them,
# then what differs on one machine (paths, addresses and ports, smaller memory). Later lines win.
write_db_config() {
    local node=$1 all="" other
    for other in "${db_nodes[@]}"; do
        all+="${all:+,}127.0.0.1:$(db_galera_port "$other")"
    done
    {
        echo "# Generated by scripts/cluster.sh on every start: deploy/mariadb.cnf, deploy/galera.cnf, then node db$node."
        cat "$repo/deploy/mariadb.cnf" "$repo/deploy/galera.cnf"
        cat <<EOF

# ---- node db$node on 127.0.0.1 (scripts/cluster.sh)
[mariadbd]
datadir = $(db_data "$node")
socket = $(db_socket "$node")
port = $(db_client_port "$node")
bind_address = 127.0.0.1
pid_file = $(db_pid_file "$node")
log_error = $(db_log "$node")
innodb_buffer_pool_size = 256M
innodb_log_file_size = 96M

[galera]
wsrep_cluster_address = gcomm://$all
wsrep_node_name = db$node
wsrep_node_address = 127.0.0.1:$(db_galera_port "$node")
wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:$(db_galera_port "$node");ist.recv_addr=127.0.0.1:$((ist_port + node - 1));gcache.size=128M"
wsrep_sst_receive_address = 127.0.0.1:$((sst_port + node - 1))
wsrep_sst_auth = $sst_user:$sst_password
EOF
    } >"$(db_cnf "$node")"
}

db_initialised() { [[ -d $(db_data "$1")/mysql ]]; }

# A fresh data directory for the bootstrap node; joiners start empty and receive a snapshot.
initialise_db() {
    local node=$1 data scratch
    data=$(db_data "$node")
    scratch=$data.init
    rm -rf "$scratch"
    mkdir -p "$scratch"
    say "db$node: initialising $data"
    if ! mariadb-install-db --no-defaults --datadir="$scratch" --auth-root-authentication-method=normal \
        --skip-test-db --skip-name-resolve "${as_user[@]}" >"$(db_dir "$node")/install-db.log" 2>&1; then
        cat "$(db_dir "$node")/install-db.log" >&2
        die "db$node: mariadb-install-db failed (log: $(db_dir "$node")/install-db.log)"
    fi
    mv "$scratch" "$data"
}

# uuid:seqno of node N's last commit: from grastate.dat after a clean shutdown, else recovered
# from InnoDB (what Debian's galera_recovery does before every start). Nothing for an empty node.
db_position() {
    local node=$1 grastate uuid seqno log
    grastate=$(db_data "$node")/grastate.dat
    [[ -r $grastate ]] || return 0
    uuid=$(sed -n 's/^uuid:[[:space:]]*//p' "$grastate")
    seqno=$(sed -n 's/^seqno:[[:space:]]*//p' "$grastate")
    if [[ $seqno != -1 && -n $seqno ]]; then
        echo "$uuid:$seqno"
        return 0
    fi
    log=$(db_dir "$node")/recover.log
    rm -f "$log"
    # After a kill -9 with a transaction left XA-prepared, `--wsrep-recover` logs the position and
    # then does not exit (it opened the client port and grew to 23 GB once, scripts/cluster-drill.sh):
    # it is stopped as soon as the position is in its log, or after 120 s.
    mariadbd --defaults-file="$(db_cnf "$node")" "${as_user[@]}" --wsrep-recover --log-error="$log" >/dev/null 2>&1 &
    local recovering=$! waited
    for ((waited = 0; waited < 240; waited++)); do
        kill -0 "$recovering" 2>/dev/null || break
        grep -qs 'WSREP: Recovered position' "$log" && break
        sleep 0.5
    done
    if kill -0 "$recovering" 2>/dev/null; then
        kill -KILL "$recovering" 2>/dev/null || true
    fi
    wait "$recovering" 2>/dev/null || true
    sed -n 's/.*WSREP: Recovered position: *//p' "$log" | tail -n 1
}

db_seqno() { local position; position=$(db_position "$1"); echo "${position##*:}"; }

db_log_tail() { local log; log=$(db_log "$1"); if [[ -r $log ]]; then tail -n 30 "$log" >&2; fi; }

# Starts node N's mariadbd; "bootstrap" starts a new cluster (--wsrep-new-cluster) from its data.
launch_db() {
    local node=$1 mode=${2:-join} position extra=()
    mkdir -p "$(db_dir "$node")" "$(db_data "$node")"
    require_free "$(db_client_port "$node")" "$(db_galera_port "$node")" $((ist_port + node - 1)) $((sst_port + node - 1))
    write_db_config "$node"
    rm -f "$(db_pid_file "$node")" "$(db_socket "$node")"
    position=$(db_position "$node")
    [[ -n $position ]] && extra+=(--wsrep-start-position="$position")
    if [[ $mode == bootstrap ]]; then
        extra+=(--wsrep-new-cluster)
        # The node to bootstrap from is chosen by the caller; Galera only has to be told so.
        [[ -f $(db_data "$node")/grastate.dat ]] \
            && sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' "$(db_data "$node")/grastate.dat"
    fi
    say "db$node: starting mariadbd ($mode${position:+, at $position}) on 127.0.0.1:$(db_client_port "$node"), Galera port $(db_galera_port "$node")"
    detach "$(db_log "$node")" mariadbd --defaults-file="$(db_cnf "$node")" "${as_user[@]}" "${extra[@]}"
    wait_synced "$node" $!
}

# Waits until node N answers as Synced in the primary component.
wait_synced() {
    local node=$1 launched=${2:-} deadline=$((SECONDS + timeout)) status
    while ((SECONDS < deadline)); do
        status=$(wsrep_state "$node" || true)
        if [[ $status == *" Synced Primary" ]]; then
            say "db$node: Synced, cluster size ${status%% *}"
            return 0
        fi
        if [[ -n $launched ]] && ! kill -0 "$launched" 2>/dev/null; then
            db_log_tail "$node"
            die "db$node: mariadbd exited during start-up (log: $(db_log "$node"))"
        fi
        sleep 0.5
    done
    db_log_tail "$node"
    die "db$node: not Synced within $timeout s (state: ${status:-no answer}; log: $(db_log "$node"))"
}

# The users and the database, created once on the bootstrap node; Galera replicates them.
provision_db() {
    local node=$1 sql="" host
    sql+="CREATE USER IF NOT EXISTS '$sst_user'@'localhost' IDENTIFIED BY '$sst_password';"
    sql+="GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO '$sst_user'@'localhost';"
    sql+="CREATE DATABASE IF NOT EXISTS \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
    for host in localhost 127.0.0.1; do
        sql+="CREATE USER IF NOT EXISTS 'console'@'$host' IDENTIFIED BY 'console';"
        sql+="GRANT ALL PRIVILEGES ON *.* TO 'console'@'$host';"
    done
    root_client "$node" -e "$sql"
}

# Stops node N cleanly (its grastate.dat then records its position); kill -9 after 120 s.
stop_db() {
    local node=$1 pid
    if ! pid=$(db_pid "$node"); then
        rm -f "$(db_pid_file "$node")"
        return 0
    fi
    say "db$node: stopping (pid $pid)"
    mariadb-admin --no-defaults --socket="$(db_socket "$node")" -uroot --connect-timeout=5 shutdown >/dev/null 2>&1 \
        || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 240); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "db$node: still running after 120 s, kill -9"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    # Transfer helpers (wsrep_sst_mariabackup, mariadb-backup, socat) run in the server's session.
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$(db_pid_file "$node")"
}

running_db_nodes() {
    local node
    for node in "${db_nodes[@]}"; do
        db_running "$node" && echo "$node"
    done
    return 0
}

# Brings every database node up: joins the running cluster, or bootstraps one from the node that
# holds the latest commit (the one stopped last, safe_to_bootstrap: 1, else the highest seqno).
up_dbs() {
    local node running first="" best="" best_seqno=-2 seqno
    running=$(running_db_nodes)
    if [[ -z $running ]]; then
        for node in "${db_nodes[@]}"; do
            db_initialised "$node" || continue
            # A data directory without a known position (a restored backup) serves if no other has one.
            [[ -z $best ]] && best=$node
            mkdir -p "$(db_dir "$node")"
            write_db_config "$node"
            if grep -qs '^safe_to_bootstrap: *1' "$(db_data "$node")/grastate.dat"; then
                best=$node
                break
            fi
            seqno=$(db_seqno "$node")
            if [[ $seqno =~ ^-?[0-9]+$ ]] && ((seqno > best_seqno)); then
                best=$node
                best_seqno=$seqno
            fi
        done
        if [[ -z $best ]]; then
            best=${db_nodes[0]}
            mkdir -p "$(db_dir "$best")"
            initialise_db "$best"
        fi
        launch_db "$best" bootstrap
        provision_db "$best"
        first=$best
    fi
    for node in "${db_nodes[@]}"; do
        [[ $node == "$first" ]] && continue
        if db_running "$node"; then
            wait_synced "$node"
        else
            launch_db "$node" join
        fi
    done
    for node in "${db_nodes[@]}"; do
        local status
        status=$(wsrep_state "$node")
        [[ ${status%% *} == "${#db_nodes[@]}" ]] || die "db$node: cluster size ${status%% *}, expected ${#db_nodes[@]}"
    done
}

# ---------------------------------------------------------------- app nodes

app_pid_file() { echo "$state/app$1.pid"; }
app_log() { echo "$state/app$1.log"; }
app_port_of() { echo $((app_port + $1 - 1)); }

# An app node's environment names this cluster and the node.
app_pid() { live_pid "$(app_pid_file "$1")" environ "CLUSTER_NODE=$state/app$1"; }

app_running() { app_pid "$1" >/dev/null; }

healthz() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$1/healthz" 2>/dev/null || true; }

ensure_binary() {
    [[ -x $binary ]] && return 0
    [[ $binary == "$repo/.build/debug/console" ]] || die "CLUSTER_BINARY $binary is not an executable"
    say "building the console ($binary is missing)"
    local lock=${CLUSTER_BUILD_LOCK:-/work/coord/build.lock}
    if [[ -e $lock ]]; then
        (cd "$repo" && flock "$lock" swift build --product console)
    else
        (cd "$repo" && swift build --product console)
    fi
}

# `env` arguments for the console against database node N, with the user of scripts/db.sh.
console_env() {
    local node=$1
    console_env_args=(env -u DATABASE_URL -u DATABASE_SOCKET DATABASE_HOST=127.0.0.1 DATABASE_PORT="$(db_client_port "$node")"
        DATABASE_USER=console DATABASE_PASSWORD=console DATABASE_NAME="$database" CONSOLE_ROOT="$repo")
}

migrate_and_seed() {
    local node=$1
    say "migrating and seeding $database through db$node"
    console_env "$node"
    (cd "$repo" && "${console_env_args[@]}" "$binary" migrate >&2)
    (cd "$repo" && "${console_env_args[@]}" "$binary" seed) >"$state/logins.txt"
}

launch_app() {
    local node=$1 port launched deadline code db
    port=$(app_port_of "$node")
    db=${apps_on_db:-$node}
    require_free "$port"
    ensure_binary
    say "app$node: starting console serve on 127.0.0.1:$port against db$db"
    console_env "$db"
    # HAProxy connects from 127.0.0.1 and forwards the client's address in X-Forwarded-For.
    detach "$(app_log "$node")" "${console_env_args[@]}" HOST=127.0.0.1 PORT="$port" TRUSTED_PROXIES=127.0.0.1 CLUSTER_NODE="$state/app$node" "$binary" serve
    launched=$!
    echo "$launched" >"$(app_pid_file "$node")"
    echo "$db" >"$state/app$node.db"
    deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        code=$(healthz "$port")
        case $code in
            200) say "app$node: healthy"; return 0 ;;
            000 | "") ;;
            # It serves, but its database node does not answer: the balancer leaves it out until it does.
            *) say "app$node: serves, /healthz answers $code (is db$node up?)"; return 0 ;;
        esac
        if ! kill -0 "$launched" 2>/dev/null; then
            tail -n 30 "$(app_log "$node")" >&2
            die "app$node: console serve exited during start-up (log: $(app_log "$node"))"
        fi
        sleep 0.5
    done
    die "app$node: /healthz did not answer within $timeout s (log: $(app_log "$node"))"
}

# TERM (the console finishes its requests), kill -9 after 20 s.
stop_pid() {
    local name=$1 pid=$2
    say "$name: stopping (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.5
    done
    say "$name: still running after 20 s, kill -9"
    kill -KILL "$pid" 2>/dev/null || true
}

stop_app() {
    local pid
    if pid=$(app_pid "$1"); then stop_pid "app$1" "$pid"; fi
    rm -f "$(app_pid_file "$1")"
}

# ---------------------------------------------------------------- balancer

haproxy_cfg=$state/haproxy.cfg
haproxy_pid_file=$state/haproxy.pid
haproxy_log=$state/haproxy.log
haproxy_socket=$(socket_path haproxy.sock)

haproxy_pid() { live_pid "$haproxy_pid_file" cmdline "$haproxy_cfg"; }

# deploy/haproxy.cfg with this machine's bind address, app nodes, log and stats socket.
write_haproxy_config() {
    local servers="" node
    for node in "${app_nodes[@]}"; do
        servers+="    server app$node 127.0.0.1:$(app_port_of "$node") check"$'\n'
    done
    awk -v bind="127.0.0.1:$balancer_port" -v servers="$servers" -v sock="$haproxy_socket" '
        /^[^ \t#]/ { section = $1 }
        section == "global" && /^[ \t]+(log|chroot|user|group|daemon|pidfile|stats)([ \t]|$)/ { next }
        /^global([ \t]|$)/ {
            print "# Generated by scripts/cluster.sh from deploy/haproxy.cfg."
            print
            print "    log stdout format raw local0"
            print "    stats socket " sock " mode 600 level admin"
            next
        }
        /^[ \t]+bind[ \t]/ { if (!bound) print "    bind " bind; bound = 1; next }
        /^[ \t]+server[ \t]/ { if (!listed) printf "%s", servers; listed = 1; next }
        { print }
    ' "$repo/deploy/haproxy.cfg" >"$haproxy_cfg"
    haproxy -c -q -f "$haproxy_cfg" || die "haproxy refuses $haproxy_cfg"
}

launch_haproxy() {
    local launched
    require_free "$balancer_port"
    write_haproxy_config
    say "haproxy: balancing 127.0.0.1:$balancer_port over app$(IFS=,; echo "${app_nodes[*]}" | sed 's/,/, app/g')"
    detach "$haproxy_log" haproxy -db -f "$haproxy_cfg"
    launched=$!
    echo "$launched" >"$haproxy_pid_file"
    for _ in $(seq 1 40); do
        [[ $(healthz "$balancer_port") =~ ^(000)?$ ]] || return 0
        kill -0 "$launched" 2>/dev/null || { tail -n 20 "$haproxy_log" >&2; die "haproxy exited (log: $haproxy_log)"; }
        sleep 0.5
    done
    die "haproxy: 127.0.0.1:$balancer_port did not answer within 20 s (log: $haproxy_log)"
}

stop_haproxy() {
    local pid
    if pid=$(haproxy_pid); then stop_pid haproxy "$pid"; fi
    rm -f "$haproxy_pid_file"
}

# "app1 UP, app2 DOWN, ..." as the balancer sees its servers.
haproxy_servers() {
    [[ -S $haproxy_socket ]] || return 1
    echo "show stat" | socat -t 2 - "UNIX-CONNECT:$haproxy_socket" 2>/dev/null \
        | awk -F, '$1 == "console" && $2 != "BACKEND" && $2 != "FRONTEND" { printf "%s%s %s", sep, $2, $18; sep = ", " } END { print "" }'
}

# ---------------------------------------------------------------- commands

all_up() {
    local node
    for node in "${db_nodes[@]}"; do
        [[ $(wsrep_state "$node") == "${#db_nodes[@]} Synced Primary" ]] || return 1
    done
    for node in "${app_nodes[@]}"; do
        app_running "$node" || return 1
    done
    haproxy_pid >/dev/null
}

print_welcome() {
    echo
    echo "The console: http://127.0.0.1:$balancer_port (HAProxy over app nodes on ports $(app_port_of 1)-$(app_port_of ${#app_nodes[@]}), Galera nodes on $(db_client_port 1)-$(db_client_port ${#db_nodes[@]}))"
    [[ -r $state/logins.txt ]] && cat "$state/logins.txt"
    echo "scripts/cluster.sh status | kill NODE | start NODE | down"
}

cmd_up() {
    local started=$SECONDS node
    if ! command -v mariadbd >/dev/null || ! command -v haproxy >/dev/null || ! command -v socat >/dev/null \
        || ! command -v curl >/dev/null || ! command -v mariadb-backup >/dev/null || [[ ! -e /usr/lib/galera/libgalera_smm.so ]]; then
        "$repo/scripts/apt-install.sh" "${packages[@]}"
    fi
    mkdir -p "$state"
    if all_up; then
        say "already up"
        print_welcome
        return 0
    fi
    ensure_binary
    up_dbs
    migrate_and_seed "${db_nodes[0]}"
    for node in "${app_nodes[@]}"; do
        app_running "$node" || launch_app "$node"
    done
    haproxy_pid >/dev/null || launch_haproxy
    # The balancer takes a node back after two good checks.
    for _ in $(seq 1 20); do
        [[ $(haproxy_servers || true) =~ DOWN|/ ]] || break
        sleep 0.5
    done
    say "up in $((SECONDS - started)) s; balancer: $(haproxy_servers || echo '?')"
    print_welcome
}

cmd_down() {
    local node index
    stop_haproxy
    for node in "${app_nodes[@]}"; do stop_app "$node"; done
    # The last node stopped holds every commit: up bootstraps from it.
    for ((index = ${#db_nodes[@]} - 1; index >= 0; index--)); do
        stop_db "${db_nodes[index]}"
    done
    say "down"
}

cmd_status() {
    local node status pid code
    for node in "${db_nodes[@]}"; do
        if pid=$(db_pid "$node"); then
            status=$(wsrep_state "$node" || true)
            if [[ -n $status ]]; then
                read -r size comment primary <<<"$status"
                printf 'db%s    pid %-8s 127.0.0.1:%s  wsrep_cluster_size=%s wsrep_local_state_comment=%s wsrep_cluster_status=%s\n' \
                    "$node" "$pid" "$(db_client_port "$node")" "$size" "$comment" "$primary"
            else
                printf 'db%s    pid %-8s 127.0.0.1:%s  not answering (starting or transferring state?)\n' "$node" "$pid" "$(db_client_port "$node")"
            fi
        else
            printf 'db%s    down\n' "$node"
        fi
    done
    for node in "${app_nodes[@]}"; do
        if pid=$(app_pid "$node"); then
            code=$(healthz "$(app_port_of "$node")")
            printf 'app%s   pid %-8s 127.0.0.1:%s  /healthz %s (db%s)\n' "$node" "$pid" "$(app_port_of "$node")" "${code:-000}" "$(cat "$state/app$node.db" 2>/dev/null || echo "$node")"
        else
            printf 'app%s   down\n' "$node"
        fi
    done
    if pid=$(haproxy_pid); then
        printf 'haproxy pid %-8s 127.0.0.1:%s  /healthz %s; servers: %s\n' "$pid" "$balancer_port" \
            "$(healthz "$balancer_port")" "$(haproxy_servers || echo '?')"
    else
        printf 'haproxy down\n'
    fi
}

cmd_kill() {
    local node=$1 pid
    case $node in
        db[0-9]) pid=$(db_pid "${node#db}") || die "$node does not run" ;;
        app[0-9]) pid=$(app_pid "${node#app}") || die "$node does not run" ;;
        haproxy) pid=$(haproxy_pid) || die "haproxy does not run" ;;
    esac
    say "$node: kill -9 $pid"
    # A database node's session holds its state-transfer helpers too: they die with it, as in a crash.
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
    for _ in $(seq 1 20); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.25
    done
    die "$node (pid $pid) survived kill -9"
}

cmd_stop() {
    case $1 in
        db[0-9]) stop_db "${1#db}" ;;
        app[0-9]) stop_app "${1#app}" ;;
        haproxy) stop_haproxy ;;
    esac
}

cmd_start() {
    local node=$1 started=$SECONDS
    case $node in
        db[0-9])
            node=${node#db}
            db_running "$node" && { say "db$node already runs"; wait_synced "$node"; return 0; }
            [[ -n $(running_db_nodes) ]] || die "no database node runs: scripts/cluster.sh up bootstraps the cluster from the node with the latest commit"
            local before
            before=$(log_lines "$node")
            launch_db "$node" join
            say "db$node rejoined in $((SECONDS - started)) s ($(state_transfer "$node" "$before"))"
            ;;
        app[0-9])
            node=${node#app}
            app_running "$node" && { say "app$node already runs"; return 0; }
            launch_app "$node"
            say "app$node up in $((SECONDS - started)) s"
            ;;
        haproxy)
            haproxy_pid >/dev/null && { say "haproxy already runs"; return 0; }
            launch_haproxy
            ;;
    esac
}

# How node N's last start received the cluster's state: the lines its log gained since line $2.
state_transfer() {
    local lines
    lines=$(tail -n +"$(($2 + 1))" "$(db_log "$1")" 2>/dev/null || true)
    # The joiner runs wsrep_sst_mariabackup either way; the donor answers with a backup (SST) or
    # "Running IST" (the write sets the joiner missed, from its gcache).
    if grep -q 'Preparing the backup' <<<"$lines"; then
        echo "SST by mariadb-backup"
    elif grep -q 'Receiving IST' <<<"$lines"; then
        echo "IST: $(grep -o 'Receiving IST: [0-9]* writesets' <<<"$lines" | head -n 1 | sed 's/Receiving IST: //')"
    else
        echo "no transfer needed"
    fi
}

log_lines() { if [[ -r $(db_log "$1") ]]; then wc -l <"$(db_log "$1")"; else echo 0; fi; }

valid_node() {
    case ${1:-} in
        db[1-3] | app[1-3] | haproxy) return 0 ;;
        *) die "NODE must be one of db1 db2 db3 app1 app2 app3 haproxy" ;;
    esac
}

command=${1:-}
(($#)) && shift
case $command in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    kill) valid_node "${1:-}" && cmd_kill "$1" ;;
    start) valid_node "${1:-}" && cmd_start "$1" ;;
    stop) valid_node "${1:-}" && cmd_stop "$1" ;;
    *) echo "usage: scripts/cluster.sh up|down|status|kill NODE|stop NODE|start NODE   (NODE: db1..db3, app1..app3, haproxy)" >&2; exit 2 ;;
esac
