#!/usr/bin/env bash
# Checks the scrape config and the alert rules with promtool (Debian's `prometheus` package, about
# 100 MB, so not installed by `make test`: `scripts/apt-install.sh prometheus` first), and runs
# the rules' unit tests. The config names the token file of a real host; a stand-in is used here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v promtool >/dev/null || { echo "check.sh: promtool not found (scripts/apt-install.sh prometheus)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "stand-in-token-0123456789" > "$work/token"
sed "s|/etc/prometheus/console-metrics-token|$work/token|" "$here/prometheus.yml" > "$work/prometheus.yml"
cp "$here/alerts.yml" "$here/alerts_test.yml" "$work/"
promtool check config "$work/prometheus.yml"
promtool check rules "$here/alerts.yml"
(cd "$work" && promtool test rules alerts_test.yml)
