#!/usr/bin/python3
"""console_browser.py - the console in headless Chromium (issue 18), driven by
cdp.py. Environment: GW_URL, OLGA (Owner of v1 and v2), RITA (Reader of v2
only), OUT (screenshots and the cookie log go there), XSS (the text an audit
entry of v1 carries). Prints "ok: ..." lines; exits 1 at the first failure."""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser  # noqa: E402

URL = os.environ["GW_URL"]
OUT = os.environ["OUT"]
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
       "form-action 'self'; base-uri 'none'")
PAGES = [
    ("vaults", "/ui/vaults", ["id=\"vaults\"", ">v1</a>", ">v2</a>", "pending", "Needs attention",
                              "critical alert(s)</b></a> in the last 24 hours", "1 weakening change(s) pending"]),
    ("vault", "/ui/vaults/v1", ["id=\"items\"", ">host1</a>", "last success"]),
    ("item", "/ui/vaults/v1/items/host1", ["id=\"points\"", "expires"]),
    ("alerts", "/ui/alerts", ["id=\"alerts\"", "soft-delete"]),
    ("alerts-critical", "/ui/alerts?severity=critical", ["id=\"alerts\"", "<option selected=\"\" value=\"critical\">"]),
    ("jobs", "/ui/jobs", ["id=\"running\"", "id=\"recent\"", "backup"]),
    ("report", "/ui/report", ["<svg id=\"chart-stored-bytes\"", "<svg id=\"chart-jobs-per-day\"",
                              "<svg id=\"chart-upcoming-purges\""]),
    ("audit", "/ui/audit?vault=v1", ["id=\"chain\"", "chain intact", "id=\"audit\""]),
    ("audit-all", "/ui/audit", ["id=\"chain\"", "href=\"/ui/audit?vault=v1\""]),
    ("firewall", "/ui/firewall", ["Firewall"]),
]


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def ok(msg):
    print("ok: " + msg, flush=True)


def check_headers(name, r):
    if r is None:
        fail("%s: no document response seen" % name)
    h = r["headers"]
    if h.get("content-security-policy") != CSP:
        fail("%s: CSP is %r" % (name, h.get("content-security-policy")))
    if h.get("x-content-type-options") != "nosniff" or "no-store" not in h.get("cache-control", ""):
        fail("%s: headers %r" % (name, h))
    if h.get("x-frame-options") != "DENY":
        fail("%s: X-Frame-Options %r" % (name, h.get("x-frame-options")))


async def login(page, user, token):
    r = await page.goto(URL + "/ui/login")
    check_headers("login", r)
    return await page.submit_form("form[action='/ui/login']", {"user": user, "token": token})


async def main():
    async with Browser(OUT) as b:
        page = await b.page()

        # --- not logged in: the login page, for any page ---------------------------------
        r = await page.goto(URL + "/ui/vaults")
        check_headers("vaults unauthenticated", r)
        html = await page.html()
        if r["status"] != 200 or not r["url"].endswith("/ui/login") or \
                "action=\"/ui/login\"" not in html or "id=\"vaults\"" in html:
            fail("unauthenticated /ui/vaults: %r" % r)
        errs = page.take_errors()
        if errs:
            fail("errors on the login page: %r" % errs)
        await page.screenshot(os.path.join(OUT, "login.png"))
        ok("no session: redirected to the login page, no console error")

        # --- login as olga ------------------------------------------------------------------
        r = await login(page, "olga", os.environ["OLGA"])
        if r["status"] != 200 or not r["url"].endswith("/ui/vaults"):
            fail("login: %r" % r)
        cookies = {c["name"]: c for c in await page.cookies()}
        s = cookies.get("vgui")
        if not s or not s["httpOnly"] or not s["secure"] or s.get("sameSite") != "Strict" or \
                s["path"] != "/ui/" or len(s["value"]) != 64:
            fail("session cookie: %r" % s)
        if "vguipre" in cookies:
            fail("the pre-session cookie outlived the login")
        if os.environ["OLGA"] in json.dumps(list(cookies.values())):
            fail("the token is in a cookie")
        ok("login: 303 to /ui/vaults, cookie vgui HttpOnly Secure SameSite=Strict Path=/ui/, no token kept")
        old = s["value"]

        # --- every page: renders, its marks, no console error, no CSP violation ----------------
        for name, path, marks in PAGES:
            r = await page.goto(URL + path)
            check_headers(name, r)
            html = await page.html()
            if r["status"] != 200:
                fail("%s: status %d" % (name, r["status"]))
            for m in marks:
                if m not in html:
                    fail("%s: %r not in the page" % (name, m))
            if await page.evaluate("document.querySelectorAll('script').length") != 0:
                fail("%s: a script element" % name)
            if await page.evaluate("document.styleSheets.length") < 1 or \
                    await page.evaluate("getComputedStyle(document.querySelector('header.top')).display") != "flex":
                fail("%s: the stylesheet did not apply" % name)
            if name == "jobs":
                running = await page.evaluate("document.getElementById('running').textContent")
                if not all(w in running for w in ("backup", "v1", "host1", "root@local", "not known")):
                    fail("the backup in flight is not on the jobs page: %r" % running)
            errs = page.take_errors()
            if errs:
                fail("%s: %s" % (name, errs))
            await page.screenshot(os.path.join(OUT, name + ".png"))
            ok("%s (%s): 200, CSP, no console error or CSP violation, screenshot" % (name, path))

        # The detector is real: an inline style is a CSP violation it reports.
        await page.goto(URL + "/ui/vaults")
        page.take_errors()
        await page.evaluate("document.head.insertAdjacentHTML('beforeend','<style>body{color:red}</style>')")
        errs = []
        for _ in range(100):   # reported asynchronously: up to 10 s on a slow machine
            await asyncio.sleep(0.1)
            errs += page.take_errors()
            if any("CSP" in e or "Content Security Policy" in e for e in errs):
                break
        else:
            fail("an inline style went unreported: %r" % errs)
        ok("negative control: an injected inline style is reported as a CSP violation")

        # Escaping: an audit entry's reason with markup reads as text.
        await page.goto(URL + "/ui/audit?vault=v1")
        xss = os.environ["XSS"]
        text = await page.evaluate("document.getElementById('audit').textContent")
        if xss not in text or await page.evaluate("document.querySelectorAll('script,img,iframe').length"):
            fail("the audit reason was not escaped")
        page.take_errors()
        ok("markup in an audit reason is shown as text")

        # --- logout invalidates the cookie server-side ------------------------------------------------
        r = await page.submit_form("form[action='/ui/logout']", {})
        if r["status"] != 200 or not r["url"].endswith("/ui/login"):
            fail("logout: %r" % r)
        if "vgui" in {c["name"] for c in await page.cookies()}:
            fail("the session cookie survived the logout")
        await page.set_cookie(URL + "/ui/", "vgui", old)
        r = await page.goto(URL + "/ui/vaults")
        html = await page.html()
        if not r["url"].endswith("/ui/login?ended=1") or "id=\"vaults\"" in html or \
                "session has ended" not in html:
            fail("the old session cookie still works after logout: %r" % r)
        page.take_errors()
        with open(os.path.join(OUT, "old-cookie"), "w") as f:
            f.write(old)
        ok("logout: back to the login page; the old cookie, put back, gets the login page")

        # --- a Reader sees only their vaults -------------------------------------------------------------
        r = await login(page, "rita", os.environ["RITA"])
        html = await page.html()
        if r["status"] != 200 or ">v2</a>" not in html or ">v1</a>" in html:
            fail("rita's vaults: %d" % r["status"])
        r = await page.goto(URL + "/ui/vaults/v1")
        html = await page.html()
        if "class=\"error\"" not in html or "host1" in html:
            fail("rita reads vault v1's page")
        r = await page.goto(URL + "/ui/alerts")
        html = await page.html()
        if "v1" in await page.evaluate("document.getElementById('alerts').textContent"):
            fail("rita sees v1's alerts")
        r = await page.goto(URL + "/ui/audit?vault=v2")
        html = await page.html()
        if "id=\"audit\"" in html or "class=\"error\"" not in html:
            fail("a Reader reads the audit log")
        if page.take_errors():
            fail("errors on rita's pages")
        await page.screenshot(os.path.join(OUT, "reader-audit.png"))
        ok("a Reader of v2: only v2 listed; v1's page, v1's alerts and the audit log refused")


asyncio.run(main())
