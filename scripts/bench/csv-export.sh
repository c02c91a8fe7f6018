#!/usr/bin/env bash
# The CSV export at scale (issue 16, item 2): seeds CSV_SUBSCRIPTIONS subscriptions (default
# 1,000,000) with the benchmark's bulk seed (scripts/bench/seed.sql: 10,000 customers under 32
# resellers, MariaDB's sequence engine), serves a console, streams `GET /api/v1/subscriptions` with
# `Accept: text/csv` through curl as the provider admin (every row) and as Northwind's admin (its
# subtree), and samples the server's memory while it streams: rows, seconds, bytes and the peak RSS
# (VmHWM, whole server life) against the memory bound of issue "Performance" (docs/performance.md,
# 150 MB). Not part of `make test`: `make bench-csv`.
#
# Settings: CSV_BINARY (the console to run; default .build/release/console if built, else
# .build/debug/console), CSV_SUBSCRIPTIONS, CSV_CUSTOMERS (10000), CSV_PORT (8092),
# CSV_DATABASE (console_csv_bench, dropped and created), CSV_LOG_DIR (.local/bench-csv),
# CSV_RSS_BOUND_MB (150).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$repo"

subscriptions=${CSV_SUBSCRIPTIONS:-1000000}
customers=${CSV_CUSTOMERS:-10000}
port=${CSV_PORT:-8092}
database=${CSV_DATABASE:-console_csv_bench}
log_dir=${CSV_LOG_DIR:-$repo/.local/bench-csv}
bound_mb=${CSV_RSS_BOUND_MB:-150}
password=console-demo-1
say() { printf 'csv-export: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
[[ $subscriptions =~ ^[0-9]+$ && $customers =~ ^[1-9][0-9]*$ && $port =~ ^[0-9]+$ ]] || die "CSV_SUBSCRIPTIONS, CSV_CUSTOMERS and CSV_PORT are whole numbers"
per_customer=$((subscriptions / customers))
((per_customer >= 1)) || die "CSV_SUBSCRIPTIONS must be at least CSV_CUSTOMERS"
binary=${CSV_BINARY:-}
if [[ -z $binary ]]; then
    if [[ -x .build/release/console ]]; then binary=$repo/.build/release/console; else binary=$repo/.build/debug/console; fi
fi
[[ -x $binary ]] || die "no console at $binary: build it first (swift build [-c release] --product console)"
mkdir -p "$log_dir"

scripts/apt-install.sh curl
scripts/db.sh start >/dev/null
eval "$(scripts/db.sh env)"
export DATABASE_NAME=$database
sql() { scripts/db.sh mysql -N -B "$database" "$@"; }

say "database $database: $((customers * per_customer)) bench subscriptions ($customers customers × $per_customer) and the demo's"
scripts/db.sh mysql -e "DROP DATABASE IF EXISTS \`$database\`; CREATE DATABASE \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
"$binary" migrate >"$log_dir/migrate.log" 2>&1 || { cat "$log_dir/migrate.log" >&2; die "console migrate failed"; }
BCRYPT_COST=10 "$binary" seed >"$log_dir/seed.log" 2>&1 || { cat "$log_dir/seed.log" >&2; die "console seed failed"; }
started=$SECONDS
{ echo "SET @customers = $customers, @per_customer = $per_customer, @chains = 10;"; cat scripts/bench/seed.sql; } | sql >/dev/null
total=$(sql -e "SELECT COUNT(*) FROM subscriptions")
say "seeded in $((SECONDS - started)) s: $total subscriptions"

(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && die "port $port is taken; set CSV_PORT"
HOST=127.0.0.1 PORT=$port BILLING_RUN_INTERVAL_MINUTES=0 PROVISIONING_WORKER=0 LOG_LEVEL=warning "$binary" serve >"$log_dir/server.log" 2>&1 &
server=$!
stop() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
trap stop EXIT
base=http://127.0.0.1:$port
for _ in $(seq 1 100); do curl -fs -o /dev/null "$base/healthz" && break; sleep 0.2; done
curl -fs -o /dev/null "$base/healthz" || { cat "$log_dir/server.log" >&2; die "the console does not answer on $base"; }
token() {
    curl -fsS -X POST "$base/api/v1/tokens" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"$password\"}" | sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p'
}
rss_mb() { awk "/^$1/ { print int(\$2 / 1024) }" "/proc/$server/status"; }

echo "| export | rows | seconds | bytes | rows/s | server RSS before | peak RSS (VmHWM) after | bound |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for who in admin@provider.test admin@northwind.test; do
    out=$log_dir/subscriptions-$who.csv
    before=$(rss_mb VmRSS)
    # Sample the current RSS while the file streams; VmHWM keeps the peak of the server's whole life.
    ( while kill -0 "$server" 2>/dev/null; do rss_mb VmRSS; sleep 0.2; done ) >"$log_dir/rss-$who.txt" &
    sampler=$!
    start=$(date +%s.%N)
    curl -fsS -N -H "Authorization: Bearer $(token "$who")" -H 'Accept: text/csv' -o "$out" "$base/api/v1/subscriptions"
    end=$(date +%s.%N)
    kill "$sampler" 2>/dev/null || true
    rows=$(($(wc -l <"$out") - 1))
    bytes=$(stat -c %s "$out")
    seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    rate=$(awk -v r="$rows" -v s="$seconds" 'BEGIN { printf "%d", r / s }')
    expected=$(if [[ $who == admin@provider.test ]]; then echo "$total"; else
        sql -e "SELECT COUNT(*) FROM subscriptions s JOIN accounts a ON a.id = 2 WHERE s.customer_path LIKE CONCAT(a.path, '%')"; fi)
    ((rows == expected)) || die "$who: $rows rows in the file, $expected in the database"
    [[ $(tail -c 2 "$out" | od -An -c | tr -d ' ') == '\r\n' ]] || die "$who: the file does not end with CRLF"
    echo "| subscriptions as $who | $rows | $seconds | $bytes | $rate | $before MB | $(rss_mb VmHWM) MB | $bound_mb MB |"
done
peak=$(rss_mb VmHWM)
say "peak RSS $peak MB (bound $bound_mb MB); binary $binary"
((peak <= bound_mb)) || die "peak RSS $peak MB is above the bound of $bound_mb MB"
