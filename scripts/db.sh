#!/usr/bin/env bash
# A private MariaDB server for development and tests, kept under .local/mariadb of this repository.
#
# Usage: scripts/db.sh install|start|stop|restart|status|env|mysql [mariadb client args...]
#
# The server listens on its own unix socket and on 127.0.0.1:${DB_PORT:-3407}; it never touches a
# system MariaDB. Root has no password (socket and loopback only). The application user
# console/console holds ALL PRIVILEGES ON *.* (which includes RELOAD, PROCESS, SHUTDOWN and
# CONNECTION ADMIN) so tests may create databases, kill connections and restart the server.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin  # mariadbd lives in /usr/sbin, often missing from non-root PATHs

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
state_dir=$repo/.local/mariadb
data_dir=$state_dir/data
pid_file=$state_dir/mariadbd.pid
log_file=$state_dir/mariadbd.log
port=${DB_PORT:-3407}
# mariadbd refuses to run as root unless told to; as another user it runs as that user.
as_user=()
((EUID == 0)) && as_user=(--user=root)

socket=$state_dir/mysqld.sock
# A unix socket path must fit in sun_path (108 bytes); deep checkouts get a per-repo path in /tmp.
if ((${#socket} > 100)); then
    socket=/tmp/console-mariadb-$(printf '%s' "$repo" | sha256sum | cut -c1-12).sock
fi

packages=(mariadb-server mariadb-client libmariadb-dev pkg-config libjs-bootstrap5 libjs-chart.js)
databases=(console console_test)

say() { echo "db: $*" >&2; }
die() { say "$*"; exit 1; }

root_client() { mariadb --no-defaults --protocol=socket --socket="$socket" -uroot "$@"; }

answering() { root_client --connect-timeout=2 -N -e 'SELECT 1' >/dev/null 2>&1; }

# The pid of our mariadbd, if one runs: the pid file may be stale and its number reused after a reboot.
server_pid() {
    local pid
    [[ -r $pid_file ]] || return 1
    pid=$(<"$pid_file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--datadir=$data_dir " || return 1
    echo "$pid"
}

log_tail() { if [[ -r $log_file ]]; then tail -n 30 "$log_file" >&2; fi; }

cmd_install() {
    "$repo/scripts/apt-install.sh" "${packages[@]}"
}

initialise() {
    [[ -d $data_dir ]] && return 0
    # Initialise beside the final place and rename, so an interrupted run never looks initialised.
    local scratch=$data_dir.init
    rm -rf "$scratch"
    mkdir -p "$scratch"
    say "initialising $data_dir"
    if ! mariadb-install-db --no-defaults --datadir="$scratch" --auth-root-authentication-method=normal \
        --skip-test-db --skip-name-resolve "${as_user[@]}" >"$state_dir/install-db.log" 2>&1; then
        cat "$state_dir/install-db.log" >&2
        die "mariadb-install-db failed (log: $state_dir/install-db.log)"
    fi
    mv "$scratch" "$data_dir"
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

launch() {
    rm -f "$pid_file" "$socket"
    if port_taken; then
        die "port $port on 127.0.0.1 is taken by another program (another clone's server?); set DB_PORT to a free port"
    fi
    say "starting mariadbd on $socket and 127.0.0.1:$port"
    # setsid + nohup: the server outlives this script, make, and a Ctrl-C in the terminal that started it.
    # The server must not inherit any descriptor of whoever started it (a CI runner's output
    # pipe, a test runner's process-exit pipe): they would wait for it forever. Close all but 0-2.
    (
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        exec nohup setsid mariadbd --no-defaults "${as_user[@]}" \
            --datadir="$data_dir" --socket="$socket" --port="$port" --bind-address=127.0.0.1 \
            --pid-file="$pid_file" --log-error="$log_file" \
            --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 --skip-name-resolve \
            --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
            --max-connections=500 --innodb-lock-wait-timeout=10
    ) </dev/null >>"$log_file" 2>&1 &
    local launched=$!
    for _ in $(seq 1 120); do
        answering && return 0
        if ! kill -0 "$launched" 2>/dev/null; then
            log_tail
            die "mariadbd exited during start-up (log: $log_file)"
        fi
        sleep 0.5
    done
    log_tail
    die "mariadbd did not answer within 60 s (log: $log_file)"
}

wait_answering() {
    for _ in $(seq 1 120); do
        answering && return 0
        server_pid >/dev/null || return 1
        sleep 0.5
    done
    return 1
}

provision() {
    local sql="" db host
    for db in "${databases[@]}"; do
        sql+="CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
    done
    for host in localhost 127.0.0.1; do
        sql+="CREATE USER IF NOT EXISTS 'console'@'$host' IDENTIFIED BY 'console';"
        sql+="ALTER USER 'console'@'$host' IDENTIFIED BY 'console';"
        sql+="GRANT ALL PRIVILEGES ON *.* TO 'console'@'$host';"
    done
    root_client -e "$sql"
}

cmd_start() {
    if ! command -v mariadbd >/dev/null || ! command -v mariadb-install-db >/dev/null || ! command -v mariadb >/dev/null; then
        cmd_install
    fi
    mkdir -p "$state_dir"
    if server_pid >/dev/null; then
        wait_answering || { log_tail; die "mariadbd (pid $(server_pid || echo gone)) runs but does not answer on $socket"; }
        local running_port
        running_port=$(root_client -N -e 'SELECT @@port')
        [[ $running_port == "$port" ]] \
            || die "the server already runs on port $running_port; use DB_PORT=$running_port or run scripts/db.sh restart"
        say "already running (pid $(server_pid))"
    else
        initialise
        launch
    fi
    provision
    say "ready: socket $socket, 127.0.0.1:$port, user console/console, databases ${databases[*]}"
}

cmd_stop() {
    local pid
    if ! pid=$(server_pid); then
        rm -f "$pid_file" "$socket"
        say "not running"
        return 0
    fi
    say "stopping mariadbd (pid $pid)"
    mariadb-admin --no-defaults --socket="$socket" -uroot shutdown >/dev/null 2>&1 \
        || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 180); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$socket"; say "stopped"; return 0; }
        sleep 0.5
    done
    die "mariadbd (pid $pid) still runs after 90 s; see $log_file"
}

cmd_status() {
    if answering; then
        say "running (pid $(server_pid || echo '?')): socket $socket, 127.0.0.1:$(root_client -N -e 'SELECT @@port'), $(root_client -N -e 'SELECT VERSION()')"
    else
        say "not running"
        return 1
    fi
}

cmd_env() {
    # DATABASE_URL would take precedence over the parts below, so it is cleared.
    cat <<EOF
unset DATABASE_URL
export DATABASE_SOCKET=$(printf '%q' "$socket")
export DATABASE_HOST=127.0.0.1
export DATABASE_PORT=$port
export DATABASE_USER=console
export DATABASE_PASSWORD=console
export DATABASE_NAME=console
export TEST_DATABASE_NAME=console_test
EOF
}

command=${1:-}
(($#)) && shift
case $command in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_stop && cmd_start ;;
    status) cmd_status ;;
    env) cmd_env ;;
    mysql) root_client "$@" ;;
    *) echo "usage: scripts/db.sh install|start|stop|restart|status|env|mysql [args...]" >&2; exit 2 ;;
esac
