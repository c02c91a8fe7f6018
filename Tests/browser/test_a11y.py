"""Accessible pages (issue 16, item 6): axe-core, with the WCAG 2.0/2.1 A and AA rules, finds nothing on
any page of any tier. Each tier's demo admin signs in and the test walks every page its links reach
(one page per route pattern: /accounts/7 stands for /accounts/:id), plus the pages no link leads to: the
estimate of a change, an invoice's checkout, forms shown with their validation errors, the password reset
pages, a 404. axe-core itself is scripts/axe-core.sh's pinned copy (.local/axe/axe.min.js).

A failure prints, per page, each violation's rule id, impact and the CSS targets of its elements.
A11Y_REPORT=path writes every page's violations as JSON (how the before/after counts were measured)."""
import json
import os
import re
import subprocess
import urllib.parse
import urllib.request
from collections import defaultdict

import pytest
from selenium.webdriver.common.by import By

from conftest import DATABASE, ROOT, click
from test_tenancy import sign_in

PASSWORD = "console-demo-1"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Each tier's demo admin; Northwind (dark blue) and Edge (light yellow) sell under their own brand colours.
TIERS = {"provider": "admin@provider.test", "reseller": "admin@northwind.test", "sub-reseller": "admin@edge.test",
         "customer": "admin@acme.test"}
# Where a crawl starts: the dashboard, and pages the navigation does not link.
STARTS = {"provider": ["/dashboard", "/mail"]}
# Links that are not pages: files, feeds and the API (each is checked by its own tests).
NOT_PAGES = re.compile(r"^/(api|vendor|assets|theme)/|\.(eml|csv|pdf|yaml|json|css|js|png|svg)$|/(eml|pdf|csv)$|^/signout$|^/metrics$")
PAGES_PER_TIER = 120


def axe_script():
    path = ROOT / ".local" / "axe" / "axe.min.js"
    if not path.exists():
        subprocess.run([str(ROOT / "scripts" / "axe-core.sh")], check=True, stdout=subprocess.DEVNULL)
    return path.read_text(encoding="utf-8")


AXE = None


def axe(browser):
    """The page's violations of the WCAG 2.1 A/AA rules, as axe-core reports them."""
    global AXE
    if AXE is None:
        AXE = axe_script()
    if not browser.execute_script("return typeof window.axe === 'object';"):
        browser.execute_script(AXE)
    browser.set_script_timeout(60)
    return browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}))))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
        WCAG_21_AA)


# axe-core accepts a placeholder or a title as a field's name; a placeholder disappears as one types and a
# title shows only to a mouse. Here every field needs a <label> (visible, or .visually-hidden), aria-labelledby
# pointing at visible text, or at least aria-label.
PLACEHOLDER_ONLY = """
return [...document.querySelectorAll('input, select, textarea')]
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
  .filter(el => el.labels.length === 0 && !el.getAttribute('aria-labelledby') && !el.getAttribute('aria-label')
                && !el.closest('label'))
  .map(el => ({target: el.id ? '#' + el.id : el.name, summary: 'no label, only ' + (el.placeholder ? 'a placeholder' : el.title ? 'a title' : 'nothing')}));
"""


def api(base, method, path, body=None, token=None, headers=None):
    request = urllib.request.Request(base + "/api/v1" + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def token(base, email):
    return api(base, "POST", "/tokens", {"email": email, "password": PASSWORD})["token"]


def pattern(path):
    """/accounts/7/users/new -> /accounts/:id/users/new; a password reset token -> :token."""
    path = re.sub(r"/password-resets/[^/]+", "/password-resets/:token", path)
    path = re.sub(r"/catalog/currencies/[A-Z]{3}\b", "/catalog/currencies/:code", path)
    path = re.sub(r"/mail/[^/]+", "/mail/:id", path)
    return re.sub(r"/\d+(?=/|$)", "/:id", path)


class Audit:
    """Collects each page's violations; `check` fails with all of them at once."""

    def __init__(self, base, browser, tier):
        self.base, self.browser, self.tier = base, browser, tier
        self.pages = {}

    def page(self, label):
        """Audits the page the browser shows now, under `label`."""
        assert self.browser.execute_script("return document.contentType;") == "text/html", label
        violations = axe(self.browser)
        unlabelled = self.browser.execute_script(PLACEHOLDER_ONLY)
        if unlabelled:
            violations.append({"id": "label-not-placeholder", "impact": "serious",
                               "help": "Fields have a label, not only a placeholder or title", "nodes": unlabelled})
        self.pages[label] = violations
        return self.pages[label]

    def visit(self, path, label=None):
        self.browser.get(self.base + path)
        return self.page(label or path)

    def crawl(self, starts):
        """Every page reachable by links from `starts`, one per route pattern."""
        seen, queue = set(), list(starts)
        while queue and len(seen) < PAGES_PER_TIER:
            path = queue.pop(0)
            key = pattern(urllib.parse.urlsplit(path).path)
            if key in seen:
                continue
            seen.add(key)
            self.visit(path, f"{key} ({path})")
            links = self.browser.execute_script(
                "return [...document.querySelectorAll('a[href]')].filter(a => !a.hasAttribute('download'))"
                ".map(a => a.getAttribute('href'));")
            for href in links:
                url = urllib.parse.urlsplit(urllib.parse.urljoin(self.base + path, href))
                if f"{url.scheme}://{url.netloc}" != self.base or NOT_PAGES.search(url.path) or "format=csv" in url.query:
                    continue
                if pattern(url.path) not in seen:
                    queue.append(url.path + (f"?{url.query}" if url.query else ""))

    def report(self):
        lines = []
        for label, violations in self.pages.items():
            for v in violations:
                lines.append(f"{self.tier} {label}: {v['id']} ({v['impact']}) {v['help']}")
                lines.extend(f"    {node['target']}" for node in v["nodes"][:8])
                if len(v["nodes"]) > 8:
                    lines.append(f"    ... and {len(v['nodes']) - 8} more")
        return "\n".join(lines)

    def totals(self):
        """{rule: [elements, pages]} over every page audited."""
        totals = defaultdict(lambda: [0, 0])
        for violations in self.pages.values():
            for v in violations:
                totals[f"{v['id']} ({v['impact']})"][0] += len(v["nodes"])
                totals[f"{v['id']} ({v['impact']})"][1] += 1
        return dict(totals)

    def check(self):
        out = os.environ.get("A11Y_REPORT")
        if out:
            path = f"{out}.{self.tier}.json"
            with open(path, "w", encoding="utf-8") as f:
                json.dump({"pages": self.pages, "totals": self.totals()}, f, indent=1)
        print(f"\n{self.tier}: {len(self.pages)} pages audited; violations {self.totals()}")
        if any(self.pages.values()):
            pytest.fail(f"axe-core (WCAG 2.1 A/AA) violations:\n{self.report()}", pytrace=False)


@pytest.fixture(scope="module")
def world(console):
    """What gives the detail pages something to show: Acme's unpaid change order (an order, an invoice
    with its checkout), a webhook of Northwind's (its deliveries page)."""
    base = console
    customer = token(base, TIERS["customer"])
    subscription = api(base, "GET", "/subscriptions", token=customer)["items"][0]
    ram = next(r for r in subscription["resources"] if r["resource_code"] == "ram_gb")
    order = api(base, "POST", f"/subscriptions/{subscription['id']}/orders",
                {"resources": [{"resource_code": "ram_gb", "additional": ram["additional"] + 1}]},
                token=customer, headers={"Idempotency-Key": "a11y-unpaid-change"})
    reseller = token(base, TIERS["reseller"])
    webhook = api(base, "POST", "/webhooks", {"url": "http://127.0.0.1:9/a11y", "events": ["invoice_issued"]}, token=reseller)
    yield {"subscription": subscription, "order": order}
    # The browser tests after this one share the database: leave Acme without an open order, Northwind without the hook.
    api(base, "POST", f"/orders/{order['id']}/cancel", token=customer)
    api(base, "DELETE", f"/webhooks/{webhook['id']}", token=reseller)


def test_pages_before_sign_in_have_no_violations(console, browser):
    """Sign-in (fresh and after a wrong password), the password reset request and reset forms, a 404."""
    base = console
    audit = Audit(base, browser, "anonymous")
    audit.visit("/")
    audit.visit("/signin")
    audit.visit("/signin?brand=northwind", "/signin of a brand (Northwind)")
    audit.visit("/signin?brand=edge", "/signin of a brand (Edge)")
    browser.find_element(By.ID, "email").send_keys("admin@acme.test")
    browser.find_element(By.ID, "password").send_keys("not-the-password")
    click(browser, browser.find_element(By.ID, "signin-submit"))
    audit.page("/signin after a wrong password")
    audit.visit("/password-resets")
    api(base, "POST", "/password-resets", {"email": "viewer@acme.test"})
    link = subprocess.run([str(ROOT / "scripts" / "db.sh"), "mysql", DATABASE, "-N", "-r", "-e",
                           "SELECT JSON_VALUE(payload, '$.link') FROM outbox_events WHERE type = 'password_reset' ORDER BY id DESC LIMIT 1"],
                          check=True, capture_output=True, text=True).stdout.strip()
    audit.visit(urllib.parse.urlsplit(link).path, "/password-resets/:token")
    audit.visit("/password-resets/not-a-token", "/password-resets/:token (unknown token)")
    audit.visit("/no-such-page", "404")
    audit.check()


@pytest.mark.parametrize("role", ["ops@northwind.test", "viewer@acme.test"])
def test_every_page_an_operator_or_a_viewer_reaches_has_no_violations(console, browser, world, role):
    """The roles below admin see the same pages with fewer forms, or with their fields disabled."""
    audit = Audit(console, browser, role)
    sign_in(browser, console, role)
    audit.crawl(["/dashboard"])
    audit.check()


def set_brand_colour(browser, base, account_id, colour):
    browser.get(f"{base}/accounts/{account_id}/branding")
    field = browser.find_element(By.ID, "primary_color")
    field.clear()
    field.send_keys(colour)
    click(browser, browser.find_element(By.ID, "branding-submit"))
    assert browser.find_elements(By.ID, "flash"), browser.find_element(By.ID, "main").text


def test_a_mid_tone_brand_colour_keeps_the_top_bar_readable(console, browser):
    """#808080 reads at 3.95:1 under white text and 3.9:1 under Bootstrap's #212529; Branding gives it black
    text (5.3:1), and every text of the top bar, the Branding page's preview too, follows."""
    base = console
    sign_in(browser, base, TIERS["sub-reseller"])
    edge = api(base, "GET", "/me", token=token(base, TIERS["sub-reseller"]))["account"]["id"]
    set_brand_colour(browser, base, edge, "#808080")
    try:
        audit = Audit(base, browser, "sub-reseller with #808080")
        audit.visit("/dashboard")
        audit.visit(f"/accounts/{edge}/branding", "/accounts/:id/branding")
        audit.check()
    finally:
        set_brand_colour(browser, base, edge, "#F4C542")


def submit_with_errors(audit, button, label):
    """Submits the form of `button` as it stands (empty or wrong) and audits the page that comes back with errors."""
    click(audit.browser, audit.browser.find_element(By.ID, button))
    assert audit.browser.find_elements(By.CSS_SELECTOR, ".is-invalid, .alert-danger, .invalid-feedback"), \
        f"{label}: the form came back with its errors"
    audit.page(label)


@pytest.mark.parametrize("tier", list(TIERS))
def test_every_page_of_a_tier_has_no_violations(console, browser, world, tier):
    base = console
    audit = Audit(base, browser, tier)
    subscription, order = world["subscription"], world["order"]
    sign_in(browser, base, TIERS[tier])
    audit.crawl(STARTS.get(tier, ["/dashboard"]))

    # Pages no link leads to.
    audit.visit("/no-such-page", "404 signed in")
    audit.visit("/accounts/999999999", "/accounts/:id not in scope (404)")
    if tier == "customer":
        audit.visit(f"/invoices/{order['invoice_id']}/pay", "/invoices/:id/pay (checkout)")
        browser.get(f"{base}/subscriptions/{subscription['id']}/change")
        click(browser, browser.find_element(By.ID, "change-continue"))
        audit.page("/subscriptions/:id/estimate")
        # The card declined: the checkout comes back with its error.
        browser.get(f"{base}/invoices/{order['invoice_id']}/pay")
        click(browser, browser.find_element(By.ID, "method-card"))
        browser.find_element(By.ID, "card_number").send_keys("4000 0000 0000 0002")
        submit_with_errors(audit, "checkout-pay", "/invoices/:id/pay with the card declined")
    else:
        # Forms shown again with their errors.
        browser.get(f"{base}/accounts/new?kind=customer")
        submit_with_errors(audit, "account-submit", "/accounts/new with validation errors")
        browser.get(f"{base}/plans/new")
        submit_with_errors(audit, "plan-submit", "/plans/new with validation errors")
        browser.get(f"{base}/accounts/{api(base, 'GET', '/me', token=token(base, TIERS[tier]))['account']['id']}/users/new")
        submit_with_errors(audit, "user-submit", "/accounts/:id/users/new with validation errors")
        browser.get(f"{base}/webhooks")
        submit_with_errors(audit, "webhook-submit", "/webhooks with validation errors")
        browser.get(f"{base}/promo-codes")
        if browser.find_elements(By.ID, "promo-submit"):
            submit_with_errors(audit, "promo-submit", "/promo-codes with validation errors")
    if tier == "provider":
        browser.get(f"{base}/catalog/resources")
        submit_with_errors(audit, "resource-submit", "/catalog/resources with validation errors")
    if tier == "reseller":
        browser.get(f"{base}/accounts/{api(base, 'GET', '/me', token=token(base, TIERS[tier]))['account']['id']}/branding")
        field = browser.find_element(By.ID, "primary_color")
        field.clear()
        field.send_keys("blue")
        submit_with_errors(audit, "branding-submit", "/accounts/:id/branding with validation errors")
    # The password form with its errors (the current password wrong).
    browser.get(f"{base}/profile")
    password_form = browser.find_element(By.ID, "password-form")
    for field in password_form.find_elements(By.CSS_SELECTOR, "input[type=password]"):
        field.send_keys("wrong-password-1")
    click(browser, password_form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    audit.page("/profile/password with validation errors")
    audit.check()


def test_bengali_pages_say_they_are_bengali_and_have_no_violations(console, browser):
    """A user who chose Bengali gets pages in `bn`: <html lang="bn"> (screen readers pick their voice by it)
    and, like every page, no violation. A Bengali admin of Acme walks the customer's pages."""
    base = console
    acme_admin = token(base, TIERS["customer"])
    acme = api(base, "GET", "/me", token=acme_admin)["account"]["id"]
    email = "bn-a11y@acme.test"
    created = api(base, "POST", f"/accounts/{acme}/users", {"email": email, "password": PASSWORD, "role": "admin", "name": "রহিম"},
                  token=acme_admin)
    api(base, "PUT", "/me", {"locale": "bn"}, token=token(base, email))
    # Before sign-in: the sign-in page's language switch (?lang=bn, kept in a cookie).
    before = Audit(base, browser, "anonymous in Bengali")
    for path in ("/signin?lang=bn", "/password-resets", "/no-such-page"):
        before.visit(path)
        assert browser.execute_script("return document.documentElement.lang;") == "bn", path
    before.check()
    browser.delete_all_cookies()
    browser.get(base + "/signin")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click(browser, browser.find_element(By.ID, "signin-submit"))
    audit = Audit(base, browser, "customer in Bengali")
    audit.crawl(["/dashboard"])
    assert len(audit.pages) > 10, list(audit.pages)
    for path in ("/dashboard", "/subscriptions", "/profile"):
        browser.get(base + path)
        assert browser.execute_script("return document.documentElement.lang;") == "bn", path
    audit.check()
    # Disabled again: later tests in this console (test_people) need Acme's own admin to be its only active one.
    api(base, "PATCH", f"/users/{created['id']}", {"status": "disabled"}, token=acme_admin)
