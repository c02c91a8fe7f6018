"""Every flow works by keyboard alone (issue 16, item 6): the tests move only with TAB, SHIFT+TAB, ENTER,
SPACE and the arrow keys, and type text into the focused field, all through selenium's ActionChains: no
click, no element.send_keys. A control a keyboard cannot reach fails `tab_to`; every control focused on
the way must show where the focus is (an outline or Bootstrap's focus ring)."""
import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import SCREENSHOTS

PASSWORD = "console-demo-1"
MAX_TABS = 150

FOCUS_SHOWN = """
const el = document.activeElement, style = getComputedStyle(el);
const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
const ring = style.boxShadow && style.boxShadow !== 'none';
return outline || ring;
"""


def press(browser, *keys):
    chain = ActionChains(browser)
    for key in keys:
        chain.send_keys(key)
    chain.perform()


def type_text(browser, text):
    """Types into whatever has the focus, as a person at a keyboard does."""
    ActionChains(browser).send_keys(text).perform()


def focused(browser):
    return browser.execute_script("return document.activeElement;")


def focused_id(browser):
    return browser.execute_script("return document.activeElement && document.activeElement.id;")


def tab_to(browser, matches, backwards=False, what=None):
    """Presses TAB (or SHIFT+TAB) until the focused element satisfies `matches` (an id, or a function of
    the element); fails when it is never reached. Checks on the way that each focused control shows its focus."""
    if isinstance(matches, str):
        wanted = matches
        matches = lambda element: element.get_attribute("id") == wanted  # noqa: E731
        what = what or f"#{wanted}"
    for _ in range(MAX_TABS):
        if backwards:
            ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        else:
            press(browser, Keys.TAB)
        element = focused(browser)
        if element is None or element.tag_name == "body":
            continue
        assert browser.execute_script(FOCUS_SHOWN), \
            f"the focus on <{element.tag_name} id={element.get_attribute('id')!r}> {element.text[:40]!r} is not visible"
        if matches(element):
            return element
    raise AssertionError(f"{what or 'the control'} is not reachable with the keyboard on {browser.current_url}")


def wait_for(browser, condition, what):
    for _ in range(150):
        if browser.execute_script("return document.readyState") == "complete" and condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} not reached: {browser.current_url}")


def enter(browser, element_id_after=None, url_part=None):
    """ENTER on the focused control; waits for the next page when one is expected."""
    browser.execute_script("window.__beforeEnter = true;")
    press(browser, Keys.ENTER)
    wait_for(browser, lambda: browser.execute_script("return !window.__beforeEnter;")
             and (url_part is None or url_part in browser.current_url)
             and (element_id_after is None or browser.find_elements(By.ID, element_id_after)),
             element_id_after or url_part or "the next page")


def keyboard_sign_in(browser, base, email):
    browser.get(base + "/signin")
    assert focused_id(browser) == "email", "the email field has the focus when the page opens"
    type_text(browser, email)
    tab_to(browser, "password")
    type_text(browser, PASSWORD)
    enter(browser, "dashboard-heading")


def test_sign_in_by_keyboard_and_reach_the_navigation(console, browser):
    base = console
    keyboard_sign_in(browser, base, "admin@acme.test")
    # From the top of the page, TAB reaches the navigation, and ENTER on a link opens its page.
    tab_to(browser, "nav-subscriptions")
    browser.save_screenshot(str(SCREENSHOTS / "keyboard-focus-nav.png"))
    enter(browser, "subscriptions-heading")
    # SHIFT+TAB goes back up to the brand link.
    tab_to(browser, "nav-dashboard", backwards=True)

    # The first TAB on a page is "Skip to content" (shown while focused); ENTER on it puts the next TAB
    # inside the page's content, past the navigation.
    browser.get(base + "/subscriptions")
    press(browser, Keys.TAB)
    assert focused_id(browser) == "skip-link"
    assert browser.find_element(By.ID, "skip-link").is_displayed(), "the skip link shows while it has the focus"
    press(browser, Keys.ENTER)
    press(browser, Keys.TAB)
    assert browser.execute_script("return document.getElementById('main').contains(document.activeElement);"), \
        f"after the skip link the focus is in the content, not on #{focused_id(browser)}"


def test_a_customer_changes_a_resource_by_keyboard_and_pays_by_card(console, browser):
    base = console
    keyboard_sign_in(browser, base, "admin@acme.test")
    tab_to(browser, "nav-subscriptions")
    enter(browser, "subscriptions-table")
    tab_to(browser, lambda el: el.tag_name == "a" and "/subscriptions/" in (el.get_attribute("href") or "")
           and el.text.strip().isdigit(), what="the subscription's link")
    enter(browser, "subscription-change")
    tab_to(browser, "subscription-change")
    enter(browser, "change-form")

    slider = tab_to(browser, "ram_gb-range")
    before = int(slider.get_attribute("value"))
    press(browser, Keys.ARROW_RIGHT)
    assert int(slider.get_attribute("value")) == before + 1, "the arrow key moves the slider one unit"
    assert int(browser.find_element(By.ID, "ram_gb").get_attribute("value")) == before + 1, "the number field follows"
    browser.save_screenshot(str(SCREENSHOTS / "keyboard-slider.png"))
    tab_to(browser, "change-continue")
    enter(browser, url_part="/estimate?")

    tab_to(browser, "submit-order")
    enter(browser, "checkout-form", url_part="/pay")
    # The payment method is a radio group: arrow keys choose inside it, TAB moves on to the card number.
    radio = tab_to(browser, lambda el: el.get_attribute("name") == "method", what="the payment methods")
    if radio.get_attribute("id") != "method-card":
        for _ in range(3):
            press(browser, Keys.ARROW_DOWN)
            if focused_id(browser) == "method-card":
                break
    assert focused_id(browser) == "method-card"
    assert browser.find_element(By.ID, "method-card").is_selected()
    tab_to(browser, "card_number")
    type_text(browser, "4242 4242 4242 4242")
    tab_to(browser, "checkout-pay")
    browser.save_screenshot(str(SCREENSHOTS / "keyboard-checkout.png"))
    due = browser.find_element(By.ID, "checkout-due").text
    enter(browser, "flash")
    assert f"is paid ({due})" in browser.find_element(By.ID, "flash").text
    # The flash message is announced (role=status) and the focus starts again at the top of the page.
    assert browser.find_element(By.ID, "flash").get_attribute("role") == "status"


def test_a_reseller_creates_a_customer_by_keyboard(console, browser):
    base = console
    keyboard_sign_in(browser, base, "admin@northwind.test")
    tab_to(browser, "nav-customers")
    enter(browser, "accounts-heading")
    tab_to(browser, "accounts-new")
    enter(browser, "account-form")
    # Create at once, with nothing typed: the form comes back with the focus on the first wrong field, which
    # carries its message as its description.
    tab_to(browser, "account-submit")
    enter(browser, "name-error")
    assert focused_id(browser) == "name", f"the focus starts at the first wrong field, not #{focused_id(browser)}"
    name = browser.find_element(By.ID, "name")
    assert name.get_attribute("aria-invalid") == "true"
    described = [browser.find_element(By.ID, i).text for i in name.get_attribute("aria-describedby").split()]
    assert browser.find_element(By.ID, "name-error").text in described, described
    type_text(browser, "Keyboard Traders")
    press(browser, Keys.HOME)
    tab_to(browser, "kind", backwards=True)
    # Kind and seller are selects: the arrow keys would change them; the defaults (a customer of Northwind) stay.
    assert browser.find_element(By.ID, "kind").get_attribute("value") == "customer"
    tab_to(browser, "name")
    assert browser.find_element(By.ID, "name").get_attribute("value") == "Keyboard Traders"
    tab_to(browser, "currency")
    if not browser.find_element(By.ID, "currency").get_attribute("value"):
        type_text(browser, "USD")
    assert browser.find_element(By.ID, "currency").get_attribute("value") == "USD"
    tab_to(browser, "tax_rate")
    if not browser.find_element(By.ID, "tax_rate").get_attribute("value"):
        type_text(browser, "0.10")
    tab_to(browser, "contact_email")
    type_text(browser, "ops@keyboard-traders.test")
    tab_to(browser, "account-submit")
    enter(browser, url_part="/accounts/")
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert "Keyboard Traders" in heading, browser.find_element(By.ID, "main").text


def test_the_live_estimate_keeps_the_keyboard_focus_when_it_refreshes(console, browser):
    """The estimate follows the sliders (console.js fetches it again after each move). A keyboard user who
    moves a slider and tabs on to Submit must still be on Submit when the new estimate arrives, and the
    estimate must stay one live region (updated in place) so that a screen reader announces the new total."""
    base = console
    keyboard_sign_in(browser, base, "admin@acme.test")
    browser.get(base + "/subscriptions")
    subscription = browser.find_element(By.CSS_SELECTOR, "#subscriptions-table tbody a").text
    browser.get(f"{base}/subscriptions/{subscription}/change")
    tab_to(browser, "ram_gb-range")
    press(browser, Keys.ARROW_RIGHT)
    tab_to(browser, "change-continue")
    enter(browser, url_part="/estimate?")

    region = browser.find_element(By.ID, "estimate")
    total = browser.find_element(By.ID, "estimate-total").text
    # How many TABs from the slider to Submit; then back, and the move and the TABs in one go, as a quick typist
    # does: Submit has the focus before the new estimate arrives.
    tab_to(browser, "ram_gb-range")
    tabs = 0
    while focused_id(browser) != "submit-order":
        press(browser, Keys.TAB)
        tabs += 1
        assert tabs < MAX_TABS, "Submit is not reachable with the keyboard"
    back = ActionChains(browser).key_down(Keys.SHIFT)
    for _ in range(tabs):
        back.send_keys(Keys.TAB)
    back.key_up(Keys.SHIFT).perform()
    assert focused_id(browser) == "ram_gb-range"
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT, *([Keys.TAB] * tabs)).perform()
    assert focused_id(browser) == "submit-order"
    wait_for(browser, lambda: browser.execute_script(
        "const t = document.getElementById('estimate-total'); return t && t.textContent !== arguments[0];", total),
        "the refreshed estimate")
    time.sleep(0.3)
    assert focused_id(browser) == "submit-order", f"the focus went to <{focused(browser).tag_name}> when the estimate refreshed"
    assert browser.execute_script("return document.getElementById('estimate') === arguments[0];", region), \
        "the live region is updated in place, not replaced"
