"""A customer moves a slider on "Upgrade / Downgrade", continues, and sees the prorated total."""
import datetime
import json
from decimal import ROUND_HALF_UP, Decimal
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import SCREENSHOTS, click
from test_tenancy import sign_in


def api(base, method, path, body=None, token=None):
    request = urllib.request.Request(base + "/api/v1" + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def acme_with_15_days_left(base):
    """Acme's subscription, with the test clock set so that 15 days of its period remain (R = 15): answers it and D."""
    provider = api(base, "POST", "/tokens", {"email": "admin@provider.test", "password": "console-demo-1"})["token"]
    customer = api(base, "POST", "/tokens", {"email": "admin@acme.test", "password": "console-demo-1"})["token"]
    subscription = api(base, "GET", "/subscriptions", token=customer)["items"][0]
    start = datetime.date.fromisoformat(subscription["period_start"])
    end = datetime.date.fromisoformat(subscription["period_end"])
    days = (end - start).days
    api(base, "PUT", "/clock", {"now": f"{start + datetime.timedelta(days=days - 15)}T10:00:00Z"}, token=provider)
    return subscription, days


def test_customer_moves_a_slider_and_sees_the_prorated_total(console, browser):
    base = console
    subscription, days = acme_with_15_days_left(base)

    sign_in(browser, base, "admin@acme.test")
    click(browser, browser.find_element(By.ID, "nav-subscriptions"))
    click(browser, browser.find_element(By.LINK_TEXT, str(subscription["id"])))
    browser.save_screenshot(str(SCREENSHOTS / "subscription-page.png"))
    click(browser, browser.find_element(By.ID, "subscription-change"))

    slider = browser.find_element(By.ID, "ram_gb-range")
    before = int(slider.get_attribute("value"))
    click(browser, slider)
    slider.send_keys(Keys.HOME)
    for _ in range(before + 2 - int(slider.get_attribute("min"))):
        slider.send_keys(Keys.ARROW_RIGHT)
    assert int(browser.find_element(By.ID, "ram_gb").get_attribute("value")) == before + 2, "the number field follows the slider"
    browser.save_screenshot(str(SCREENSHOTS / "change-slider.png"))
    click(browser, browser.find_element(By.ID, "change-continue"))

    # +2 GB at 2.50 a month for 15 of D days, rounded half up once, then Acme's 20 % tax, rounded once.
    cent = Decimal("0.01")
    line = (Decimal(2) * Decimal("2.50") * 15 / days).quantize(cent, rounding=ROUND_HALF_UP)
    tax = (line * Decimal("0.20")).quantize(cent, rounding=ROUND_HALF_UP)
    total = browser.find_element(By.ID, "estimate-total").text
    assert total == f"{line + tax} USD", total
    assert f"15/{days}" in browser.find_element(By.ID, "estimate-lines").text
    browser.save_screenshot(str(SCREENSHOTS / "change-estimate.png"))
