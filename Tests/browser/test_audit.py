"""The audit log a person can read: a customer's admin reads what the provider's staff did to its
account as sentences signed by its seller (never the provider's name or staff), opens the raw
states behind "details" without JavaScript, and filters by user and date (a bad date is marked)."""
from selenium.webdriver.common.by import By

from conftest import SCREENSHOTS, click
from test_tenancy import sign_in


def test_a_customer_reads_its_audit_log_as_sentences_and_opens_the_details(console, browser):
    base = console
    sign_in(browser, base, "admin@acme.test")
    browser.get(base + "/audit")
    table = browser.find_element(By.ID, "audit-table").text
    assert "Acme Corp: customer account created (USD, tax rate 0.20), by Northwind Hosting" in table, table
    assert "imported: Cloud VPS S" in table and "by Northwind Hosting" in table, table
    assert "Demo Provider" not in table and "@provider.test" not in table, table
    assert not browser.find_elements(By.CSS_SELECTOR, "details.audit-details[open]"), "details start closed"
    browser.save_screenshot(str(SCREENSHOTS / "audit-closed.png"))

    first = browser.find_element(By.CSS_SELECTOR, "details.audit-details")
    click(browser, first.find_element(By.TAG_NAME, "summary"))
    assert first.get_attribute("open") is not None
    assert "after" in first.text and "{" in first.text, first.text
    browser.save_screenshot(str(SCREENSHOTS / "audit-open.png"))

    browser.find_element(By.ID, "user").send_keys("system")
    click(browser, browser.find_element(By.ID, "audit-filter-submit"))
    rows = browser.find_element(By.ID, "audit-table").text
    assert "added as admin, by system" in rows and "Northwind Hosting" not in rows, rows

    browser.get(base + "/audit?from=2026-02-30")
    assert "from is a date" in browser.find_element(By.ID, "from-error").text
    assert browser.find_element(By.ID, "from").get_dom_attribute("value") == "2026-02-30", "the typed value is kept"
