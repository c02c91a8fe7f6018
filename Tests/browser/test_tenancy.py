"""A provider creates a reseller and a customer; the reseller signs in, sees its customer,
and cannot open another reseller's customer."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import SCREENSHOTS, click

PASSWORD = "console-demo-1"


def sign_in(browser, base, email, password=PASSWORD):
    browser.get(base + "/signin")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password)
    click(browser, browser.find_element(By.ID, "signin-submit"))
    assert browser.find_element(By.ID, "dashboard-heading")


def sign_out(browser):
    click(browser, browser.find_element(By.ID, "signout"))
    assert browser.find_element(By.ID, "signin-heading")


def test_provider_creates_reseller_and_customer_reseller_sees_only_its_own(console, browser):
    base = console
    sign_in(browser, base, "admin@provider.test")
    assert browser.find_element(By.ID, "dashboard-heading").text == "Provider dashboard"
    browser.save_screenshot(str(SCREENSHOTS / "dashboard-provider.png"))

    # Another reseller's customer, to try later from the new reseller's session.
    browser.get(base + "/accounts?kind=customer&q=Fabrikam")
    click(browser, browser.find_element(By.LINK_TEXT, "Fabrikam"))
    foreign_customer_url = browser.current_url

    # A new reseller...
    browser.get(base + "/accounts/new?kind=reseller")
    browser.find_element(By.ID, "name").send_keys("Browser Reseller")
    currency = browser.find_element(By.ID, "currency")
    currency.clear()
    currency.send_keys("USD")
    tax = browser.find_element(By.ID, "tax_rate")
    tax.clear()
    tax.send_keys("0.20")
    click(browser, browser.find_element(By.ID, "account-submit"))
    assert "created" in browser.find_element(By.ID, "flash").text
    reseller_url = browser.current_url

    # ...with an admin user...
    click(browser, browser.find_element(By.ID, "account-new-user"))
    browser.find_element(By.ID, "email").send_keys("admin@browser-reseller.test")
    Select(browser.find_element(By.ID, "role")).select_by_value("admin")
    browser.find_element(By.ID, "password").send_keys("browser-password-1")
    click(browser, browser.find_element(By.ID, "user-submit"))
    assert "admin@browser-reseller.test" in browser.find_element(By.ID, "users-table").text

    # ...and a customer below it.
    browser.get(reseller_url)
    click(browser, browser.find_element(By.ID, "account-new-customer"))
    browser.find_element(By.ID, "name").send_keys("Browser Customer")
    click(browser, browser.find_element(By.ID, "account-submit"))
    assert browser.find_element(By.ID, "account-heading").text == "Browser Customer"
    sign_out(browser)

    # The reseller sees its customer and nothing of Contoso's.
    sign_in(browser, base, "admin@browser-reseller.test", "browser-password-1")
    assert browser.find_element(By.ID, "dashboard-heading").text == "Reseller dashboard"
    browser.save_screenshot(str(SCREENSHOTS / "dashboard-reseller.png"))
    click(browser, browser.find_element(By.ID, "nav-customers"))
    table = browser.find_element(By.ID, "accounts-table").text
    assert "Browser Customer" in table
    assert "Fabrikam" not in table
    browser.save_screenshot(str(SCREENSHOTS / "customers-reseller.png"))
    browser.get(foreign_customer_url)
    assert browser.find_element(By.ID, "error-page").get_attribute("data-status") == "404"
    browser.save_screenshot(str(SCREENSHOTS / "foreign-customer-404.png"))
    sign_out(browser)

    # A customer's dashboard, for the record.
    sign_in(browser, base, "admin@acme.test")
    assert browser.find_element(By.ID, "dashboard-heading").text == "Your account"
    browser.save_screenshot(str(SCREENSHOTS / "dashboard-customer.png"))
