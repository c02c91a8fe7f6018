"""The dashboards of the three tiers in a real browser: the demo customers buy through the API
(Acme Corp under Northwind in USD, Fabrikam under Contoso in EUR), then each tier's dashboard draws
its charts with Chart.js (Debian's, served by the console) from the page's JSON, and shows the same
numbers as tables. Screenshots: dashboard-provider.png, dashboard-reseller.png, dashboard-customer.png."""
import json
import time
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import SCREENSHOTS
from test_tenancy import PASSWORD, sign_in, sign_out


def api(base, method, path, token=None, body=None):
    request = urllib.request.Request(base + "/api/v1" + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def token(base, email):
    return api(base, "POST", "/tokens", body={"email": email, "password": PASSWORD})["token"]


def buy(base, email, plan_name):
    """A sales order of the customer's seller's plan, paid by card, until it completes."""
    customer = token(base, email)
    me = api(base, "GET", "/me", customer)
    account_id = me.get("account_id") or me["account"]["id"]
    plans = api(base, "GET", "/plans?limit=200", token(base, "admin@provider.test"))["items"]
    plan = next(p for p in plans if p["name"] == plan_name)
    order = api(base, "POST", "/orders", customer, {"kind": "sales", "customer_id": account_id, "plan_id": plan["id"], "period_months": 1})
    api(base, "POST", f"/invoices/{order['invoice_id']}/payments", customer, {"method": "card", "card_number": "4242424242424242"})
    for _ in range(250):
        if api(base, "GET", f"/orders/{order['id']}", customer)["status"] == "completed":
            return order
        time.sleep(0.02)
    raise AssertionError(f"order {order['id']} did not complete")


def charts_drawn(browser, ids):
    """Each chart's canvas holds a Chart.js chart with as many datasets as its JSON has series."""
    WebDriverWait(browser, 10).until(lambda driver: driver.execute_script("return typeof Chart !== 'undefined'"))
    for chart_id in ids:
        drawn = browser.execute_script(
            "const canvas = document.getElementById(arguments[0] + '-canvas');"
            "const chart = canvas && Chart.getChart(canvas);"
            "const data = JSON.parse(document.getElementById(arguments[0] + '-canvas').dataset.chart);"
            "return chart ? [chart.data.datasets.length, data.series.length, canvas.width > 0] : null;", "chart-" + chart_id)
        assert drawn is not None, f"no chart drawn on chart-{chart_id}"
        assert drawn[0] == drawn[1] and drawn[2], (chart_id, drawn)
        assert browser.find_element(By.ID, f"chart-{chart_id}-table").find_element(By.TAG_NAME, "caption"), chart_id


def screenshot(browser, name):
    """The whole dashboard: the window made as tall as the page, then back."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1400, min(max(height, 1000), 4000))
    browser.save_screenshot(str(SCREENSHOTS / name))
    browser.set_window_size(1400, 1000)


def table(browser, chart_id):
    return browser.find_element(By.ID, f"chart-{chart_id}-table").get_attribute("textContent")


def test_each_tier_sees_its_charts_drawn_and_their_numbers_as_tables(console, browser):
    base = console
    buy(base, "admin@acme.test", "Cloud VPS L")
    buy(base, "admin@fabrikam.test", "Cloud VPS S")
    months = api(base, "GET", "/reports/dashboard", token(base, "admin@provider.test"))["months"]
    this_month = months[-1]

    sign_in(browser, base, "admin@provider.test")
    charts_drawn(browser, ["mrr", "revenue_by_reseller", "orders_by_outcome", "subscription_flow"])
    mrr = table(browser, "mrr")
    assert "USD" in mrr and "EUR" in mrr, "one series per currency: " + mrr
    revenue = table(browser, "revenue_by_reseller")
    assert "Northwind Hosting" in revenue and "Contoso Cloud" in revenue, revenue
    assert browser.execute_script("return JSON.parse(document.getElementById('chart-mrr-canvas').dataset.chart).keys.slice(-1)[0]") == this_month
    screenshot(browser, "dashboard-provider.png")
    sign_out(browser)

    sign_in(browser, base, "admin@northwind.test")
    charts_drawn(browser, ["sales_and_margin", "subscriptions_by_plan"])
    plans = table(browser, "subscriptions_by_plan")
    assert "Cloud VPS S" in plans and "Cloud VPS L" in plans, plans
    assert "Sales (USD)" in table(browser, "sales_and_margin")
    assert not browser.find_elements(By.ID, "chart-mrr"), "the provider's charts are the provider's"
    screenshot(browser, "dashboard-reseller.png")
    sign_out(browser)

    sign_in(browser, base, "admin@acme.test")
    charts_drawn(browser, ["spend", "renewals"])
    assert "Invoiced (USD)" in table(browser, "spend")
    renewals = browser.find_element(By.ID, "renewals-list").text
    assert "Cloud VPS L" in renewals and "USD" in renewals, renewals
    screenshot(browser, "dashboard-customer.png")

    # In Bengali: the catalog's words, Bengali month names and digits in the tables and on the charts' axes.
    api(base, "PUT", "/me", token(base, "admin@acme.test"), {"locale": "bn"})
    browser.refresh()
    charts_drawn(browser, ["spend", "renewals"])
    assert "মাস অনুযায়ী খরচ" in browser.find_element(By.ID, "chart-spend-heading").text
    assert "US$" in table(browser, "renewals"), table(browser, "renewals")
    assert browser.execute_script("return JSON.parse(document.getElementById('chart-spend-canvas').dataset.chart).labels.slice(-1)[0]").endswith("২০২৬")
    screenshot(browser, "dashboard-customer-bn.png")
    # Back to English: later tests (test_keyboard) sign in as this user and read English words.
    api(base, "PUT", "/me", token(base, "admin@acme.test"), {"locale": "en"})


def test_chartjs_is_served_by_the_console_from_debians_package(console):
    """Chart.js comes from libjs-chart.js (/usr/share/javascript/chart.js), under the console's own origin (CSP: script-src 'self')."""
    with urllib.request.urlopen(console + "/vendor/chartjs/chart.min.js") as response:
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert response.read().startswith(b"/*!\n * Chart.js v3")
