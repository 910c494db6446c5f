#!/usr/bin/python3
"""firewall_browser.py - the console's firewall page in headless Chromium (cdp.py).
Environment: GW_URL, OLGA (Owner of a vault), RITA (a Reader), OUT, CASES (a JSON
list of [source, port or "", what `vaultnet explain` printed for it]). The
explain form, filled and submitted in the browser, must print exactly what
vaultnet printed; every page renders with no console error or CSP violation."""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser  # noqa: E402

URL = os.environ["GW_URL"]
OUT = os.environ["OUT"]


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


async def login(page, user, token):
    await page.goto(URL + "/ui/login")
    return await page.submit_form("form[action='/ui/login']", {"user": user, "token": token})


async def main():
    async with Browser(OUT) as b:
        page = await b.page()
        r = await login(page, "olga", os.environ["OLGA"])
        if r["status"] != 200:
            fail("login: %r" % r)
        r = await page.goto(URL + "/ui/firewall")
        html = await page.html()
        for mark in ('id="drift"', "in sync", 'id="allowlist"', 'id="rules"', 'id="show"',
                     'id="explain-form"'):
            if mark not in html:
                fail("firewall page: %r missing" % mark)
        errs = page.take_errors()
        if r["status"] != 200 or errs:
            fail("firewall page: %d %r" % (r["status"], errs))
        allow = await page.evaluate("document.getElementById('allowlist').textContent")
        print("allowlist: " + allow, flush=True)
        counted = await page.evaluate(
            "Array.from(document.querySelectorAll('#rules tr')).filter(function(tr){"
            "return /allow_v4/.test(tr.textContent) && /accept/.test(tr.textContent) && "
            "parseInt(tr.children[5].textContent) > 0}).length")
        if not counted:
            fail("no accept rule with a packet count above 0")
        await page.screenshot(os.path.join(OUT, "firewall.png"))
        print("ok: firewall page: in sync, allowlist, rules with counters (an accept rule counted "
              "the probe), no console error or CSP violation", flush=True)
        for i, (src, port, want) in enumerate(json.loads(os.environ["CASES"])):
            fields = {"source": src, "port": port}
            r = await page.submit_form("#explain-form", fields)
            got = await page.evaluate("(document.getElementById('explain')||{}).textContent")
            errs = page.take_errors()
            if r["status"] != 200 or errs:
                fail("explain %s %s: %d %r" % (src, port, r["status"], errs))
            if (got or "").strip() != want.strip():
                fail("explain %s %s in the console:\n%s\nvaultnet explain:\n%s" % (src, port, got, want))
            await page.screenshot(os.path.join(OUT, "explain-%d.png" % i))
            print("ok: explain %s %s: the console says what vaultnet explain says: %s" %
                  (src, port or "(443)", want.strip().splitlines()[0]), flush=True)
        await page.submit_form("form[action='/ui/logout']", {})
        r = await login(page, "rita", os.environ["RITA"])
        r = await page.goto(URL + "/ui/firewall")
        html = await page.html()
        if 'id="rules"' in html or 'class="error"' not in html:
            fail("a Reader sees the firewall")
        page.take_errors()
        print("ok: a Reader is refused the firewall", flush=True)


asyncio.run(main())
