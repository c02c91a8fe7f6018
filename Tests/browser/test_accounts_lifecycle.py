"""Accounts over their lifetime (issue 15): the provider's staff suspend a customer from its page
(its signed-in user's next page sends it to sign-in, and signing in is refused), lift the
suspension, and post goodwill credit that the customer then sees in its top bar."""
import json
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import SCREENSHOTS, click

PASSWORD = "console-demo-1"
CUSTOMER_EMAIL = "owner@lifecycle-customer.test"
CUSTOMER_PASSWORD = "lifecycle-password-1"


def call(base, method, path, token=None, body=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def sign_in(browser, base, email, password):
    browser.get(base + "/signin")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password)
    click(browser, browser.find_element(By.ID, "signin-submit"))


def confirm_and_wait(browser, button):
    """Clicks a button whose form asks for a confirmation, accepts it and waits for the next page."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'}); window.__beforeClick = true;", button)
    button.click()
    alert = WebDriverWait(browser, 5).until(lambda driver: driver.switch_to.alert)
    assert alert.text, "the button asks before it acts"
    alert.accept()
    WebDriverWait(browser, 10).until(lambda driver: driver.execute_script("return !window.__beforeClick && document.readyState === 'complete';"))


def become(browser, cookie):
    """Switches the window to another session: the customer's, kept while staff worked."""
    browser.delete_all_cookies()
    if cookie:
        browser.add_cookie(cookie)


def test_staff_suspend_and_lift_a_customer_then_give_goodwill_credit_it_sees(console, browser):
    base = console
    # A customer of the provider with its own admin, made through the API.
    staff = call(base, "POST", "/api/v1/tokens", body={"email": "admin@provider.test", "password": PASSWORD})["token"]
    me = call(base, "GET", "/api/v1/me", staff)
    provider = call(base, "GET", f"/api/v1/accounts/{me['account']['id']}", staff)
    customer = call(base, "POST", "/api/v1/accounts", staff, {"kind": "customer", "name": "Lifecycle Customer", "currency": provider["currency"], "tax_rate": "0.10"})
    call(base, "POST", f"/api/v1/accounts/{customer['id']}/users", staff, {"email": CUSTOMER_EMAIL, "password": CUSTOMER_PASSWORD, "role": "admin"})
    account_url = f"{base}/accounts/{customer['id']}"

    # The customer's user is signed in; its session is kept aside while staff work in the same window.
    sign_in(browser, base, CUSTOMER_EMAIL, CUSTOMER_PASSWORD)
    assert browser.find_element(By.ID, "dashboard-heading")
    customer_session = browser.get_cookie("console_session")
    assert customer_session

    # Staff suspend it from its page, after a confirmation.
    become(browser, None)
    sign_in(browser, base, "admin@provider.test", PASSWORD)
    browser.get(account_url)
    browser.save_screenshot(str(SCREENSHOTS / "account-active.png"))
    confirm_and_wait(browser, browser.find_element(By.ID, "account-suspend"))
    assert "is suspended" in browser.find_element(By.ID, "flash").text
    assert browser.find_element(By.ID, "account-status").text == "suspended"
    assert "by admin@provider.test" in browser.find_element(By.ID, "account-status-change").text
    browser.save_screenshot(str(SCREENSHOTS / "account-suspended.png"))
    browser.execute_script("document.getElementById('account-edit').scrollIntoView({block: 'start', behavior: 'instant'});")
    browser.save_screenshot(str(SCREENSHOTS / "account-edit-suspended.png"))
    staff_session = browser.get_cookie("console_session")

    # The customer's next page sends it to sign-in, and signing in again is refused.
    become(browser, customer_session)
    browser.get(base + "/subscriptions")
    assert browser.find_element(By.ID, "signin-heading")
    sign_in(browser, base, CUSTOMER_EMAIL, CUSTOMER_PASSWORD)
    assert "wrong" in browser.find_element(By.ID, "signin-error").text
    browser.save_screenshot(str(SCREENSHOTS / "signin-refused-suspended.png"))

    # Staff lift the suspension.
    become(browser, staff_session)
    browser.get(account_url)
    confirm_and_wait(browser, browser.find_element(By.ID, "account-lift"))
    assert "is active again" in browser.find_element(By.ID, "flash").text
    assert browser.find_element(By.ID, "account-status").text == "active"

    # Goodwill credit from the customer's credit page; going below zero needs the box ticked.
    browser.get(account_url + "/credit")
    browser.find_element(By.ID, "adjust-amount").send_keys("25.00")
    browser.find_element(By.ID, "adjust-reason").send_keys("Goodwill for the outage of 2 December")
    click(browser, browser.find_element(By.ID, "adjust-submit"))
    assert "Credit adjusted" in browser.find_element(By.ID, "flash").text
    assert browser.find_element(By.ID, "credit-balance").text.startswith("25.00")
    browser.find_element(By.ID, "adjust-amount").send_keys("-30")
    browser.find_element(By.ID, "adjust-reason").send_keys("Reversal")
    click(browser, browser.find_element(By.ID, "adjust-submit"))
    assert "allow a negative balance" in browser.find_element(By.ID, "adjust-amount-error").text
    assert browser.find_element(By.ID, "adjust-amount").get_attribute("value") == "-30"
    browser.save_screenshot(str(SCREENSHOTS / "credit-adjustment-refused.png"))
    browser.get(account_url + "/credit")
    browser.save_screenshot(str(SCREENSHOTS / "credit-page-staff.png"))

    # The customer signs in again and sees the credit in its top bar.
    become(browser, None)
    sign_in(browser, base, CUSTOMER_EMAIL, CUSTOMER_PASSWORD)
    assert browser.find_element(By.ID, "dashboard-heading")
    assert "25.00" in browser.find_element(By.ID, "available-credit").text
    click(browser, browser.find_element(By.ID, "available-credit"))
    assert "Goodwill for the outage of 2 December" in browser.find_element(By.ID, "credit-log").text
    browser.save_screenshot(str(SCREENSHOTS / "credit-page-customer.png"))
