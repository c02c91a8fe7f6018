"""A provider restricts a reseller; its customer's confirmation page says its seller restricts
changes (never the provider's name or reason: white label) and disables Submit; lifting the
restriction brings Submit back."""
from selenium.webdriver.common.by import By

from conftest import SCREENSHOTS, click
from test_change import acme_with_15_days_left
from test_orders import change_ram, resource_total
from test_tenancy import sign_in, sign_out


def test_a_restricted_customer_sees_a_neutral_reason_and_a_disabled_submit(console, browser):
    base = console
    subscription, _ = acme_with_15_days_left(base)

    sign_in(browser, base, "admin@provider.test")
    click(browser, browser.find_element(By.ID, "nav-resellers"))
    click(browser, browser.find_element(By.LINK_TEXT, "Northwind Hosting"))
    browser.find_element(By.ID, "restrict-reason").send_keys("Reseller invoices 60 days overdue")
    click(browser, browser.find_element(By.ID, "restrict-submit"))
    assert browser.find_element(By.ID, "account-restricted").text == "restricted"
    click(browser, browser.find_element(By.ID, "nav-restrictions"))
    assert "Reseller invoices 60 days overdue" in browser.find_element(By.ID, "restrictions-table").text
    browser.save_screenshot(str(SCREENSHOTS / "restrictions.png"))
    sign_out(browser)

    sign_in(browser, base, "admin@acme.test")
    browser.get(f"{base}/subscriptions/{subscription['id']}")
    change_ram(browser, resource_total(browser, "ram_gb") + 1)
    reasons = browser.find_element(By.ID, "refusals").text
    assert "restricted by your seller" in reasons, reasons
    assert "Demo Provider" not in reasons and "60 days overdue" not in reasons, reasons
    submit = browser.find_element(By.ID, "submit-order")
    assert not submit.is_enabled(), "Submit is disabled while restricted"
    browser.save_screenshot(str(SCREENSHOTS / "restricted-estimate.png"))
    sign_out(browser)

    sign_in(browser, base, "admin@provider.test")
    browser.get(base + "/restrictions")
    click(browser, browser.find_element(By.CSS_SELECTOR, "#restrictions-table button[id^=lift-]"))
    assert "lifted" in browser.find_element(By.ID, "restrictions-table").text
    sign_out(browser)
    sign_in(browser, base, "admin@acme.test")
    browser.get(f"{base}/subscriptions/{subscription['id']}")
    change_ram(browser, resource_total(browser, "ram_gb") + 1)
    assert not browser.find_elements(By.ID, "refusals"), browser.find_element(By.ID, "refusals").text
    assert browser.find_element(By.ID, "submit-order").is_enabled()
