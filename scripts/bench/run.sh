#!/usr/bin/env bash
# The benchmark (`make bench`, docs/performance.md): builds the release binary, seeds its own
# database in bulk, serves it, drives fixed routes with wrk and prints one table, then end-to-end
# change orders at 1 and at 32 clients, billing-run renewals/s and the server's peak RSS.
#
# Knobs (environment):
#   BENCH_SUBSCRIPTIONS  subscriptions to seed (default 1000000), spread evenly over the customers
#   BENCH_CUSTOMERS      bench customers (default 10000), under 32 resellers at depths 1-3
#   BENCH_DURATION       seconds per measured route (default 10), after BENCH_WARMUP seconds (default 2)
#   BENCH_CONNECTIONS    connections per route (default 32; wrk -t2)
#   BENCH_RENEWALS       subscriptions made due for the billing run (default 100000, at most a tenth of them)
#   BENCH_BINARY         the console binary to measure (default: build .build/release/console)
#   BENCH_ROOT           where its Views, Assets and migrations are (default: this checkout)
#   BENCH_PORT           the port it serves on (default 8090)
#   BENCH_DATABASE       the database it creates, drops first (default console_bench)
#   BENCH_ONLY           a regular expression: measure only the routes whose label matches
#   BENCH_LOG_DIR        where server and wrk output go (default .local/bench)
# Quick smoke run: BENCH_SUBSCRIPTIONS=20000 BENCH_CUSTOMERS=200 BENCH_DURATION=3 make bench
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$repo"
bench_dir=$repo/scripts/bench

subscriptions=${BENCH_SUBSCRIPTIONS:-1000000}
customers=${BENCH_CUSTOMERS:-10000}
duration=${BENCH_DURATION:-10}
warmup=${BENCH_WARMUP:-2}
connections=${BENCH_CONNECTIONS:-32}
port=${BENCH_PORT:-8090}
database=${BENCH_DATABASE:-console_bench}
root=${BENCH_ROOT:-$repo}
only=${BENCH_ONLY:-}
log_dir=${BENCH_LOG_DIR:-$repo/.local/bench}
reseller_chains=10   # chains provider → reseller → sub-reseller → sub-sub-reseller, besides Northwind and its Edge
renewals=${BENCH_RENEWALS:-100000}
((renewals > subscriptions / 10)) && renewals=$((subscriptions / 10))
password=console-demo-1   # the demo users' (console seed)

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
[[ $subscriptions =~ ^[0-9]+$ && $customers =~ ^[1-9][0-9]*$ && $duration =~ ^[1-9][0-9]*$ && $port =~ ^[0-9]+$ ]] \
    || die "BENCH_SUBSCRIPTIONS, BENCH_CUSTOMERS, BENCH_DURATION and BENCH_PORT are whole numbers"
per_customer=$((subscriptions / customers))
((per_customer >= 1)) || die "BENCH_SUBSCRIPTIONS must be at least BENCH_CUSTOMERS"
mkdir -p "$log_dir"

# --- tools, database server, binary -------------------------------------------------------------
scripts/apt-install.sh wrk curl
scripts/db.sh start
eval "$(scripts/db.sh env)"
export DATABASE_NAME=$database CONSOLE_ROOT=$root
binary=${BENCH_BINARY:-}
if [[ -z $binary ]]; then
    say "building the release binary"
    swift build -c release --product console
    binary=$repo/.build/release/console
fi
[[ -x $binary ]] || die "no executable at $binary"
sql() { scripts/db.sh mysql -N -B "$database" "$@"; }
# Statements sent to the database server: by every client (Questions), and by the console's own
# MariaDB user, named after the database (its SELECT, UPDATE and other commands in USER_STATISTICS,
# which needs userstat on; the runner turns it off again if it was off).
questions() { scripts/db.sh mysql -N -B -e "SHOW GLOBAL STATUS LIKE 'Questions'" | cut -f2; }
own_statements() {
    scripts/db.sh mysql -N -B -e "SELECT COALESCE(SUM(SELECT_COMMANDS + UPDATE_COMMANDS + OTHER_COMMANDS), 0)
        FROM information_schema.USER_STATISTICS WHERE USER = '$database'"
}
userstat_before=$(scripts/db.sh mysql -N -B -e "SELECT @@GLOBAL.userstat")
scripts/db.sh mysql -e "CREATE USER IF NOT EXISTS '$database'@'localhost' IDENTIFIED BY 'bench';
    CREATE USER IF NOT EXISTS '$database'@'127.0.0.1' IDENTIFIED BY 'bench';
    GRANT ALL PRIVILEGES ON \`$database\`.* TO '$database'@'localhost';
    GRANT ALL PRIVILEGES ON \`$database\`.* TO '$database'@'127.0.0.1';
    SET GLOBAL userstat = 1"
export DATABASE_USER=$database DATABASE_PASSWORD=bench

# The server, once started, is stopped on exit whatever happens; userstat is set back.
server_pid=
stop_server() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    server_pid=
}
finish() {
    stop_server
    ((userstat_before == 1)) || scripts/db.sh mysql -e "SET GLOBAL userstat = 0" || true
}
trap finish EXIT
trap 'exit 130' INT TERM

# --- database: migrate, demo seed, bulk seed ----------------------------------------------------
say "database $database: $subscriptions subscriptions under $customers customers ($per_customer each)"
scripts/db.sh mysql -e "DROP DATABASE IF EXISTS \`$database\`; CREATE DATABASE \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
"$binary" migrate >"$log_dir/migrate.log" 2>&1 || { cat "$log_dir/migrate.log" >&2; die "console migrate failed"; }
BCRYPT_COST=10 "$binary" seed >"$log_dir/seed.log" 2>&1 || { cat "$log_dir/seed.log" >&2; die "console seed failed"; }
seed_started=$SECONDS
{ echo "SET @customers = $customers, @per_customer = $per_customer, @chains = $reseller_chains;"; cat "$bench_dir/seed.sql"; } \
    | scripts/db.sh mysql -N -B "$database" >/dev/null
# The business clock stands still at 06:00 today for the whole run (test mode).
sql -e "INSERT INTO business_clock (id, clock_now, set_at, set_by) VALUES (1, CONCAT(UTC_DATE(), ' 06:00:00'), UTC_TIMESTAMP(6), 1)
        ON DUPLICATE KEY UPDATE clock_now = VALUES(clock_now), set_at = VALUES(set_at)"
say "bulk seed took $((SECONDS - seed_started)) s"

expected_subscriptions=$((customers * per_customer + 101))   # + Acme Corp's 100 and Fabrikam's 1 (demo)
counted=$(sql -e "SELECT COUNT(*) FROM subscriptions")
((counted == expected_subscriptions)) || die "seeded $counted subscriptions, expected $expected_subscriptions"
counted=$(sql -e "SELECT COUNT(*) FROM subscription_resources")
((counted == expected_subscriptions * 5)) || die "seeded $counted subscription lines, expected $((expected_subscriptions * 5))"
counted=$(sql -e "SELECT COUNT(*) FROM accounts WHERE kind = 'customer'")
((counted == customers + 4)) || die "seeded $counted customers, expected $((customers + 4))"
acme_subscriptions=($(sql -e "SELECT id FROM subscriptions WHERE customer_id = 5 ORDER BY id"))
((${#acme_subscriptions[@]} == 100)) || die "Acme Corp has ${#acme_subscriptions[@]} subscriptions, expected 100"

# --- serve ---------------------------------------------------------------------------------------
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && die "port $port is taken; set BENCH_PORT"
HOST=127.0.0.1 PORT=$port CONSOLE_TEST_MODE=1 BILLING_RUN_INTERVAL_MINUTES=0 LOG_LEVEL=warning \
    "$binary" serve >"$log_dir/server.log" 2>&1 &
server_pid=$!
base=http://127.0.0.1:$port
for _ in $(seq 1 100); do
    curl -fs -o /dev/null "$base/healthz" && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log_dir/server.log" >&2; die "the server exited"; }
    sleep 0.2
done
curl -fs -o /dev/null "$base/healthz" || die "the server does not answer /healthz on $base"
say "serving $binary (pid $server_pid) on $base"

token() {
    curl -fsS -X POST "$base/api/v1/tokens" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"$password\"}" | sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p'
}
# A page session: the sign-in form with its CSRF token, as a browser does it.
session_cookie() {
    local jar=$log_dir/cookies.$1 csrf
    rm -f "$jar"
    csrf=$(curl -fsS -c "$jar" -b "$jar" "$base/signin" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p')
    curl -fsS -o /dev/null -c "$jar" -b "$jar" -X POST "$base/signin" --data-urlencode "_csrf=$csrf" \
        --data-urlencode "email=$1" --data-urlencode "password=$password"
    awk '$6 == "console_session" { print "console_session=" $7 }' "$jar"
}
declare -A bearer cookie
for who in provider:admin@provider.test reseller:admin@northwind.test customer:admin@acme.test; do
    bearer[${who%%:*}]="Bearer $(token "${who#*:}")"
    cookie[${who%%:*}]=$(session_cookie "${who#*:}")
    [[ ${bearer[${who%%:*}]} != "Bearer " && -n ${cookie[${who%%:*}]} ]] || die "could not sign in as ${who#*:}"
done

# Spot check: the seeded rows read back through the API, each caller seeing its own subtree.
api() { curl -fsS -H "Authorization: ${bearer[$1]}" "$base$2"; }
# A subscription list's own ids: its items' "id" keys (their lines have none).
ids() { grep -o '"id":[0-9]*' | grep -o '[0-9]*' | tr '\n' ' '; }
[[ $(api customer "/api/v1/subscriptions?limit=200" | ids | wc -w) == 100 ]] || die "the customer does not read its 100 subscriptions"
[[ $(api provider "/api/v1/subscriptions?limit=50" | ids) == "$(sql -e "SELECT id FROM subscriptions ORDER BY id DESC LIMIT 50" | tr '\n' ' ')" ]] \
    || die "the provider's first 50 subscriptions differ from the database's"
[[ $(api reseller "/api/v1/subscriptions?limit=50" | ids) == "$(sql -e "SELECT id FROM subscriptions WHERE customer_path LIKE '/1/2/%' ORDER BY id DESC LIMIT 50" | tr '\n' ' ')" ]] \
    || die "the reseller's first 50 subscriptions differ from the database's"
deep=$(sql -e "SELECT s.id FROM subscriptions s JOIN accounts c ON c.id = s.customer_id WHERE c.depth = 4 ORDER BY s.id LIMIT 1")
api provider "/api/v1/subscriptions/$deep" | grep -q '"resource_code":"ram_gb"' || die "the provider cannot read subscription $deep (depth 4)"
say "spot check: the API reads back what was seeded"

peak_rss() { awk '/^VmHWM/ { print int($2 / 1024) " MB" }' "/proc/$server_pid/status"; }

# --- end-to-end change orders ---------------------------------------------------------------------
# Each client owns one of Acme Corp's subscriptions (the last one is kept for the quote and its page).
e2e_rows=()
failures=0
end_to_end() {
    local clients=$1 first=$2 owned before after q_before q_after own_before own_after out
    owned=$(IFS=,; echo "${acme_subscriptions[*]:first:clients}")
    before=$(sql -e "SELECT COUNT(*) FROM orders WHERE kind = 'change' AND status = 'completed'")
    q_before=$(questions) own_before=$(own_statements)
    out=$(BENCH_LUA_DIR=$bench_dir BENCH_AUTHORIZATION="${bearer[customer]}" BENCH_SUBSCRIPTION_IDS=$owned \
        wrk -t"$clients" -c"$clients" -d"${duration}s" --timeout 10s -s "$bench_dir/orders.lua" "$base" 2>>"$log_dir/wrk.log")
    q_after=$(questions) own_after=$(own_statements)
    sleep 1   # orders paid in the last moment finish provisioning
    after=$(sql -e "SELECT COUNT(*) FROM orders WHERE kind = 'change' AND status = 'completed'")
    echo "$out" >>"$log_dir/wrk.log"
    local unexpected seconds
    unexpected=$(sed -n 's/^BENCH unexpected=//p' <<<"$out")
    seconds=$(sed -n 's/^BENCH .*duration_us=\([0-9]*\).*/\1/p' <<<"$out")
    if [[ $unexpected != 0 ]]; then
        say "end to end at $clients: $unexpected unexpected answers (see $log_dir/wrk.log)"
        failures=$((failures + 1))
    fi
    e2e_rows+=("$(awk -v c="$clients" -v n=$((after - before)) -v us="$seconds" -v q=$((q_after - q_before)) -v o=$((own_after - own_before)) \
        'BEGIN { printf "| change orders, %d client%s | %.1f orders/s | %d in %.1f s | %.0f | %.0f |", c, (c > 1 ? "s" : ""), n / (us / 1e6), n, us / 1e6, (n ? o / n : 0), (n ? q / n : 0) }')")
    say "${e2e_rows[-1]}"
}
end_to_end 1 0
end_to_end "$connections" 1

# --- billing run ----------------------------------------------------------------------------------
# BENCH_RENEWALS bench subscriptions, spread over the customers, end their period 3 days after the
# business date: within the renewal lead (7 days), so the run invoices each one renewal.
step=$(((expected_subscriptions - 101) / (renewals > 0 ? renewals : 1)))
ends="(SELECT DATE(clock_now) + INTERVAL 3 DAY FROM business_clock)"
sql -e "UPDATE subscriptions SET period_end = $ends, period_start = $ends - INTERVAL 1 MONTH, paid_until = $ends, anchor_day = DAY($ends)
        WHERE customer_id > 8 AND id % $step = 0 ORDER BY id LIMIT $renewals"
due=$(sql -e "SELECT COUNT(*) FROM subscriptions WHERE period_end = $ends")
say "billing run: $due subscriptions due"
q_before=$(questions) own_before=$(own_statements)
billing_started=$(date +%s.%N)
CONSOLE_TEST_MODE=1 "$binary" billing-run >"$log_dir/billing-run.log" 2>&1 || { tail -5 "$log_dir/billing-run.log" >&2; die "console billing-run failed"; }
billing_seconds=$(awk -v s="$billing_started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
q_after=$(questions) own_after=$(own_statements)
renewed=$(sql -e "SELECT COUNT(*) FROM orders WHERE kind = 'renewal'")
((renewed == due)) || say "billing run: $renewed renewal orders for $due subscriptions due"
billing_row=$(awk -v n="$renewed" -v s="$billing_seconds" -v q=$((q_after - q_before)) -v o=$((own_after - own_before)) \
    'BEGIN { printf "| billing run (`console billing-run`) | %.0f renewals/s | %d in %.1f s | %.2f | %.2f |", n / s, n, s, (n ? o / n : 0), (n ? q / n : 0) }')
say "$billing_row"

# --- the routes -----------------------------------------------------------------------------------
quote_subscription=${acme_subscriptions[99]}
quote_body='{"resources":[{"resource_code":"ram_gb","additional":1}]}'
# label | caller (none, provider, reseller, customer; page routes sign in with a cookie) | method | path
routes=(
    "/healthz|none|GET|/healthz"
    "/assets/console.css (static)|none|GET|/assets/console.css"
    "GET /api/v1/subscriptions?limit=50, provider|provider|GET|/api/v1/subscriptions?limit=50"
    "GET /api/v1/subscriptions?limit=50, reseller|reseller|GET|/api/v1/subscriptions?limit=50"
    "GET /api/v1/subscriptions?limit=50, customer|customer|GET|/api/v1/subscriptions?limit=50"
    "page /subscriptions, provider|page:provider|GET|/subscriptions"
    "page /subscriptions, reseller|page:reseller|GET|/subscriptions"
    "page /subscriptions, customer|page:customer|GET|/subscriptions"
    "page /subscriptions/{id}, customer|page:customer|GET|/subscriptions/$quote_subscription"
    "page /dashboard, provider|page:provider|GET|/dashboard"
    "page /dashboard, reseller|page:reseller|GET|/dashboard"
    "page /dashboard, customer|page:customer|GET|/dashboard"
    "GET /api/v1/accounts?limit=50, provider|provider|GET|/api/v1/accounts?limit=50"
    "GET /api/v1/accounts?limit=50, reseller|reseller|GET|/api/v1/accounts?limit=50"
    "page /accounts, provider|page:provider|GET|/accounts"
    "page /accounts, reseller|page:reseller|GET|/accounts"
    "GET /api/v1/orders?limit=50, provider|provider|GET|/api/v1/orders?limit=50"
    "GET /api/v1/orders?limit=50, reseller|reseller|GET|/api/v1/orders?limit=50"
    "GET /api/v1/orders?limit=50, customer|customer|GET|/api/v1/orders?limit=50"
    "page /orders, provider|page:provider|GET|/orders"
    "page /orders, reseller|page:reseller|GET|/orders"
    "page /orders, customer|page:customer|GET|/orders"
    "GET /api/v1/invoices?limit=50, provider|provider|GET|/api/v1/invoices?limit=50"
    "GET /api/v1/invoices?limit=50, reseller|reseller|GET|/api/v1/invoices?limit=50"
    "GET /api/v1/invoices?limit=50, customer|customer|GET|/api/v1/invoices?limit=50"
    "page /invoices, provider|page:provider|GET|/invoices"
    "page /invoices, reseller|page:reseller|GET|/invoices"
    "page /invoices, customer|page:customer|GET|/invoices"
    "GET /api/v1/payments?limit=50, provider|provider|GET|/api/v1/payments?limit=50"
    "GET /api/v1/payments?limit=50, customer|customer|GET|/api/v1/payments?limit=50"
    "page /payments, provider|page:provider|GET|/payments"
    "page /payments, customer|page:customer|GET|/payments"
    "GET /api/v1/accounts/5/credit, customer|customer|GET|/api/v1/accounts/5/credit"
    "page /accounts/5/credit (credit log), customer|page:customer|GET|/accounts/5/credit"
    "page /audit, provider|page:provider|GET|/audit"
    "page /audit, reseller|page:reseller|GET|/audit"
    "page /audit, customer|page:customer|GET|/audit"
    "POST /api/v1/subscriptions/{id}/quotes (+1 RAM), customer|customer|POST|/api/v1/subscriptions/$quote_subscription/quotes"
    "same quote, 1 connection|customer|POST|/api/v1/subscriptions/$quote_subscription/quotes|1"
)

healthz_rate=
table_rows=()
load_before_routes=$(cut -d' ' -f1-3 /proc/loadavg)
for route in "${routes[@]}"; do
    IFS='|' read -r label caller method path conns <<<"$route"
    [[ -z $only || $label =~ $only || $label == /healthz ]] || continue
    conns=${conns:-$connections}
    threads=$((conns < 2 ? conns : 2))
    authorization= session= body=
    case $caller in
        none) ;;
        page:*) session=${cookie[${caller#page:}]} ;;
        *) authorization=${bearer[$caller]} ;;
    esac
    [[ $method == POST ]] && body=$quote_body
    # Once by hand first: the route must answer 200 (wrk does not count a redirect to sign-in as an error).
    status=$(curl -s -o /dev/null -w '%{http_code}' -X "$method" ${authorization:+-H "Authorization: $authorization"} \
        ${session:+-H "Cookie: $session"} ${body:+-H 'Content-Type: application/json' --data "$body"} "$base$path")
    if [[ $status != 200 ]]; then
        say "$label answers $status, not 200: skipped"
        table_rows+=("| $label | answers $status | | | | | |")
        failures=$((failures + 1))
        continue
    fi
    run_wrk() {
        BENCH_LUA_DIR=$bench_dir BENCH_METHOD=$method BENCH_BODY=$body BENCH_AUTHORIZATION=$authorization BENCH_COOKIE=$session \
            wrk -t"$threads" -c"$conns" -d"$1" --timeout 10s -s "$bench_dir/request.lua" "$base$path" 2>>"$log_dir/wrk.log"
    }
    run_wrk "${warmup}s" >/dev/null
    q_before=$(questions) own_before=$(own_statements)
    out=$(run_wrk "${duration}s")
    q_after=$(questions) own_after=$(own_statements)
    printf '%s\n%s\n' "== $label" "$out" >>"$log_dir/wrk.log"
    line=$(grep '^BENCH requests=' <<<"$out") || die "wrk printed no summary for $label (see $log_dir/wrk.log)"
    read -r requests micros p50 p99 non2xx socket_errors < <(sed 's/[a-z0-9_]*=//g; s/^BENCH //' <<<"$line")
    rate=$(awk -v n="$requests" -v us="$micros" 'BEGIN { printf "%.1f", n / (us / 1e6) }')
    [[ -n $healthz_rate ]] || healthz_rate=$rate
    if ((non2xx + socket_errors > 0)); then
        say "$label: $non2xx answers not 2xx, $socket_errors socket errors"
        failures=$((failures + 1))
    fi
    row=$(awk -v l="$label" -v r="$rate" -v p50="$p50" -v p99="$p99" -v q=$((q_after - q_before)) -v o=$((own_after - own_before)) \
        -v n="$requests" -v h="$healthz_rate" -v e=$((non2xx + socket_errors)) \
        'function ms(us) { return us < 10000 ? sprintf("%.2f ms", us / 1000) : sprintf("%.0f ms", us / 1000) }
         BEGIN { printf "| %s | %.0f | %s | %s | %.1f | %.1f | %.3f |%s", l, r, ms(p50), ms(p99), o / n, q / n, r / h, (e ? " " e " errors" : "") }')
    table_rows+=("$row")
    say "$row"
done

# --- the report -----------------------------------------------------------------------------------
rss=$(peak_rss)
{
    echo
    echo "## console benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $binary"
    echo
    echo "$expected_subscriptions subscriptions, $((customers + 4)) customers; wrk -t2 -c$connections, ${warmup} s warm-up then ${duration} s per route;"
    echo "load average $load_before_routes before the routes, $(cut -d' ' -f1-3 /proc/loadavg) after, on $(nproc) CPUs."
    echo "Statements per request or order: the console's own (its MariaDB user's commands in USER_STATISTICS) and"
    echo "Questions (the database server's counter: every statement of every client) over wrk's window."
    echo
    echo "| route | req/s | p50 | p99 | statements/request | Questions/request | ratio to /healthz |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${table_rows[@]}"
    echo
    echo "| end to end | rate | completed | statements each | Questions each |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${e2e_rows[@]}"
    echo "$billing_row"
    echo "| server peak RSS (VmHWM), whole run | $rss | | | |"
} | tee "$log_dir/report.md"
((failures == 0)) || die "$failures routes or runs did not answer as they should (see above and $log_dir/wrk.log)"
