"""Drives the docs pages in a real headless Chromium, as a user would.

usage: docs_browser.py [--insecure] BASE_URL API_KEY PATH [PATH ...]
       docs_browser.py --fallback BASE_URL

--insecure accepts the host's self-signed certificate (the default HTTPS setup).
--fallback: the pages' assets cannot be loaded; each page must show its fallback message naming
the [docs] keys that fix it.

Swagger UI (/api/docs): every PATH is listed; "Authorize" takes the key; "Try it out" on
GET /api/whoami answers 200 with the key's name; the authorization survives a reload
(persistAuthorization). ReDoc (/api/redoc): every PATH is listed. Neither page may trigger a
Content-Security-Policy violation but the one ReDoc's badge causes on purpose (with local assets
the policy blocks the badge's CDN image). No request may leave BASE_URL (the assets are local),
and no page may ask for /favicon.ico. Prints one JSON line; exits 1 with the reason on failure.
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
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def csp_violations(driver):
    return [entry["message"] for entry in driver.get_log("browser")
            if "Content Security Policy" in entry["message"] and "cdn.redoc.ly/redoc/logo-mini.svg" not in entry["message"]]


def requests_sent(driver):
    """Every URL the browser fetched since the last call, leaving out those it blocked itself
    (a request the Content-Security-Policy blocks never leaves the browser)."""
    sent, blocked = {}, set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            sent[params["requestId"]] = params["request"]["url"]
        elif message.get("method") == "Network.loadingFailed" and params.get("blockedReason"):
            blocked.add(params["requestId"])
    return [url for request, url in sent.items() if request not in blocked]


def fallback(driver, base):
    shown = {}
    for path, keys in (("/api/docs", ["swagger_js_url", "swagger_css_url"]), ("/api/redoc", ["redoc_js_url"])):
        driver.get(base + path)
        text = wait(driver, lambda d: [e.text for e in d.find_elements(By.ID, "docs-fallback") if e.is_displayed() and e.text], f"the fallback message of {path}")[0]
        missing = [key for key in keys if key not in text]
        if missing:
            raise SystemExit(f"the fallback of {path} does not name {missing}: {text}")
        shown[path] = text
    return {"fallback": shown}


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
    if arguments[:1] == ["--fallback"] and len(arguments) == 2:
        driver = browser(False)
        try:
            print(json.dumps(fallback(driver, arguments[1])))
        finally:
            driver.quit()
        return
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
        sent = requests_sent(driver)
        outside = [url for url in sent if not url.startswith(base + "/") and not url.startswith(("data:", "blob:"))]
        if outside:
            raise SystemExit(f"the pages reached outside {base}: {outside}")
        favicon = [url for url in sent if url.endswith("/favicon.ico")]
        if favicon:
            raise SystemExit(f"the pages asked for {favicon}")
        result["requests"] = len(sent)
        print(json.dumps(result))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
