"""The upgrade flow in Bengali (issue 16, item 4): Rasheda Begum, the admin of Meghna Traders (a customer of
the demo reseller Padma Cloud, which sells in BDT), signs in with a Bengali browser, opens her subscription,
adds 2 GB of RAM, reads the estimate, checks out, pays by card and sees the change done: every step in
Bengali, amounts in taka (৳) with Bengali digits."""
import datetime
import re
import shutil
import time
from decimal import ROUND_HALF_UP, Decimal

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from conftest import SCREENSHOTS, click
from test_change import api
from test_orders import wait_for_url

EMAIL = "admin@meghna.test"
BENGALI = re.compile(r"[\u0980-\u09FF]")
TO_ASCII = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")


@pytest.fixture
def bengali_browser():
    """Chromium whose Accept-Language asks for Bengali first (the sign-in page before anyone is known)."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000", "--lang=bn-BD"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "bn-BD,bn,en"})
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(2)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


ENGLISH_LEFT = []


def bengali(element_or_text):
    """Notes the text unless it is written in Bengali (holds Bengali letters), and answers it. The walk goes on
    to its end (every screenshot taken); the test then fails naming every English text it met."""
    text = element_or_text if isinstance(element_or_text, str) else element_or_text.text
    if not BENGALI.search(text):
        ENGLISH_LEFT.append(text[:80])
    return text


def taka(text):
    """`১,২৩৪.৫০৳` → Decimal('1234.50'): the amount must carry the taka sign and Bengali digits only."""
    assert text.endswith("৳"), f"not an amount in taka: {text!r}"
    number = text[:-1].strip()
    assert not re.search(r"[0-9]", number), f"ASCII digits in a Bengali amount: {text!r}"
    return Decimal(number.translate(TO_ASCII).replace(",", ""))


def bengali_number(text):
    assert not re.search(r"[0-9]", text), f"ASCII digits in a Bengali number: {text!r}"
    return int(text.translate(TO_ASCII).replace(",", ""))


def shot(browser, name):
    browser.save_screenshot(str(SCREENSHOTS / name))


def meghna_with_15_days_left(base):
    """Meghna's subscription, with the test clock set so that 15 days of its period remain: answers it and D."""
    provider = api(base, "POST", "/tokens", {"email": "admin@provider.test", "password": "console-demo-1"})["token"]
    customer = api(base, "POST", "/tokens", {"email": EMAIL, "password": "console-demo-1"})["token"]
    subscription = api(base, "GET", "/subscriptions", token=customer)["items"][0]
    start = datetime.date.fromisoformat(subscription["period_start"])
    end = datetime.date.fromisoformat(subscription["period_end"])
    days = (end - start).days
    api(base, "PUT", "/clock", {"now": f"{start + datetime.timedelta(days=days - 15)}T10:00:00Z"}, token=provider)
    return subscription, days


def test_bengali_customer_upgrades_pays_in_taka_and_sees_it_done(console, bengali_browser):
    base, browser = console, bengali_browser
    ENGLISH_LEFT.clear()
    subscription, days = meghna_with_15_days_left(base)
    page = f"{base}/subscriptions/{subscription['id']}"

    # 1. The sign-in page speaks the browser's language.
    browser.get(base + "/signin")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "bn"
    bengali(browser.find_element(By.ID, "signin-heading"))
    bengali(browser.find_element(By.ID, "signin-submit"))
    shot(browser, "bn-signin.png")
    browser.find_element(By.ID, "email").send_keys(EMAIL)
    browser.find_element(By.ID, "password").send_keys("console-demo-1")
    click(browser, browser.find_element(By.ID, "signin-submit"))
    bengali(browser.find_element(By.ID, "dashboard-heading"))

    # 2. Her subscription: headings, facts and the change button in Bengali, quantities in Bengali digits.
    click(browser, browser.find_element(By.ID, "nav-subscriptions"))
    bengali(browser.find_element(By.ID, "main"))
    click(browser, browser.find_element(By.LINK_TEXT, str(subscription["id"])))
    assert browser.current_url == page
    bengali(browser.find_element(By.ID, "subscription-facts"))
    bengali(browser.find_element(By.ID, "subscription-change"))
    ram = bengali_number(browser.find_element(By.CSS_SELECTOR, "#resource-ram_gb .total").text)
    shot(browser, "bn-subscription.png")

    # 3. Two more GB of RAM: the change page, then the estimate.
    click(browser, browser.find_element(By.ID, "subscription-change"))
    bengali(browser.find_element(By.ID, "main"))
    field = browser.find_element(By.ID, "ram_gb")
    field.clear()
    field.send_keys(str(ram + 2))
    shot(browser, "bn-change.png")
    click(browser, browser.find_element(By.ID, "change-continue"))
    wait_for_url(browser, "/estimate?")

    # +2 GB at ৳300.00 a month for 15 of D days, rounded half up once, then Meghna's 15 % VAT, rounded once.
    paisa = Decimal("0.01")
    line = (Decimal(2) * Decimal("300") * 15 / days).quantize(paisa, rounding=ROUND_HALF_UP)
    vat = (line * Decimal("0.15")).quantize(paisa, rounding=ROUND_HALF_UP)
    assert taka(browser.find_element(By.ID, "estimate-total").text) == line + vat
    bengali(browser.find_element(By.ID, "estimate-lines"))
    bengali(browser.find_element(By.ID, "submit-order"))
    shot(browser, "bn-estimate.png")

    # 4. Check out: what is due, in taka, and the card form in Bengali.
    click(browser, browser.find_element(By.ID, "submit-order"))
    wait_for_url(browser, "/pay")
    due = browser.find_element(By.ID, "checkout-due").text
    assert taka(due) == line + vat
    bengali(browser.find_element(By.ID, "main"))
    click(browser, browser.find_element(By.ID, "method-card"))
    browser.find_element(By.ID, "card_number").send_keys("4242 4242 4242 4242")
    bengali(browser.find_element(By.ID, "checkout-pay"))
    shot(browser, "bn-checkout.png")

    # 5. Paid: back on the subscription, told so in Bengali, and the RAM is there once provisioned.
    click(browser, browser.find_element(By.ID, "checkout-pay"))
    wait_for_url(browser, page, exact=True)
    flash = bengali(browser.find_element(By.ID, "flash"))
    assert due in flash, flash
    for _ in range(150):
        if not browser.find_elements(By.ID, "open-order"):
            break
        time.sleep(0.1)
        browser.refresh()
    else:
        raise AssertionError("the order did not finish provisioning")
    assert bengali_number(browser.find_element(By.CSS_SELECTOR, "#resource-ram_gb .total").text) == ram + 2
    bengali(browser.find_element(By.ID, "subscription-orders"))
    shot(browser, "bn-done.png")
    assert not ENGLISH_LEFT, f"English on the Bengali pages: {ENGLISH_LEFT}"


def test_bengali_refusal_reads_in_bengali(console, bengali_browser):
    """An error met on the way (a card the test gateway doesn't know) is in Bengali too, field marked."""
    base, browser = console, bengali_browser
    browser.get(base + "/signin")
    browser.find_element(By.ID, "email").send_keys(EMAIL)
    browser.find_element(By.ID, "password").send_keys("console-demo-1")
    click(browser, browser.find_element(By.ID, "signin-submit"))
    customer = api(base, "POST", "/tokens", {"email": EMAIL, "password": "console-demo-1"})["token"]
    subscription = api(base, "GET", "/subscriptions", token=customer)["items"][0]
    browser.get(f"{base}/subscriptions/{subscription['id']}")
    if browser.find_elements(By.ID, "open-order-pay"):
        click(browser, browser.find_element(By.ID, "open-order-pay"))
    else:
        click(browser, browser.find_element(By.ID, "subscription-change"))
        field = browser.find_element(By.ID, "ram_gb")
        total = int(field.get_attribute("value").translate(TO_ASCII))
        field.clear()
        field.send_keys(str(total + 1))
        click(browser, browser.find_element(By.ID, "change-continue"))
        wait_for_url(browser, "/estimate?")
        click(browser, browser.find_element(By.ID, "submit-order"))
    wait_for_url(browser, "/pay")
    click(browser, browser.find_element(By.ID, "method-card"))
    browser.find_element(By.ID, "card_number").send_keys("1111 2222 3333 4444")
    click(browser, browser.find_element(By.ID, "checkout-pay"))
    error = browser.find_element(By.ID, "checkout-error").text
    shot(browser, "bn-checkout-error.png")
    assert BENGALI.search(error) and "4242 4242 4242 4242" in error, error
