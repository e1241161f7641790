"""What the browser tests share: a real `ply serve` on free ports, headless Chromium players
driven by Selenium, and a line client over `POST /line` to ask the server what it holds."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = float(os.environ.get("PLY_BROWSER_WAIT_SECONDS", "20"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `ply serve` of its own: line port and HTTP port free right now, accounts unlimited.
    With `psql` it confirms emails (`--email-confirmation`), and `mailed_code` reads the code
    the outbox holds for an address, as a player would read it in the mail."""

    def __init__(self, ply, database_url, psql=None):
        self.port, self.http_port = free_port(), free_port()
        self.database_url, self.psql = database_url, psql
        self.log = tempfile.NamedTemporaryFile(prefix="ply-browser-server.", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [ply, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--http-port", str(self.http_port),
             "--database-url", database_url, "--new-accounts-per-ip", "0", "--log-level", "warning"]
            + (["--email-confirmation"] if psql else []),
            stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.http_port}/"
        deadline = time.time() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"ply serve ended with status {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url + "healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"ply serve did not become healthy in 60 s; see {self.log.name}")
            time.sleep(0.2)

    def mailed_code(self, email):
        """The last confirmation code put in the outbox for `email`, or None."""
        out = subprocess.run(
            [self.psql, self.database_url, "-tAc",
             "SELECT code FROM outbox WHERE kind = 'confirm' AND email = '" + email.replace("'", "''") + "' ORDER BY id DESC LIMIT 1"],
            capture_output=True, text=True, check=True).stdout.strip()
        return out or None

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def line(base_url, text, session=None):
    """One request over `POST /line`; returns (ok, value-or-error-line)."""
    request = urllib.request.Request(base_url + "line", data=text.encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
    if session:
        request.add_header("Authorization", f"Bearer {session}")
    with urllib.request.urlopen(request, timeout=30) as r:
        reply = r.read().decode().strip()
    if reply == "OK":
        return True, None
    if reply.startswith("OK "):
        return True, json.loads(reply[3:])
    return False, reply


class Player:
    """One browser: its own Chromium profile, so its own device id in local storage."""

    def __init__(self, name, base_url, shots, mailed_code=None):
        """`mailed_code(email)`: how this player reads a confirmation code from their mail,
        when the server confirms emails."""
        self.name, self.base_url, self.shots, self.mailed_code = name, base_url, shots, mailed_code
        options = webdriver.ChromeOptions()
        options.binary_location = os.environ.get("PLY_CHROMIUM", "/usr/bin/chromium")
        for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--window-size=1300,1000", "--no-first-run", "--disable-extensions"]:
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=os.environ.get("PLY_CHROMEDRIVER", "/usr/bin/chromedriver"))
        self.driver = webdriver.Chrome(options=options, service=service)
        self.open()
        self.player = self.wait(lambda d: d.find_element(By.ID, "me").get_attribute("data-player") or None)

    # Page helpers

    def open(self, hash_part=""):
        self.driver.get(self.base_url + ("#" + hash_part if hash_part else ""))
        self.wait(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))

    def wait(self, condition, message="", seconds=WAIT_SECONDS):
        try:
            # A page that re-renders (or reloads) replaces the elements a condition holds.
            return WebDriverWait(self.driver, seconds, poll_frequency=0.05,
                                 ignored_exceptions=[StaleElementReferenceException]).until(condition, message)
        except Exception:
            self.screenshot("failure-" + self.name)
            self.dump_console()
            raise

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def click(self, css):
        """Clicks the element once it is there (SVG groups included, through a real click).
        An element the page re-rendered between finding and clicking is found again."""
        def clicked(d):
            found = d.find_elements(By.CSS_SELECTOR, css)
            if not found:
                return None
            found[0].click()  # stale: raises, and the wait tries again
            return found[0]
        return self.wait(clicked, f"{css} on {self.name}'s page")

    def status(self):
        s = self.find("#status")
        return {"text": s.text, "status": s.get_attribute("data-match-status"),
                "to_move": s.get_attribute("data-to-move"), "ply": int(s.get_attribute("data-ply") or -1)}

    def wait_for_ply(self, ply):
        self.wait(lambda d: self.status()["ply"] >= ply, f"{self.name} sees ply {ply}")
        return self.status()

    def my_turn(self):
        s = self.status()
        return s["status"] == "active" and s["to_move"] == self.player

    def session(self):
        return self.js("return localStorage.getItem('ply.session')")

    def ask(self, text):
        """A request on this player's session, straight to the server (not through the page)."""
        return line(self.base_url, text, self.session())

    def screenshot(self, name):
        os.makedirs(self.shots, exist_ok=True)
        path = os.path.join(self.shots, name + ".png")
        self.driver.save_screenshot(path)
        return path

    def board_screenshot(self, name):
        os.makedirs(self.shots, exist_ok=True)
        path = os.path.join(self.shots, name + ".png")
        self.find(".board-side").screenshot(path)
        return path

    def dump_console(self):
        try:
            for entry in self.driver.get_log("browser"):
                if entry["level"] in ("DEBUG", "INFO"):
                    continue
                print(f"  [{self.name} console] {entry['level']}: {entry['message']}", file=sys.stderr)
        except Exception:
            pass

    def quit(self):
        self.driver.quit()


def create_challenge(player, game, side="first", opponent="", expansions=None, layout=None):
    """Fills the lobby's form; returns the new match's id from the page's address."""
    player.open()
    player.js("document.getElementById('game').value = arguments[0];"
              "document.getElementById('game').dispatchEvent(new Event('change'))", game)
    player.js("document.getElementById('side').value = arguments[0]", side)
    if expansions is not None:
        player.js("document.getElementById('expansions').value = arguments[0]", expansions)
    if layout is not None:
        player.js("document.getElementById('layout').value = arguments[0]", layout)
    field = player.find("[data-testid=opponent]")
    field.clear()
    if opponent:
        field.send_keys(opponent)
    player.click("[data-testid=create-challenge]")
    return player.wait(lambda d: (d.execute_script("return new URLSearchParams(location.hash.slice(1)).get('match')")),
                       "the new challenge's page")


def accept_open(player, match):
    """Takes an open challenge from the lobby's list."""
    player.open()
    button = f"#open li[data-match='{match}'] [data-testid=accept-open]"
    for _ in range(20):
        if player.find_all(button):
            break
        player.click("[data-testid=refresh-open]")
        time.sleep(0.25)
    player.click(button)
    player.wait(lambda d: player.status()["status"] == "active", "the match starts")


def check(condition, message):
    if not condition:
        raise AssertionError(message)
