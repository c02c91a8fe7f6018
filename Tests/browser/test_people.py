"""People (issue 15, item 2): a customer's admin edits a user from the account page (and can't
demote the last admin), the user resets a forgotten password through the link of the outbox's
password_reset event, signs in with it and keeps their own profile."""
import json
import re
import subprocess
import time
import urllib.parse

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import DATABASE, ROOT, SCREENSHOTS, click
from test_accounts_lifecycle import call, sign_in

PASSWORD = "console-demo-1"
USER_EMAIL = "pat@people-browser.test"


def newest_reset_link():
    """The link in the password reset email Pat just got: the console has no SMTP server here, so the
    outbox's email channel wrote the message to the local sink (.local/mail, docs/email.md). The link
    is the one of the newest password_reset event."""
    out = subprocess.run([str(ROOT / "scripts" / "db.sh"), "mysql", DATABASE, "-N", "-r", "-e",
                          "SELECT payload FROM outbox_events WHERE type = 'password_reset' ORDER BY id DESC LIMIT 1"],
                         check=True, capture_output=True, text=True).stdout.strip()
    recorded = json.loads(out)["link"]
    deadline = time.time() + 20
    while time.time() < deadline:
        for message in sorted((ROOT / ".local" / "mail").glob("*.json"), reverse=True)[:50]:
            mail = json.loads(message.read_text())
            if USER_EMAIL in mail["to"] and recorded in mail["text"]:
                assert mail["subject"].startswith("Reset your"), mail["subject"]
                links = re.findall(r"https?://\S+/password-resets/\S+", mail["text"])
                assert links == [recorded], links
                return links[0]
        time.sleep(0.25)
    raise AssertionError("no password reset email reached the mail sink within 20 s")


def test_an_admin_edits_a_user_who_then_resets_a_forgotten_password_and_keeps_a_profile(console, browser):
    base = console
    provider = call(base, "POST", "/api/v1/tokens", body={"email": "admin@provider.test", "password": PASSWORD})["token"]
    acme = next(a for a in call(base, "GET", "/api/v1/accounts?q=Acme", token=provider)["items"] if a["name"] == "Acme Corp")
    user = call(base, "POST", f"/api/v1/accounts/{acme['id']}/users", token=provider,
                body={"email": USER_EMAIL, "password": "first-password-1", "role": "operator", "name": "Pat"})

    # Acme's admin renames the user and makes it a viewer, from the users list of the account page.
    sign_in(browser, base, "admin@acme.test", PASSWORD)
    browser.get(f"{base}/accounts/{acme['id']}")
    row = browser.find_element(By.ID, f"user-row-{user['id']}")
    name = row.find_element(By.NAME, "name")
    name.clear()
    name.send_keys("Pat Jones")
    Select(row.find_element(By.NAME, "role")).select_by_value("viewer")
    browser.save_screenshot(str(SCREENSHOTS / "people-users-list.png"))
    click(browser, browser.find_element(By.ID, f"user-save-{user['id']}"))
    assert "saved" in browser.find_element(By.ID, "flash").text
    row = browser.find_element(By.ID, f"user-row-{user['id']}")
    assert row.find_element(By.NAME, "name").get_attribute("value") == "Pat Jones"

    # Acme's only admin can't step down: the form comes back with what was typed.
    admin_id = next(u["id"] for u in call(base, "GET", f"/api/v1/accounts/{acme['id']}/users", token=provider)["items"] if u["email"] == "admin@acme.test")
    browser.get(f"{base}/users/{admin_id}")
    Select(browser.find_element(By.ID, "role")).select_by_value("operator")
    click(browser, browser.find_element(By.ID, "user-edit-submit"))
    assert "last active admin" in browser.find_element(By.ID, "form-error").text
    assert Select(browser.find_element(By.ID, "role")).first_selected_option.get_attribute("value") == "operator"
    browser.save_screenshot(str(SCREENSHOTS / "people-last-admin-refused.png"))
    click(browser, browser.find_element(By.ID, "signout"))

    # Pat forgot the password: the sign-in page's link, the same answer for anyone, the emailed link.
    click(browser, browser.find_element(By.ID, "forgot-password"))
    browser.find_element(By.ID, "email").send_keys(USER_EMAIL)
    browser.save_screenshot(str(SCREENSHOTS / "people-reset-request.png"))
    click(browser, browser.find_element(By.ID, "reset-request-submit"))
    assert "link to set a new password is on its way" in browser.find_element(By.ID, "reset-request-sent").text
    browser.save_screenshot(str(SCREENSHOTS / "people-reset-request-sent.png"))
    path = urllib.parse.urlparse(newest_reset_link()).path
    browser.get(base + path)
    browser.find_element(By.ID, "password").send_keys("second-password-2")
    browser.save_screenshot(str(SCREENSHOTS / "people-reset-form.png"))
    click(browser, browser.find_element(By.ID, "reset-submit"))
    assert browser.find_element(By.ID, "reset-done").is_displayed()
    browser.save_screenshot(str(SCREENSHOTS / "people-reset-done.png"))
    browser.get(base + path)
    assert browser.find_element(By.ID, "reset-invalid").is_displayed(), "the link works once"
    browser.save_screenshot(str(SCREENSHOTS / "people-reset-used.png"))

    # Signed in with the new password, Pat opens the profile from the top bar.
    sign_in(browser, base, USER_EMAIL, "second-password-2")
    click(browser, browser.find_element(By.ID, "user-email"))
    assert browser.find_element(By.ID, "name").get_attribute("value") == "Pat Jones"
    Select(browser.find_element(By.ID, "locale")).select_by_value("bn")
    click(browser, browser.find_element(By.ID, "profile-submit"))
    # Pat chose Bengali: the confirmation already speaks it, and so does the page.
    assert "প্রোফাইল সংরক্ষিত" in browser.find_element(By.ID, "flash").text
    assert browser.execute_script("return document.documentElement.lang;") == "bn"
    browser.find_element(By.ID, "current_password").send_keys("not-my-password")
    browser.find_element(By.ID, "password").send_keys("third-password-3")
    click(browser, browser.find_element(By.ID, "password-submit"))
    assert browser.find_element(By.ID, "current_password-error").is_displayed()
    browser.save_screenshot(str(SCREENSHOTS / "people-profile.png"))
