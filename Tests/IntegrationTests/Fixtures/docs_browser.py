"""Drives the docs pages in a real headless Chromium, as a user would.

usage: docs_browser.py [--insecure] BASE_URL API_KEY PATH [PATH ...]

--insecure accepts the host's self-signed certificate (the default HTTPS setup).

Swagger UI (/api/docs): every PATH is listed; "Authorize" takes the key; "Try it out" on
GET /api/whoami answers 200 with the key's name; the authorization survives a reload
(persistAuthorization). ReDoc (/api/redoc): every PATH is listed. Neither page may trigger a
Content-Security-Policy violation. Prints one JSON line; exits 1 with the reason on failure.
"""
import json
import shutil
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

TIMEOUT = 30


def browser(insecure):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        raise SystemExit("needs chromium and chromedriver on PATH (Debian: apt-get install chromium chromium-driver)")
    options = Options()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,3000"):
        options.add_argument(flag)
    if insecure:
        options.add_argument("--ignore-certificate-errors")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def csp_violations(driver):
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]


def wait(driver, condition, what):
    try:
        return WebDriverWait(driver, TIMEOUT).until(lambda d: condition(d))
    except Exception as error:
        raise SystemExit(f"timed out waiting for {what}: {error!r}")


def swagger(driver, base, key, paths):
    driver.get(base + "/api/docs")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"), "Swagger UI to list operations")
    listed = {element.get_attribute("data-path") for element in driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    missing = [path for path in paths if path not in listed]
    if missing:
        raise SystemExit(f"Swagger UI does not list {missing}; it lists {sorted(listed)}")

    driver.find_element(By.CSS_SELECTOR, "button.authorize").click()
    field = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".modal-ux input"), "the Authorize dialog")[0]
    field.send_keys(key)
    driver.find_element(By.CSS_SELECTOR, ".modal-ux button.authorize").click()
    driver.find_element(By.CSS_SELECTOR, ".modal-ux button.btn-done").click()

    block = [b for b in driver.find_elements(By.CSS_SELECTOR, ".opblock")
             if b.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path") == "/api/whoami"][0]
    block.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait(driver, lambda d: block.find_elements(By.CSS_SELECTOR, ".try-out__btn"), "the Try it out button").pop().click()
    wait(driver, lambda d: block.find_elements(By.CSS_SELECTOR, "button.execute"), "the Execute button").pop().click()
    status = wait(driver, lambda d: [e.text for e in block.find_elements(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status") if e.text.strip()],
                  "the response of Try it out")[0].strip()
    body = " ".join(e.text for e in block.find_elements(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_description .microlight"))
    if status != "200":
        raise SystemExit(f"Try it out on GET /api/whoami answered {status}: {body}")

    driver.refresh()
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"), "Swagger UI after reload")
    stored = driver.execute_script("return window.localStorage.getItem('authorized')") or ""
    if "APIKeyHeader" not in stored:
        raise SystemExit("the authorization did not survive a reload (persistAuthorization)")
    return {"swagger_listed": len(listed), "try_it_out_status": int(status), "try_it_out_body": body}


def redoc(driver, base, paths):
    driver.get(base + "/api/redoc")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-section-id^='tag/'], .api-content"), "ReDoc to render")
    wait(driver, lambda d: all(path in d.page_source for path in paths), "ReDoc to list every path")
    return {"redoc_ok": True}


def main():
    arguments = sys.argv[1:]
    insecure = arguments[:1] == ["--insecure"]
    if insecure:
        arguments = arguments[1:]
    if len(arguments) < 3:
        raise SystemExit(__doc__)
    base, key, paths = arguments[0], arguments[1], arguments[2:]
    driver = browser(insecure)
    try:
        result = swagger(driver, base, key, paths)
        violations = csp_violations(driver)
        result.update(redoc(driver, base, paths))
        violations += csp_violations(driver)
        if violations:
            raise SystemExit(f"Content-Security-Policy violations: {violations}")
        print(json.dumps(result))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
