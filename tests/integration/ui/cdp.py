#!/usr/bin/python3
"""cdp.py - headless Chromium driven over the DevTools protocol (python3-websockets),
for the console's tests: navigate, fill and submit forms, read the DOM, the
response status and headers, cookies, screenshots, and every console error
and CSP violation a page causes (Runtime.consoleAPICalled, Runtime.exceptionThrown,
Log.entryAdded at level error, Audits issues of kind ContentSecurityPolicyIssue).

    async with Browser(workdir) as b:
        page = await b.page()
        r = await page.goto(url)          # {"status", "headers", "url"}
        html = await page.html()
        await page.submit_form("form[action='/ui/login']", {"user": "olga", "token": T})
        errs = page.take_errors()
"""
import asyncio
import base64
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request

import websockets

CHROME = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"


class Page:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.pending = {}
        self.events = []
        self.errors = []
        self.waiters = []
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self):
        async for raw in self.ws:
            msg = json.loads(raw)
            if "id" in msg and msg["id"] in self.pending:
                self.pending.pop(msg["id"]).set_result(msg)
                continue
            method = msg.get("method", "")
            p = msg.get("params", {})
            if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                self.errors.append("console.%s: %s" % (p["type"], json.dumps(p.get("args"))[:300]))
            elif method == "Runtime.exceptionThrown":
                self.errors.append("exception: %s" % json.dumps(p.get("exceptionDetails"))[:300])
            elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
                e = p["entry"]
                self.errors.append("log %s: %s %s" % (e.get("source"), e.get("text"), e.get("url", "")))
            elif method == "Audits.issueAdded":
                issue = p.get("issue", {})
                if issue.get("code") == "ContentSecurityPolicyIssue":
                    self.errors.append("CSP violation: %s" % json.dumps(issue.get("details"))[:300])
            self.events.append(msg)
            for w in list(self.waiters):
                if w[0](msg):
                    self.waiters.remove(w)
                    if not w[1].done():
                        w[1].set_result(msg)

    async def call(self, method, **params):
        self.next_id += 1
        fut = asyncio.get_event_loop().create_future()
        self.pending[self.next_id] = fut
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        msg = await asyncio.wait_for(fut, 60)
        if "error" in msg:
            raise RuntimeError("%s: %s" % (method, msg["error"]))
        return msg.get("result", {})

    def wait_for(self, pred):
        fut = asyncio.get_event_loop().create_future()
        self.waiters.append((pred, fut))
        return fut

    async def enable(self):
        for d in ("Page", "Runtime", "Log", "Network", "Audits"):
            await self.call(d + ".enable")

    def _doc_response(self, since):
        """The main document's last response after event index since."""
        resp = None
        for m in self.events[since:]:
            if m.get("method") == "Network.responseReceived" and m["params"].get("type") == "Document":
                r = m["params"]["response"]
                resp = {"status": r["status"], "headers": {k.lower(): v for k, v in r["headers"].items()},
                        "url": r["url"]}
        return resp

    async def _load(self, action):
        since = len(self.events)
        loaded = self.wait_for(lambda m: m.get("method") == "Page.loadEventFired")
        await action()
        await asyncio.wait_for(loaded, 60)
        # let late console/CSP messages of this page arrive
        await asyncio.sleep(0.3)
        return self._doc_response(since)

    async def goto(self, url):
        return await self._load(lambda: self.call("Page.navigate", url=url))

    async def evaluate(self, expr):
        r = await self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        return r.get("result", {}).get("value")

    async def html(self):
        return await self.evaluate("document.documentElement.outerHTML")

    async def submit_form(self, selector, fields):
        """Fills the named fields of the form (by the DevTools protocol: the page itself
        runs no script) and submits it as a user would (requestSubmit)."""
        js = "(function(){var f=document.querySelector(%s);" % json.dumps(selector)
        for k, v in fields.items():
            js += "f.elements[%s].value=%s;" % (json.dumps(k), json.dumps(v))
        js += "f.requestSubmit();})()"
        return await self._load(lambda: self.evaluate(js))

    async def screenshot(self, path):
        r = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    async def cookies(self):
        r = await self.call("Network.getAllCookies")
        return r["cookies"]

    async def set_cookie(self, url, name, value):
        await self.call("Network.setCookie", url=url, name=name, value=value, secure=True,
                        httpOnly=True, sameSite="Strict", path="/ui/")

    def take_errors(self):
        e, self.errors = self.errors, []
        return e


class Browser:
    def __init__(self, workdir):
        self.workdir = workdir
        self.proc = None

    async def __aenter__(self):
        prof = os.path.join(self.workdir, "chrome-profile")
        os.makedirs(prof, exist_ok=True)
        self.log = open(os.path.join(self.workdir, "chrome.log"), "wb")
        self.proc = subprocess.Popen(
            [CHROME, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             "--ignore-certificate-errors", "--remote-debugging-port=0",
             "--user-data-dir=" + prof, "--window-size=1360,1000", "about:blank"],
            stdout=self.log, stderr=self.log, start_new_session=True)
        port_file = os.path.join(prof, "DevToolsActivePort")
        deadline = time.time() + 60
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("chromium did not start; see chrome.log")
            await asyncio.sleep(0.1)
        self.port = int(open(port_file).read().split()[0])
        return self

    async def page(self):
        deadline = time.time() + 30
        while True:
            with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % self.port) as r:
                targets = [t for t in json.load(r) if t.get("type") == "page"]
            if targets or time.time() > deadline:
                break
            await asyncio.sleep(0.1)
        ws = await websockets.connect(targets[0]["webSocketDebuggerUrl"], max_size=64 << 20,
                                      ping_interval=None)
        p = Page(ws)
        await p.enable()
        return p

    async def __aexit__(self, *a):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
