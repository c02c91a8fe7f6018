"""A customer orders a new service from the plan catalogue and pays it by card; the order
provisions a new subscription."""
import time

from selenium.webdriver.common.by import By

from conftest import SCREENSHOTS, click
from test_orders import wait_for_url
from test_tenancy import sign_in


def test_a_customer_orders_a_new_service_and_pays_it(console, browser):
    base = console
    sign_in(browser, base, "admin@acme.test")
    click(browser, browser.find_element(By.ID, "nav-subscriptions"))
    before = len(browser.find_elements(By.CSS_SELECTOR, "#subscriptions-table tbody tr"))
    click(browser, browser.find_element(By.ID, "order-new-service"))
    browser.save_screenshot(str(SCREENSHOTS / "new-service-catalogue.png"))
    click(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Cloud VPS S"))
    ram = browser.find_element(By.ID, "ram_gb")
    ram.clear()
    ram.send_keys("6")
    click(browser, browser.find_element(By.ID, "new-continue"))
    wait_for_url(browser, "estimate=1")
    total = browser.find_element(By.ID, "estimate-total").text
    browser.save_screenshot(str(SCREENSHOTS / "new-service-estimate.png"))
    click(browser, browser.find_element(By.ID, "submit-order"))
    wait_for_url(browser, "/pay")
    assert browser.find_element(By.ID, "checkout-due").text == total
    click(browser, browser.find_element(By.ID, "method-card"))
    browser.find_element(By.ID, "card_number").send_keys("4242 4242 4242 4242")
    click(browser, browser.find_element(By.ID, "checkout-pay"))
    wait_for_url(browser, "/orders/")
    for _ in range(150):
        if browser.find_elements(By.ID, "order-subscription"):
            break
        time.sleep(0.1)
        browser.refresh()
    assert browser.find_element(By.ID, "order-status").get_attribute("data-status") == "completed"
    browser.save_screenshot(str(SCREENSHOTS / "new-service-order.png"))
    click(browser, browser.find_element(By.ID, "order-subscription"))
    assert browser.find_element(By.ID, "subscription-heading").text.startswith("Cloud VPS S")
    assert browser.find_element(By.CSS_SELECTOR, "#resource-ram_gb .total").text == "6"
    assert "Renews on" in browser.find_element(By.ID, "subscription-renewal").text
    browser.save_screenshot(str(SCREENSHOTS / "new-service-subscription.png"))
    click(browser, browser.find_element(By.ID, "nav-subscriptions"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#subscriptions-table tbody tr")) == before + 1
