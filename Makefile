# The two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := build

DB := scripts/db.sh
HOST ?= 127.0.0.1
PORT ?= 8080
# Debian's python with apt's pytest and selenium, whatever python comes first in PATH.
PYTHON := /usr/bin/python3
# python3-prometheus-client: test_metrics.py reads /metrics with Prometheus' own text parser.
BROWSER_PACKAGES := python3-pytest python3-selenium chromium chromium-driver python3-prometheus-client
# schemathesis itself comes from PyPI, pinned, into the git-ignored .local/venv (scripts/schemathesis.sh).
SCHEMATHESIS_PACKAGES := python3-venv curl
# The mail tests' SMTP server on loopback (scripts/mail/smtp_sink.py) and the STARTTLS test's certificate.
MAIL_TEST_PACKAGES := python3-aiosmtpd openssl
# Invoice PDFs (docs/documents.md): WeasyPrint, DejaVu for Latin and fonts-beng for Bengali text;
# the PDF tests read them back with poppler's pdftotext and pdfinfo.
DOCUMENT_PACKAGES := weasyprint fonts-dejavu-core fonts-beng
PDF_TEST_PACKAGES := poppler-utils
# The balancer's port of the short cluster drill in `make test` (not 8080, which `make run` may hold).
CLUSTER_TEST_PORT ?= 8088

.PHONY: deps browser-deps db db-stop build run test

deps:
	$(DB) install

browser-deps:
	scripts/apt-install.sh $(BROWSER_PACKAGES)
	# axe-core for Tests/browser/test_a11y.py: pinned by hash, from PyPI through a throwaway venv (python3-venv).
	scripts/apt-install.sh python3-venv
	scripts/axe-core.sh >/dev/null

db: deps
	$(DB) start

db-stop:
	$(DB) stop

build:
	swift build

run: deps db
	scripts/apt-install.sh $(DOCUMENT_PACKAGES)
	eval "$$($(DB) env)"
	export HOST='$(HOST)' PORT='$(PORT)'
	swift build
	.build/debug/console migrate
	.build/debug/console seed
	if [[ -z "$${SMTP_HOST:-}" ]]; then echo "Email: no SMTP_HOST, so messages are written to .local/mail; provider admins read them at http://$(HOST):$(PORT)/mail"; fi
	exec .build/debug/console serve

test: deps browser-deps db
	scripts/apt-install.sh $(SCHEMATHESIS_PACKAGES) $(MAIL_TEST_PACKAGES) $(DOCUMENT_PACKAGES) $(PDF_TEST_PACKAGES)
	eval "$$($(DB) env)"
	export DATABASE_NAME="$$TEST_DATABASE_NAME"
	swift build --build-tests
	swift test
	scripts/schemathesis.sh
	if compgen -G 'Tests/browser/test_*.py' >/dev/null; then
		$(PYTHON) -m pytest -q Tests/browser
	fi
	# Issue 14: MariaDB killed -9 under an order load and restarted (its own server; about a minute).
	scripts/drill/single-node.sh
	# Issue 14: the short cluster drill (three Galera nodes, three app nodes and HAProxy under
	# .local/cluster; a Galera node and an app node killed -9, a Galera node cut off; about 2 minutes).
	env DRILL_SECONDS=60 CLUSTER_PORT=$(CLUSTER_TEST_PORT) scripts/cluster-drill.sh

# The benchmark (docs/performance.md): release build, its own seeded database, wrk, one table.
# Long (a 1,000,000-subscription seed and some 40 routes); not part of `make test`.
.PHONY: bench
bench: deps db
	scripts/apt-install.sh wrk curl
	scripts/bench/run.sh

# The CSV export of 1,000,000 subscriptions streamed with curl, the server's peak RSS against the
# memory bound (docs/performance.md, "CSV export"); a few minutes, not part of `make test`.
.PHONY: bench-csv
bench-csv: deps db
	swift build --product console
	scripts/bench/csv-export.sh

# Three Galera nodes, three app nodes and HAProxy on 127.0.0.1, under .local/cluster (deploy/README.md):
# prints the URL and the demo logins and leaves it running; `scripts/cluster.sh down` stops it.
.PHONY: cluster
cluster: deps
	scripts/cluster.sh up

# The fault drill (scripts/cluster-drill.sh): the cluster up if needed, load through the balancer
# while Galera and app nodes are killed, restarted and cut off, then the checks; the cluster is
# stopped at the end (DRILL_KEEP=1 keeps it). DRILL_SECONDS=60 is the short, CI-sized drill.
.PHONY: cluster-drill
cluster-drill: deps
	scripts/cluster-drill.sh

# The single-node fault drill (scripts/drill/single-node.sh): its own throwaway MariaDB (port 3415)
# and console (port 8089), 8 clients for 40 s, the mariadbd killed -9 at 10 s and restarted at 14 s,
# then the cluster drill's checks; about a minute. Also the last step of `make test`.
.PHONY: drill-single-node
drill-single-node: deps
	scripts/drill/single-node.sh
