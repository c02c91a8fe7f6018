"""/metrics and JSON logs (issue 16, item 5) against the real console binary: its own database,
LOG_FORMAT=json with standard error kept, METRICS_TOKEN set and 127.0.0.1 a trusted proxy (as
with a balancer on the same host). /metrics is read with prometheus_client's own text parser."""
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import DATABASE as BROWSER_DATABASE, ROOT, console_env, free_port

DATABASE = BROWSER_DATABASE + "_metrics"
TOKEN = "metrics-test-token-5f2c9a7e"
PASSWORD = "console-demo-1"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    binary = ROOT / ".build" / "debug" / "console"
    assert binary.exists(), "build first: swift build"
    subprocess.run([str(ROOT / "scripts" / "db.sh"), "mysql", "-e",
                    f"DROP DATABASE IF EXISTS {DATABASE}; CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"],
                   check=True)
    env = console_env()
    env["DATABASE_NAME"] = DATABASE
    subprocess.run([str(binary), "migrate"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(binary), "seed"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    env.update(PORT=str(port), LOG_FORMAT="json", LOG_LEVEL="debug", METRICS_TOKEN=TOKEN, TRUSTED_PROXIES="127.0.0.1")
    log_path = tmp_path_factory.mktemp("metrics") / "console.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([str(binary), "serve"], env=env, cwd=ROOT, stderr=log, stdout=log)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if urllib.request.urlopen(base + "/healthz", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            server.kill()
            raise RuntimeError("the console did not start")
        yield base, log_path
        server.terminate()
        server.wait(timeout=10)


def request(base, path, method="GET", headers=None, body=None):
    """(status, headers, body text) whatever the status."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, method=method, data=data, headers=headers or {})
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def scrape(base):
    status, headers, text = request(base, "/metrics")
    assert status == 200, text
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {family.name: family for family in text_string_to_metric_families(text)}


def sample(families, family, name, **labels):
    for s in families[family].samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def test_metrics_parse_and_count_requests_and_orders(served):
    base, _ = served
    before = scrape(base)
    customer = json.loads(request(base, "/api/v1/tokens", "POST", body={"email": "admin@acme.test", "password": PASSWORD})[2])["token"]
    auth = {"Authorization": f"Bearer {customer}"}
    subscriptions = json.loads(request(base, "/api/v1/subscriptions", headers=auth)[2])["items"]
    for item in subscriptions[:2]:
        assert request(base, f"/api/v1/subscriptions/{item['id']}", headers=auth)[0] == 200
    assert request(base, "/no-such-page-8812")[0] == 404
    subscription = subscriptions[0]
    for additional in range(1, 8):
        status, _, text = request(base, f"/api/v1/subscriptions/{subscription['id']}/orders", "POST", headers=auth,
                                  body={"resources": [{"resource_code": "ram_gb", "additional": additional}]})
        if status == 201:
            order = json.loads(text)
            break
    else:
        pytest.fail(f"no order could be placed: {status} {text}")

    after = scrape(base)
    # Every family the console promises, by name, with the parser's types.
    for family, kind in [("console_http_requests", "counter"), ("console_http_request_duration_seconds", "histogram"),
                         ("console_db_pool_connections", "gauge"), ("console_db_pool_waiting", "gauge"), ("console_db_pool_size", "gauge"),
                         ("mariadb_query_duration_seconds", "histogram"), ("mariadb_pool_lease_wait_seconds", "histogram"),
                         ("console_orders", "gauge"), ("console_provisioning_backlog", "gauge"), ("console_provisioning_oldest_seconds", "gauge"),
                         ("console_outbox_pending_deliveries", "gauge"), ("console_outbox_oldest_pending_seconds", "gauge"),
                         ("console_billing_run_duration_seconds", "histogram"), ("console_database_up", "gauge")]:
        assert family in after, f"{family} missing: {sorted(after)}"
        assert after[family].type == kind, (family, after[family].type)

    route = "/api/v1/subscriptions/{id}"
    counted = sample(after, "console_http_requests", "console_http_requests_total", route=route, method="GET", status="200")
    was = sample(before, "console_http_requests", "console_http_requests_total", route=route, method="GET", status="200") or 0
    assert counted == was + min(2, len(subscriptions)), counted
    assert sample(after, "console_http_requests", "console_http_requests_total", route="unmatched", method="GET", status="404") >= 1
    assert sample(after, "console_http_requests", "console_http_requests_total", route="/api/v1/subscriptions/{id}/orders", method="POST", status="201") == 1
    labels = {tuple(sorted(s.labels.items())) for s in after["console_http_requests"].samples}
    assert not any("8812" in value or str(subscription["id"]) in value.split("/") for label in labels for _, value in label), labels
    assert sample(after, "console_http_request_duration_seconds", "console_http_request_duration_seconds_count", route=route, method="GET") >= min(2, len(subscriptions))
    assert sample(after, "mariadb_query_duration_seconds", "mariadb_query_duration_seconds_count") > \
        (sample(before, "mariadb_query_duration_seconds", "mariadb_query_duration_seconds_count") or 0)
    kind, status = order["kind"], order["status"]
    if status != "completed":
        assert sample(after, "console_orders", "console_orders", kind=kind, status=status) >= 1, (kind, status)
    assert sample(after, "console_database_up", "console_database_up") == 1
    assert sample(after, "console_db_pool_size", "console_db_pool_size") == 8


def test_metrics_refused_through_the_balancer_without_the_token(served):
    base, _ = served
    relayed = {"X-Forwarded-For": "203.0.113.9"}
    status, _, text = request(base, "/metrics", headers=relayed)
    assert status == 404 and "console_http_requests_total" not in text
    assert request(base, "/metrics", headers={**relayed, "Authorization": "Bearer not-the-token-000000"})[0] == 404
    status, _, text = request(base, "/metrics", headers={**relayed, "Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and "console_http_requests_total" in text


def test_a_request_id_is_followed_from_the_header_into_the_json_log(served):
    base, log_path = served
    status, headers, text = request(base, "/api/v1/me", headers={"X-Request-Id": "abc-123"})
    assert status == 401 and headers["X-Request-Id"] == "abc-123"
    assert json.loads(text)["error"]["request_id"] == "abc-123"
    status, headers, page = request(base, "/no-such-page", headers={"X-Request-Id": "abc-124"})
    assert status == 404 and "abc-124" in page
    # A failing sign-in: its statements run in the driver, whose debug lines know nothing of requests.
    request(base, "/api/v1/tokens", "POST", headers={"X-Request-Id": "abc-125"}, body={"email": "nobody@example.test", "password": "wrong-password-1"})
    time.sleep(0.3)
    lines = log_path.read_text().splitlines()
    objects = [json.loads(line) for line in lines]  # every line is one JSON object
    for entry in objects:
        assert {"time", "level", "message", "label"} <= entry.keys(), entry
        assert entry["time"].endswith("Z") and "T" in entry["time"], entry
    def of(request_id):
        return [entry for entry in objects if entry.get("hb.request.id") == request_id]
    assert any(entry["message"] == "Request" and entry.get("hb.request.path") == "/api/v1/me" for entry in of("abc-123")), of("abc-123")
    assert any(entry.get("hb.request.path") == "/no-such-page" for entry in of("abc-124"))
    statements = [entry for entry in of("abc-125") if entry["message"].lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE"))]
    assert statements, "the driver's lines of that request carry its id"
    # Every request line carries its id.
    assert all(entry.get("hb.request.id") for entry in objects if entry["label"] == "console" and entry["message"] == "Request")
