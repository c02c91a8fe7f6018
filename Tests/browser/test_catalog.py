"""The provider builds a catalog in the browser: two resources, an upgrade pair, and a plan
with both resources, whose page shows the pair."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import SCREENSHOTS, click
from test_tenancy import sign_in


def add_resource(browser, base, code, name):
    browser.get(base + "/catalog/resources")
    browser.find_element(By.ID, "code").send_keys(code)
    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.ID, "unit").send_keys("plan")
    Select(browser.find_element(By.ID, "kind")).select_by_value("quantity")
    for field, value in (("min_units", "0"), ("max_units", "1")):
        box = browser.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    click(browser, browser.find_element(By.ID, "resource-submit"))
    assert browser.find_element(By.ID, "resource-heading").text.startswith(code)
    return browser.current_url.rsplit("/", 1)[-1]


def test_provider_builds_resources_a_pair_and_a_plan(console, browser):
    base = console
    sign_in(browser, base, "admin@provider.test")
    basic = add_resource(browser, base, "backup_basic", "Backup basic")
    plus = add_resource(browser, base, "backup_plus", "Backup plus")
    browser.save_screenshot(str(SCREENSHOTS / "catalog-resources.png"))

    browser.get(base + "/catalog/resource-upgrades")
    Select(browser.find_element(By.ID, "from_resource_id")).select_by_value(basic)
    Select(browser.find_element(By.ID, "to_resource_id")).select_by_value(plus)
    browser.find_element(By.ID, "upgrade_fee").send_keys("4.50")
    click(browser, browser.find_element(By.ID, "downgradable"))
    click(browser, browser.find_element(By.ID, "upgrade-submit"))
    # The list page had a table before the submit too: wait for the page that answers it.
    WebDriverWait(browser, 5).until(EC.text_to_be_present_in_element((By.ID, "flash"), "defined"))
    assert "backup_basic → backup_plus" in browser.find_element(By.ID, "upgrades-table").text
    browser.save_screenshot(str(SCREENSHOTS / "catalog-upgrades.png"))

    browser.get(base + "/plans/new")
    browser.find_element(By.ID, "name").send_keys("Backup Plan")
    browser.find_element(By.ID, "fee_1").send_keys("12.00")
    for resource in (basic, plus):
        click(browser, browser.find_element(By.ID, f"r{resource}_offered"))
        recurring = browser.find_element(By.ID, f"r{resource}_recurring")
        recurring.clear()
        recurring.send_keys("2.5")
    browser.save_screenshot(str(SCREENSHOTS / "plan-editor.png"))
    click(browser, browser.find_element(By.ID, "plan-submit"))
    assert browser.find_element(By.ID, "plan-heading").text == "Backup Plan"
    assert "backup_basic → backup_plus" in browser.find_element(By.ID, "plan-pairs").text
    browser.save_screenshot(str(SCREENSHOTS / "plan-page.png"))
