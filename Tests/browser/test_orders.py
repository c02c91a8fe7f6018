"""The order flow in a real browser: a customer's upgrade paid by card, a downgrade refunded to
credit, and a reseller's plan switch for the customer paid by bank transfer."""
import time

from selenium.webdriver.common.by import By

from conftest import SCREENSHOTS, click
from test_change import acme_with_15_days_left
from test_tenancy import sign_in, sign_out


def resource_total(browser, code):
    return int(browser.find_element(By.CSS_SELECTOR, f"#resource-{code} .total").text)


def wait_until_provisioned(browser):
    """The worker runs inside the server; reload the subscription page until no order is open."""
    for _ in range(150):
        if not browser.find_elements(By.ID, "open-order"):
            return
        time.sleep(0.1)
        browser.refresh()
    raise AssertionError("the order did not finish provisioning")


def change_ram(browser, total):
    click(browser, browser.find_element(By.ID, "subscription-change"))
    field = browser.find_element(By.ID, "ram_gb")
    field.clear()
    field.send_keys(str(total))
    click(browser, browser.find_element(By.ID, "change-continue"))
    wait_for_url(browser, "/estimate?")


def wait_for_url(browser, part, exact=False):
    """The live estimate already offers Submit before Continue's page arrives: wait for the new page."""
    for _ in range(150):
        if (browser.current_url == part if exact else part in browser.current_url) and \
                browser.execute_script("return document.readyState") == "complete":
            return
        time.sleep(0.1)
    raise AssertionError(f"{part} not reached: {browser.current_url}: {browser.find_element(By.ID, 'main').text}")


def test_customer_upgrade_by_card_downgrade_to_credit_and_staff_plan_switch_by_bank_transfer(console, browser):
    base = console
    subscription, _ = acme_with_15_days_left(base)
    page = f"{base}/subscriptions/{subscription['id']}"

    # 1. The customer adds 2 GB and pays by card, after a declined card.
    sign_in(browser, base, "admin@acme.test")
    browser.get(page)
    ram = resource_total(browser, "ram_gb")
    change_ram(browser, ram + 2)
    click(browser, browser.find_element(By.ID, "submit-order"))
    wait_for_url(browser, "/pay")
    due = browser.find_element(By.ID, "checkout-due").text
    browser.save_screenshot(str(SCREENSHOTS / "checkout.png"))
    click(browser, browser.find_element(By.ID, "method-card"))
    browser.find_element(By.ID, "card_number").send_keys("4000 0000 0000 0002")
    click(browser, browser.find_element(By.ID, "checkout-pay"))
    wait_for_url(browser, "/payments")
    assert "declined" in browser.find_element(By.ID, "checkout-error").text
    browser.save_screenshot(str(SCREENSHOTS / "checkout-declined.png"))
    card = browser.find_element(By.ID, "card_number")
    card.clear()
    card.send_keys("4242 4242 4242 4242")
    click(browser, browser.find_element(By.ID, "checkout-pay"))
    wait_for_url(browser, page, exact=True)
    assert f"is paid ({due})" in browser.find_element(By.ID, "flash").text
    wait_until_provisioned(browser)
    assert resource_total(browser, "ram_gb") == ram + 2
    browser.save_screenshot(str(SCREENSHOTS / "after-upgrade.png"))

    # 2. The customer gives 3 GB back: the estimate shows the refund, the top bar the credit, the log the entry.
    change_ram(browser, ram - 1)
    assert "Refund to your credit" in browser.find_element(By.ID, "estimate-lines").text
    refund = browser.find_element(By.ID, "estimate-total").text
    browser.save_screenshot(str(SCREENSHOTS / "downgrade-estimate.png"))
    click(browser, browser.find_element(By.ID, "submit-order"))
    wait_for_url(browser, page, exact=True)
    wait_until_provisioned(browser)
    assert resource_total(browser, "ram_gb") == ram - 1
    assert browser.find_element(By.ID, "available-credit").text == f"Available credit {refund}"
    click(browser, browser.find_element(By.ID, "available-credit"))
    assert browser.find_element(By.ID, "credit-balance").text == refund
    assert "Refund of order" in browser.find_element(By.ID, "credit-log").text
    browser.save_screenshot(str(SCREENSHOTS / "credit-log.png"))
    sign_out(browser)

    # 3. The reseller switches the customer to Cloud VPS L and records the bank transfer.
    sign_in(browser, base, "admin@northwind.test")
    browser.get(page)
    click(browser, browser.find_element(By.ID, "subscription-change"))
    click(browser, browser.find_element(By.XPATH, "//select[@id='plan_id']/option[normalize-space(.)='Cloud VPS L']"))
    click(browser, browser.find_element(By.ID, "change-continue"))
    wait_for_url(browser, "plan_id=")
    browser.save_screenshot(str(SCREENSHOTS / "switch-estimate.png"))
    click(browser, browser.find_element(By.ID, "submit-order"))
    wait_for_url(browser, "/pay")
    click(browser, browser.find_element(By.ID, "method-bank"))
    browser.find_element(By.ID, "reference").send_keys("WIRE-0426")
    click(browser, browser.find_element(By.ID, "checkout-pay"))
    wait_for_url(browser, page, exact=True)
    wait_until_provisioned(browser)
    assert browser.find_element(By.ID, "subscription-heading").text.startswith("Cloud VPS L")
    browser.save_screenshot(str(SCREENSHOTS / "after-switch.png"))
    click(browser, browser.find_element(By.ID, "nav-billing"))
    browser.save_screenshot(str(SCREENSHOTS / "orders-staff.png"))
    click(browser, browser.find_element(By.ID, "tab-invoices"))
    click(browser, browser.find_element(By.CSS_SELECTOR, "#invoices-table tbody tr:first-child a"))
    assert browser.find_element(By.ID, "invoice-status").text == "paid"
    assert "WIRE-0426" in browser.find_element(By.ID, "invoice-payments").text
    browser.save_screenshot(str(SCREENSHOTS / "invoice.png"))
