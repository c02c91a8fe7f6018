#!/usr/bin/env bash
# The single-node fault drill (issue 14): a throwaway MariaDB of its own (datadir, socket and port
# under the git-ignored .local/drill-single, never the shared server of scripts/db.sh), one
# `console serve` against it, and 8 clients running change orders end to end
# (scripts/drill/load.py) while the drill kills -9 the mariadbd at 10 s and restarts it on the same
# datadir at 14 s (InnoDB crash recovery); the console reconnects by itself. During the outage the
# API must answer 503 with a JSON error and /healthz 503 with a reason. After the load settles, the
# invariants of the cluster drill are checked by SQL (scripts/drill/checks.py).
#
# Last line: `single-node drill: N orders, 1 fault, L lost, D doubled, S stuck, outage answers: X 503 / Y other`;
# exits 1 on any failed check, any 5xx other than a JSON 503 (or no answer) during the outage, or
# any 5xx outside it. Always stops its console and its mariadbd; leaves the datadir for a look
# (the next run removes it).
#
# Settings (environment):
#   DRILL_SECONDS         seconds of load (40)
#   DRILL_CLIENTS         clients, each with its own subscription (8)
#   DRILL_SETTLE_SECONDS  bound for orders to leave provisioning after the load (60)
#   DRILL_DB_PORT         the throwaway MariaDB's port on 127.0.0.1 (3415)
#   DRILL_APP_PORT        the console's port (8089)
#   DRILL_KILL_AT, DRILL_RESTART_AT  seconds into the load (10, 14)
# Internal subcommands (used by scripts/drill/single_node.py): db-start, db-kill.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin PYTHONDONTWRITEBYTECODE=1

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
state=$repo/.local/drill-single
data_dir=$state/data
db_pid_file=$state/mariadbd.drill-pid
app_pid_file=$state/console.drill-pid
db_log=$state/mariadbd.log
app_log=$state/console.log
binary=$state/console
db_port=${DRILL_DB_PORT:-3415}
app_port=${DRILL_APP_PORT:-8089}
socket=$state/mysqld.sock
if ((${#socket} > 100)); then
    socket=/tmp/console-drill-single-$(printf '%s' "$repo" | sha256sum | cut -c1-12).sock
fi
as_user=()
((EUID == 0)) && as_user=(--user=root)

say() { echo "single-node drill: $*" >&2; }
die() { say "$*"; exit 1; }

root_client() { mariadb --no-defaults --protocol=socket --socket="$socket" -uroot "$@"; }
answering() { root_client --connect-timeout=2 -N -e 'SELECT 1' >/dev/null 2>&1; }
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The pid in a file of ours, if that process still runs.
live_pid() {
    local pid
    [[ -r $1 ]] || return 1
    pid=$(<"$1")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

# Starts mariadbd on the drill's datadir (the same options as scripts/db.sh, but every commit
# flushed: innodb_flush_log_at_trx_commit=1) and waits until it answers.
db_start() {
    rm -f "$socket"
    port_taken "$db_port" && die "port $db_port on 127.0.0.1 is taken; set DRILL_DB_PORT to a free port"
    (
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        exec setsid mariadbd --no-defaults "${as_user[@]}" \
            --datadir="$data_dir" --socket="$socket" --port="$db_port" --bind-address=127.0.0.1 \
            --pid-file="$state/mariadbd.pid" --log-error="$db_log" \
            --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=1 --skip-name-resolve \
            --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
            --max-connections=500 --innodb-lock-wait-timeout=10
    ) </dev/null >>"$db_log" 2>&1 &
    local pid=$!
    disown "$pid" 2>/dev/null || true   # its kill -9 is the drill's, not news for this shell
    echo "$pid" >"$db_pid_file"
    for _ in $(seq 1 120); do
        answering && return 0
        kill -0 "$pid" 2>/dev/null || { tail -n 20 "$db_log" >&2; die "mariadbd exited during start-up (log: $db_log)"; }
        sleep 0.25
    done
    tail -n 20 "$db_log" >&2
    die "mariadbd did not answer within 30 s (log: $db_log)"
}

db_kill() {
    local pid
    pid=$(live_pid "$db_pid_file") || die "no mariadbd of the drill runs"
    kill -9 "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    echo "killed mariadbd pid $pid"
}

case ${1:-} in
    db-start) db_start; echo "mariadbd pid $(<"$db_pid_file") answers"; exit 0 ;;
    db-kill) db_kill; exit 0 ;;
    "") ;;
    *) echo "usage: scripts/drill/single-node.sh [db-start|db-kill]" >&2; exit 2 ;;
esac

started=$SECONDS
rm -f "$state/summary"   # a previous run's
"$repo/scripts/apt-install.sh" python3 mariadb-server mariadb-client curl >/dev/null

cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    if [[ -n ${driver:-} ]] && kill -0 "$driver" 2>/dev/null; then kill -TERM "$driver" 2>/dev/null || true; fi
    if pid=$(live_pid "$app_pid_file"); then kill -TERM "$pid" 2>/dev/null || true; fi
    if pid=$(live_pid "$db_pid_file"); then kill -9 "$pid" 2>/dev/null || true; fi
    for _ in $(seq 1 50); do
        live_pid "$app_pid_file" >/dev/null || break
        sleep 0.1
    done
    if pid=$(live_pid "$app_pid_file"); then kill -9 "$pid" 2>/dev/null || true; fi
    rm -f "$socket"
    say "console and mariadbd stopped (logs and datadir left in $state); $((SECONDS - started)) s in all"
    if [[ -r $state/summary ]]; then cat "$state/summary"; else echo "single-node drill: did not finish (exit $rc)"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A previous run's processes, if it was killed before its trap ran.
for file in "$app_pid_file" "$db_pid_file"; do
    if pid=$(live_pid "$file"); then say "stopping a previous run's process $pid"; kill -9 "$pid" || true; fi
done
port_taken "$app_port" && die "port $app_port on 127.0.0.1 is taken; set DRILL_APP_PORT to a free port"
rm -rf "$state"
mkdir -p "$state"

# The console binary, copied aside: a rebuild in the shared tree must not swap it mid-drill.
if [[ ! -x $repo/.build/debug/console ]]; then
    (cd "$repo" && flock /work/coord/build.lock swift build --product console 2>&1 | tail -5)
fi
cp "$repo/.build/debug/console" "$binary"

say "initialising a throwaway MariaDB in $data_dir"
mariadb-install-db --no-defaults --datadir="$data_dir" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve "${as_user[@]}" >"$state/install-db.log" 2>&1 \
    || { cat "$state/install-db.log" >&2; die "mariadb-install-db failed"; }
db_start
sql="CREATE DATABASE IF NOT EXISTS console CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
for host in localhost 127.0.0.1; do
    sql+="CREATE USER IF NOT EXISTS 'console'@'$host' IDENTIFIED BY 'console';"
    sql+="GRANT ALL PRIVILEGES ON *.* TO 'console'@'$host';"
done
root_client -e "$sql"
say "mariadbd pid $(<"$db_pid_file") on 127.0.0.1:$db_port ($((SECONDS - started)) s)"

unset DATABASE_URL DATABASE_SOCKET
export DATABASE_HOST=127.0.0.1 DATABASE_PORT=$db_port DATABASE_USER=console DATABASE_PASSWORD=console DATABASE_NAME=console
export HOST=127.0.0.1 PORT=$app_port PROVISIONING_CLAIM_SECONDS=6 BCRYPT_COST=4 CONSOLE_ROOT=$repo
(cd "$repo" && "$binary" migrate >"$state/migrate.log" 2>&1 && "$binary" seed >"$state/seed.log" 2>&1) \
    || { tail -n 20 "$state/migrate.log" "$state/seed.log" >&2 || true; die "console migrate/seed failed"; }
(
    cd "$repo"
    exec setsid "$binary" serve </dev/null >"$app_log" 2>&1
) &
echo $! >"$app_pid_file"
for _ in $(seq 1 120); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$app_port/healthz" 2>/dev/null) == 200 ]] && break
    live_pid "$app_pid_file" >/dev/null || { tail -n 20 "$app_log" >&2; die "console serve exited (log: $app_log)"; }
    sleep 0.25
done
say "console pid $(<"$app_pid_file") on 127.0.0.1:$app_port ($((SECONDS - started)) s)"

export DRILL_DB_PORT=$db_port DRILL_APP_PORT=$app_port DRILL_STATE=$state
# In the background and waited for: a TERM or Ctrl-C runs the clean-up at once, not after the driver.
/usr/bin/python3 "$repo/scripts/drill/single_node.py" &
driver=$!
wait "$driver"
