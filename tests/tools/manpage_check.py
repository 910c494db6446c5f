#!/usr/bin/env python3
"""manpage_check.py BUILD SRC - the man pages and the programs cannot drift.

For every program: each option and environment variable its --help names is
documented in its man page (`Fl`, `Ev`), and each option the page documents
is in --help. For vaultctl and vaultnet the same for commands: every command
line of --help is an `.It Cm` entry of the page's COMMANDS section, and the
other way round. For the two configuration pages: every key of the parser's
table (gateway/config.c, netns/config.c) is an `.It Cm` entry, and the other
way round. Every page must render with no warning (man -l).
Prints one line per problem and exits 1 if there is any.
"""
import os
import re
import subprocess
import sys

BUILD, SRC = sys.argv[1], sys.argv[2]
MAN = os.path.join(SRC, "man")
problems = []

OPT = re.compile(r"(?<![\w$-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")
ENV = re.compile(r"\$([A-Z][A-Z0-9_]+)")
MACRO = re.compile(r"^[A-Z][a-z]{1,2}$")


def helptext(prog):
    p = subprocess.run([os.path.join(BUILD, prog), "--help"], capture_output=True, text=True)
    return p.stdout + p.stderr


def page(name):
    with open(os.path.join(MAN, name)) as f:
        return f.read()


def man_options(src):
    """Every `Fl x` of the page, as -x / --x."""
    out = set()
    for line in src.splitlines():
        if not line.startswith("."):
            continue
        toks = line[1:].split()
        for i, t in enumerate(toks):
            if t == "Fl" and i + 1 < len(toks) and not MACRO.match(toks[i + 1]):
                o = "-" + toks[i + 1].rstrip(",.")
                if o != "--":          # "Fl -" is the end of options, not an option
                    out.add(o)
    return out


def man_env(src):
    return set(re.findall(r"^\.(?:.* )?Ev ([A-Z][A-Z0-9_]+)", src, re.M))


def section(src, name):
    m = re.search(r"^\.Sh " + name + r"\n(.*?)(?=^\.Sh |\Z)", src, re.M | re.S)
    return m.group(1) if m else ""


def cm_entries(text):
    """`.It Cm a b c Ar X ...` -> 'a b c' (alternatives a|b expanded)."""
    out = set()
    for line in text.splitlines():
        if not line.startswith(".It Cm "):
            continue
        words = []
        for t in line.split()[2:]:
            if MACRO.match(t) or not re.match(r"^[a-z0-9|_-][a-z0-9|._-]*$", t):
                break
            words.append(t)
        out |= expand(words)
    return out


def expand(words):
    res = [""]
    for w in words:
        res = [(r + " " + alt).strip() for r in res for alt in w.split("|")]
    return set(res)


def check_options(prog, help_, src):
    hopts = set(OPT.findall(help_))
    mopts = man_options(section(src, "SYNOPSIS") + section(src, "OPTIONS") + section(src, "COMMANDS"))
    for o in sorted(hopts - mopts):
        problems.append(f"{prog}: option {o} is in --help but not in its man page")
    for o in sorted(mopts - hopts):
        problems.append(f"{prog}: option {o} is in the man page but not in --help")
    for e in sorted(set(ENV.findall(help_)) - man_env(src)):
        problems.append(f"{prog}: environment variable ${e} is in --help but not in its man page")


def vaultctl_commands(help_):
    cmds = set()
    for line in help_.splitlines():
        if not re.match(r"^  [a-z]", line):
            continue
        syn = re.split(r"(?<=\S) {2,}", line.strip())[0]   # the synopsis, not the description
        for part in syn.split(" | "):
            words = []
            for t in part.split():
                if not re.match(r"^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$", t):
                    break
                words.append(t)
            if words:      # "(--all | --since TIME)": alternatives of options, not commands
                cmds |= expand(words)
    return cmds


def render(name):
    env = dict(os.environ, LC_ALL="C", MANWIDTH="100")
    p = subprocess.run(["man", "--warnings", "-l", "-P", "cat", os.path.join(MAN, name)],
                       capture_output=True, text=True, env=env)
    if p.returncode != 0 or p.stderr.strip():
        problems.append(f"{name}: does not render cleanly: {p.stderr.strip()[:300]}")


programs = {
    "vaultd.8": "vault/vaultd",
    "vaultctl.8": "vault/vaultctl",
    "vaultnotify.8": "vault/vaultnotify",
    "vaultsync.8": "vault/vaultsync",
    "vaultgw.8": "gateway/vaultgw",
    "vaultnet.8": "netns/vaultnet",
}
for name, prog in programs.items():
    if not os.path.exists(os.path.join(MAN, name)):
        problems.append(f"{name}: missing")
        continue
    src = page(name)
    render(name)
    h = helptext(prog)
    check_options(prog, h, src)
    if name in ("vaultctl.8", "vaultsync.8"):
        hc, mc = vaultctl_commands(h), cm_entries(section(src, "COMMANDS"))
    elif name == "vaultnet.8":
        hc = set(re.findall(r"vaultnet +([a-z]+)", h))
        mc = cm_entries(section(src, "COMMANDS"))
    else:
        continue
    for c in sorted(hc - mc):
        problems.append(f"{prog}: command \"{c}\" is in --help but not in its man page")
    for c in sorted(mc - hc):
        problems.append(f"{prog}: command \"{c}\" is in the man page but not in --help")

configs = {
    "vaultgw.conf.5": ("gateway/config.c", r'^\s*\{"([a-z0-9_]+)", K_'),
    "vaultnet.conf.5": ("netns/config.c", r'\[K_[A-Z0-9_]+\] = \{"([a-z0-9_]+)",'),
}
for name, (csrc, rx) in configs.items():
    if not os.path.exists(os.path.join(MAN, name)):
        problems.append(f"{name}: missing")
        continue
    render(name)
    with open(os.path.join(SRC, csrc)) as f:
        keys = set(re.findall(rx, f.read(), re.M))
    documented = cm_entries(page(name))
    for k in sorted(keys - documented):
        problems.append(f"{name}: key {k} is parsed by {csrc} but not documented")
    for k in sorted(documented - keys):
        problems.append(f"{name}: key {k} is documented but {csrc} does not parse it")

for p in problems:
    print(p)
print(f"{len(programs) + len(configs)} pages checked, {len(problems)} problems")
sys.exit(1 if problems else 0)
