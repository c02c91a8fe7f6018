"""A reseller's admin registers a webhook on the Webhooks page (its secret shown once); staff suspend
a customer's subscription; the running console's delivery worker POSTs the event to a real receiver
on loopback, signed with the secret; the Deliveries page lists the attempt with the receiver's 200."""
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from selenium.webdriver.common.by import By

from conftest import SCREENSHOTS, click
from test_change import api
from test_tenancy import sign_in, sign_out


class Receiver(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_resellers_webhook_hears_its_customers_suspension_signed(console, browser):
    base = console
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks/console"
    try:
        sign_in(browser, base, "admin@northwind.test")
        click(browser, browser.find_element(By.ID, "nav-webhooks"))
        browser.find_element(By.ID, "webhook-url").send_keys(url)
        click(browser, browser.find_element(By.ID, "event_subscription_suspended"))
        click(browser, browser.find_element(By.ID, "webhook-submit"))
        secret = browser.find_element(By.ID, "webhook-secret").text
        assert secret.startswith("whsec_"), secret
        browser.save_screenshot(str(SCREENSHOTS / "webhooks.png"))

        provider = api(base, "POST", "/tokens", {"email": "admin@provider.test", "password": "console-demo-1"})["token"]
        customer = api(base, "POST", "/tokens", {"email": "admin@acme.test", "password": "console-demo-1"})["token"]
        subscription = api(base, "GET", "/subscriptions", token=customer)["items"][0]
        api(base, "PATCH", f"/subscriptions/{subscription['id']}", {"status": "suspended"}, token=provider)
        for _ in range(100):
            if Receiver.received:
                break
            time.sleep(0.1)
        assert len(Receiver.received) == 1, "the serve process's worker delivered it"
        headers, body = Receiver.received[0]
        event = json.loads(body)
        assert event["type"] == "subscription_suspended" and event["object_id"] == subscription["id"]
        assert headers["X-Event-Id"] == event["id"]
        assert hmac.compare_digest(headers["X-Signature"], "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest())
        api(base, "PATCH", f"/subscriptions/{subscription['id']}", {"status": "active"}, token=provider)

        browser.get(base + "/webhooks")
        assert secret not in browser.page_source, "the secret is shown once"
        click(browser, browser.find_element(By.CSS_SELECTOR, "#webhooks-table a[id^=webhook-deliveries-]"))
        table = browser.find_element(By.ID, "deliveries-table").text
        assert "subscription_suspended" in table and "200" in table and "delivered" in table, table
        browser.save_screenshot(str(SCREENSHOTS / "webhook-deliveries.png"))
        sign_out(browser)
    finally:
        server.shutdown()
