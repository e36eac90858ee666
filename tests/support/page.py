"""The live page in a real browser: Debian's chromium, headless, driven by selenium through chromium-driver
(nothing downloads a browser). Tests that need it skip, or fail where CI asks for every peer."""
from __future__ import annotations

import socket
import time
from contextlib import contextmanager

from tests.peer import need_executables, need_module

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def need_browser() -> None:
    need_executables("chromium", "chromedriver", install="apt-get install chromium chromium-driver")
    need_module("selenium", install="pip install selenium")


@contextmanager
def browser(width: int = 1280, height: int = 800):
    """A headless chromium; yields the selenium driver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_until(driver, script: str, timeout: float = 10.0, what: str = ""):
    """Poll ``script`` (a JavaScript expression, returned) in the page until it is truthy; returns it."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = driver.execute_script(f"return {script};")
        if value:
            return value
        time.sleep(0.05)
    logs = driver.get_log("browser")
    raise AssertionError(f"waited {timeout}s for {what or script} in the page; last {value!r}; console: {logs}")


def open_page(driver, url: str) -> None:
    """Load the page and wait until it is live with its controls built from the capabilities."""
    driver.get(url)
    wait_until(driver, "window.djai && djai.connected && Object.keys(djai.params).length > 0 "
               "&& djai.status.model !== undefined", 15, "the page to connect and build its controls")
