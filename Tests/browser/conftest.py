"""Runs the real console binary against a fresh, migrated and seeded database, and drives it
with headless Chromium through selenium. Started by `make test` after the Swift suite."""
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "Tests" / "browser" / "screenshots"
DATABASE = os.environ.get("BROWSER_DATABASE", "console_test_browser")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def console_env():
    env = dict(os.environ)
    env["DATABASE_NAME"] = DATABASE
    env["BCRYPT_COST"] = "6"
    env["CONSOLE_TEST_MODE"] = "1"
    env["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = "1"   # test_webhooks.py's receiver listens on 127.0.0.1
    env["BILLING_RUN_INTERVAL_MINUTES"] = "0"
    env.pop("DATABASE_URL", None)
    return env


@pytest.fixture(scope="session")
def console():
    binary = ROOT / ".build" / "debug" / "console"
    assert binary.exists(), "build first: swift build"
    subprocess.run([str(ROOT / "scripts" / "db.sh"), "mysql", "-e",
                    f"DROP DATABASE IF EXISTS {DATABASE}; CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"],
                   check=True)
    env = console_env()
    subprocess.run([str(binary), "migrate"], env=env, cwd=ROOT, check=True)
    subprocess.run([str(binary), "seed"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    env["PORT"] = str(port)
    server = subprocess.Popen([str(binary), "serve"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if urllib.request.urlopen(base + "/healthz", timeout=1).status == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        raise RuntimeError("the console did not start")
    yield base
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(2)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def click(browser, element):
    """Scrolls the element to the middle of the window first (at once: Bootstrap scrolls smoothly), since long tables push it off screen.
    A link or a submit button loads a new page: wait until the old document is replaced and the new one loaded,
    or the next lookup may find an element of the old page."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    navigates = element.tag_name == "a" or element.get_attribute("type") == "submit"
    if navigates:
        browser.execute_script("window.__beforeClick = true;")
    element.click()
    if navigates:
        WebDriverWait(browser, 10, ignored_exceptions=(WebDriverException,)).until(
            lambda driver: driver.execute_script("return !window.__beforeClick && document.readyState === 'complete';"))
