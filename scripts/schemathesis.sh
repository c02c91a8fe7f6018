#!/usr/bin/env bash
# Runs schemathesis (pinned, in the git-ignored venv .local/venv) against a real `console serve`:
# a fresh database, migrated and seeded; the server in test mode on a spare port; a bearer token
# of the seeded provider admin; every operation of openapi/openapi.yaml checked for server errors
# and for conformance (status codes, content types, response schemas, 405 for methods a path
# lacks). Exits non-zero on any failure. Expects a built .build/debug/console (CONSOLE_BIN) and
# the private MariaDB running (make test does both).
#
# Settings: SCHEMATHESIS_PORT (a free one), SCHEMATHESIS_DATABASE (console_schemathesis),
# SCHEMATHESIS_MAX_EXAMPLES (per operation, 100), SCHEMATHESIS_SEED (fixed, so runs repeat).
set -euo pipefail
cd "$(dirname "$0")/.."

version=4.32.5
# A port nothing listens on, unless one is given.
port=${SCHEMATHESIS_PORT:-$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
database=${SCHEMATHESIS_DATABASE:-console_schemathesis}
examples=${SCHEMATHESIS_MAX_EXAMPLES:-100}
seed=${SCHEMATHESIS_SEED:-20261203}
venv=.local/venv
console=${CONSOLE_BIN:-.build/debug/console}
work=.local/schemathesis
mkdir -p "$work"

if [[ ! -x $venv/bin/schemathesis ]] || [[ $("$venv/bin/schemathesis" --version 2>/dev/null) != *" $version" ]]; then
    echo "schemathesis: installing schemathesis==$version into $venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

eval "$(scripts/db.sh env)"
export DATABASE_NAME=$database
scripts/db.sh mysql -e "DROP DATABASE IF EXISTS \`$database\`; CREATE DATABASE \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
"$console" migrate >/dev/null
"$console" seed >/dev/null

log=$work/server.log
HOST=127.0.0.1 PORT=$port CONSOLE_TEST_MODE=1 BILLING_RUN_INTERVAL_MINUTES=0 LOG_LEVEL=info \
    "$console" serve >"$log" 2>&1 &
server=$!
stop() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
}
trap stop EXIT

base=http://127.0.0.1:$port
for _ in $(seq 1 100); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { echo "schemathesis: the console did not start:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.2
done

token=$(curl -fsS -X POST "$base/api/v1/tokens" -H 'Content-Type: application/json' \
    -d '{"email":"admin@provider.test","password":"console-demo-1"}' | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

status=0
"$venv/bin/schemathesis" run openapi/openapi.yaml --url "$base" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,unsupported_method \
    --phases examples,coverage,fuzzing --max-examples "$examples" --seed "$seed" --workers 2 \
    --generation-database none --request-timeout 30 --no-color \
    --report junit --report-junit-path "$work/junit.xml" || status=$?

# A trap or a crash of the server is a failure even if every answer before it conformed.
if ! kill -0 "$server" 2>/dev/null; then
    echo "schemathesis: the console died during the run; the end of its log:" >&2
    tail -50 "$log" >&2
    status=1
elif ! curl -fsS "$base/healthz" >/dev/null; then
    echo "schemathesis: /healthz no longer answers 200" >&2
    status=1
fi
if grep -q '"request failed"\|request failed' "$log"; then
    echo "schemathesis: the console logged failed requests:" >&2
    grep 'request failed' "$log" | head -20 >&2
fi
exit "$status"
