#!/usr/bin/python3
"""The web console in a real browser: headless Chromium driven by Selenium through chromedriver.

  console_browser_test.py VIOLENTUTF_API VUTF_MOCK_TARGET ARTIFACT_DIR

Starts the built service on SQLite and a mock target in vulnerable mode (both on port 0, the
ports read from their "listening" lines), then, through the page only: signs in, creates a target
whose name is markup meant to run, checks that it shows as literal text and ran nothing, starts a
scan with a probe set, a converter and a gate, follows its progress to the end, triages a finding,
downloads a report, runs a second scan and opens the diff against the first. The browser's console must show no
Content-Security-Policy violation and no error. ARTIFACT_DIR/console.png (and console-diff.png)
are screenshots of the scan and the diff views.

Exits 77 (ctest's SKIP_RETURN_CODE) when Chromium, chromedriver or Selenium are missing; CI
installs them (scripts/install-deps.sh), so there it always runs.
"""
import csv
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import traceback
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SKIP = 77

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
ADMIN, PASSWORD = "console-admin", "console-passw0rd"
WAIT_S = 120  # a bound for a broken build only: every wait ends as soon as its condition holds

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    webdriver = None


class child:
    """A program run in the background whose output lines are collected by a thread (so its
    pipe never fills), and whose first line matching a pattern can be awaited."""

    def __init__(self, argv, env, cwd, log_path):
        self.lines = queue.Queue()
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.proc.stdout:
            self.log.write(line)
            self.log.flush()
            self.lines.put(line)
        self.lines.put(None)

    def port(self, pattern):
        """The port in the first line matching `pattern` (a regex with one group)."""
        while True:
            line = self.lines.get(timeout=WAIT_S)
            if line is None:
                raise RuntimeError("exited before listening: see " + self.log.name)
            m = re.search(pattern, line)
            if m:
                return int(m.group(1))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def browser(downloads):
    options = webdriver.ChromeOptions()
    options.add_experimental_option("prefs", {"download.default_directory": downloads,
                                              "download.prompt_for_download": False})
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1100",
                "--disable-dev-shm-usage"):
        options.add_argument(arg)
    # The console's messages (CSP violations, uncaught errors, failed loads) for get_log().
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


class console_session:
    def __init__(self, driver, base):
        self.driver = driver
        self.base = base
        self.log = []

    def wait(self, condition, what):
        return WebDriverWait(self.driver, WAIT_S).until(condition, "waiting for " + what)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def shown(self, css):
        return self.wait(lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, css)
                                         if e.is_displayed()), False), css)

    def collect_log(self):
        self.log += self.driver.get_log("browser")

    def not_pwned(self):
        assert self.driver.execute_script("return window.__pwned") is None, \
            "markup in a target's name ran"

    def api_get(self, path):
        """GET path with the credential the page holds (read from its sessionStorage)."""
        cred = json.loads(self.driver.execute_script(
            "return sessionStorage.getItem('vutf.credential')"))
        req = urllib.request.Request(self.base + "/api/v1" + path,
                                     headers={"Authorization": "Bearer " + cred["value"]})
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())

    def start_scan(self, target_id):
        self.driver.get(self.base + "/console/#/targets")
        self.shown('#targets-table tr[data-id="%s"] a' % target_id).click()
        form = self.shown("#scan-form")
        assert Select(self.find("#scan-target")).first_selected_option.get_attribute(
            "value") == target_id
        form.find_element(By.CSS_SELECTOR, 'input[name="probe"][value="prompt-injection"]').click()
        form.find_element(By.CSS_SELECTOR, 'input[name="converter"][value="base64"]').click()
        self.find("#scan-max-prompts").send_keys("6")
        Select(self.find("#scan-fail-severity")).select_by_value("high")
        self.find("#scan-start").click()
        self.wait(lambda d: re.search(r"#/scans/[0-9a-f-]{36}$", d.current_url), "the scan view")
        scan_id = self.driver.current_url.rsplit("/", 1)[1]
        # The progress bar follows the event stream to the end; then the findings are listed.
        self.wait(lambda d: self.find("#scan-status").get_attribute("data-status") == "completed",
                  "the scan to complete")
        bar = self.find("#scan-progress")
        assert bar.get_attribute("value") == bar.get_attribute("max") == "6", \
            (bar.get_attribute("value"), bar.get_attribute("max"))
        assert "6 of 6 prompts" in self.find("#scan-counts").text
        self.shown("#findings-table tbody tr")
        # Followed over the event stream (fetch with the token in a header), not by polling:
        # the scan itself was read once, when the view opened.
        fetched = self.driver.execute_script(
            "return performance.getEntriesByType('resource').map((e) => e.name)")
        scan_url = self.base + "/api/v1/scans/" + scan_id
        assert scan_url + "/events" in fetched, fetched
        assert fetched.count(scan_url) == 1, fetched
        # fail_on high: the vulnerable mock leaks, so the gate fails.
        assert "gate fail" in self.find("#scan-status").text, self.find("#scan-status").text
        return scan_id


def run(api_binary, mock_binary, artifacts):
    api_binary, mock_binary = os.path.abspath(api_binary), os.path.abspath(mock_binary)
    work = tempfile.mkdtemp(prefix="vutf-console-")
    children = []
    driver = None
    try:
        env = {"PATH": "/usr/bin:/bin", "HOME": work}
        mock = child([mock_binary, "--mode", "vulnerable"], env, work, work + "/mock.log")
        children.append(mock)
        mock_port = mock.port(r"listening on http://127\.0\.0\.1:(\d+)")
        service_env = dict(env, DATABASE_URL="sqlite:///" + work + "/app.db", SERVER_PORT="0",
                           METRICS_PORT="0", OUTBOUND_ALLOW_CIDRS="127.0.0.0/8",
                           ADMIN_USERNAME=ADMIN, ADMIN_EMAIL="console-admin@example.com",
                           ADMIN_PASSWORD=PASSWORD, LOG_LEVEL="warning")
        service = child([api_binary], service_env, work, work + "/service.log")
        children.append(service)
        base = "http://127.0.0.1:%d" % service.port(r"listening api=http://[^:]+:(\d+)")

        downloads = os.path.join(work, "downloads")
        os.makedirs(downloads)
        driver = browser(downloads)
        s = console_session(driver, base)

        # Sign in through the page (/console redirects to /console/).
        driver.get(base + "/console")
        s.shown("#signin-username").send_keys(ADMIN)
        assert driver.current_url.startswith(base + "/console/"), driver.current_url
        s.find("#signin-password").send_keys(PASSWORD)
        s.find("#signin-submit").click()
        s.wait(lambda d: s.find("#who").text == ADMIN, "signed in")

        # A target whose name is markup: shown as that very text, and nothing of it runs.
        s.shown("#target-name").send_keys(HOSTILE)
        s.find("#target-url").send_keys("http://127.0.0.1:%d/v1" % mock_port)
        s.find("#target-model").send_keys("mock")
        s.find("#target-create").click()
        cell = s.shown("#targets-table .target-name")
        assert cell.text == HOSTILE, cell.text
        assert s.find_all("#targets-table img, #targets-table script") == []
        s.not_pwned()
        target_id = s.find("#targets-table tbody tr").get_attribute("data-id")

        first = s.start_scan(target_id)
        s.not_pwned()  # the scan view names the target too

        # Triage the first finding: the page says so, and the API has it.
        row = s.find("#findings-table tbody tr")
        finding_id = row.get_attribute("data-finding")
        Select(row.find_element(By.CSS_SELECTOR, ".triage-status")).select_by_value("accepted")
        row.find_element(By.CSS_SELECTOR, ".triage-note").send_keys("seen in the console")
        row.find_element(By.CSS_SELECTOR, ".triage-save").click()
        s.wait(lambda d: row.find_element(By.CSS_SELECTOR, ".triage-result").text ==
               "saved: accepted", "the triage to be saved")
        findings = s.api_get("/scans/%s/findings?per_page=100" % first)["items"]
        triaged = [f for f in findings if f["id"] == finding_id]
        assert triaged and triaged[0]["status"] == "accepted", triaged
        assert triaged[0]["note"] == "seen in the console", triaged

        # A report downloads with the page's credential (a Blob, not a link with a token).
        s.find('#reports button[data-format="csv"]').click()
        report = os.path.join(downloads, "scan-%s.csv" % first)
        s.wait(lambda d: os.path.exists(report) and os.path.getsize(report) > 0, "the CSV report")
        with open(report, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        assert len(rows) == 1 + len(findings), (len(rows), len(findings))
        s.collect_log()

        # A second scan of the same target, and its diff against the first (the implicit
        # baseline): the same attacks fire again, so they persist.
        second = s.start_scan(target_id)
        os.makedirs(artifacts, exist_ok=True)
        driver.save_screenshot(os.path.join(artifacts, "console.png"))
        s.find("#diff-link").click()
        summary = s.shown("#diff-summary")
        assert "Baseline " + first + ":" in summary.text, summary.text
        persisting = s.find_all("#diff-persisting li")
        assert len(persisting) == len(findings), (len(persisting), len(findings))
        assert s.find_all("#diff-new li") == [] and s.find_all("#diff-fixed li") == []
        # Choosing the baseline explicitly gives the same diff.
        Select(s.find("#diff-baseline")).select_by_value(first)
        s.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#diff-persisting li")) ==
               len(findings), "the explicit baseline's diff")
        driver.save_screenshot(os.path.join(artifacts, "console-diff.png"))
        assert second != first
        s.not_pwned()

        # Nothing refused by the policy, no script error, no failed load.
        s.collect_log()
        bad = [e for e in s.log if e.get("level") == "SEVERE"
               or "Content Security Policy" in e.get("message", "")]
        assert not bad, "browser console: " + json.dumps(bad, indent=1)
        print("console browser test: 1 passed, 0 failed")
    except Exception:
        # What the page showed and said when it failed, for the CI log and artifacts.
        if driver is not None:
            os.makedirs(artifacts, exist_ok=True)
            driver.save_screenshot(os.path.join(artifacts, "console-failure.png"))
            print("at", driver.current_url, file=sys.stderr)
            print("browser console:", json.dumps(driver.get_log("browser"), indent=1),
                  file=sys.stderr)
        for c in children:
            print(open(c.log.name, encoding="utf-8", errors="replace").read()[-4000:],
                  file=sys.stderr)
        raise
    finally:
        if driver is not None:
            driver.quit()
        for c in reversed(children):
            c.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if webdriver is None:
        missing.append("python3-selenium")
    if missing:
        print("SKIPPED: the browser test needs chromium, chromium-driver and python3-selenium "
              "(scripts/install-deps.sh installs them); missing: " + ", ".join(missing))
        return SKIP
    try:
        run(*sys.argv[1:])
    except Exception:  # the test's failure, with its traceback
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
