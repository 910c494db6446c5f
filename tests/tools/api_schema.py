#!/usr/bin/env python3
"""api_schema.py - hold the native API to gateway/api.yaml (issue 20).

  api_schema.py routes SPEC API_C
      The schema must be sound (OpenAPI 3.1, every $ref resolves, every
      schema valid JSON Schema 2020-12), and the router's table (api_routes in gateway/routes/api.c) and the
      schema's paths must name the same (METHOD, PATH) pairs; prints every
      difference, both ways, and exits 1 on any.
  api_schema.py validate SPEC RECORD [--require-all-operations]
      RECORD: lines METHOD<TAB>URL<TAB>STATUS<TAB>CONTENT-TYPE<TAB>BODY
      (base64 JSON or "-"), as tests/integration/gateway/lib_gw.sh writes
      them with VG_API_RECORD. Every response must match the schema: its
      path a documented route (or, for any other path, a documented
      x-unrouted status), its method documented (or 405), its status among
      the operation's responses (or x-any-request's, the gateway's refusals
      before routing), its content type declared, and a JSON body
      valid against the declared schema. --require-all-operations: every
      operation of the schema must have been called at least once.
  api_schema.py dump RECORD
      prints the recorded responses, decoded.

Needs python3-yaml and python3-jsonschema (Debian); nothing else.
"""
import base64
import json
import re
import sys
from urllib.parse import urlsplit

import jsonschema
import yaml

METHODS = ("get", "head", "post", "put", "patch", "delete")


def load(spec_path):
    with open(spec_path) as f:
        return yaml.safe_load(f)


def resolve(spec, node, depth=0):
    """The schema with every local $ref inlined (the specs are not recursive)."""
    if depth > 50:
        raise ValueError("$ref nesting too deep")
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError("only local $refs: " + ref)
            target = spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            out = resolve(spec, target, depth + 1)
            if rest:
                out = {"allOf": [out, resolve(spec, rest, depth + 1)]}
            return out
        return {k: resolve(spec, v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(spec, v, depth + 1) for v in node]
    return node


def router_routes(api_c):
    src = open(api_c).read()
    start = src.index("api_routes[] = {")
    end = src.index("};", start)
    rows = re.findall(r'\{GW_M_([A-Z]+), "(/v1[^"]*)", A_[A-Z_]+\}', src[start:end])
    if not rows or len(rows) != src[start:end].count("{GW_M_"):
        raise SystemExit(f"api_routes of {api_c}: {src[start:end].count('{GW_M_')} rows, "
                         f"{len(rows)} in the form {{GW_M_METHOD, \"/v1/...\", A_OP}}")
    return {(m, p) for m, p in rows}


def schema_routes(spec):
    out = set()
    for path, item in spec["paths"].items():
        if not path.startswith("/v1"):
            continue
        for m in METHODS:
            if m in item:
                out.add((m.upper(), path))
    return out


def spec_problems(spec):
    """The document's own soundness: OpenAPI 3.1, every $ref resolves, every
    schema is a valid JSON Schema (2020-12), every operation has responses."""
    out = []
    if not str(spec.get("openapi", "")).startswith("3.1"):
        out.append("not an OpenAPI 3.1 document")
    try:
        whole = resolve(spec, spec)
    except (KeyError, ValueError) as e:
        return out + [f"a $ref does not resolve: {e}"]
    for name, sch in whole.get("components", {}).get("schemas", {}).items():
        try:
            jsonschema.Draft202012Validator.check_schema(sch)
        except jsonschema.SchemaError as e:
            out.append(f"components/schemas/{name}: {e.message}")
    for path, item in whole["paths"].items():
        for m in METHODS:
            if m in item and not item[m].get("responses"):
                out.append(f"{m.upper()} {path}: no responses")
    return out


def cmd_routes(spec_path, api_c):
    spec = load(spec_path)
    r, s = router_routes(api_c), schema_routes(spec)
    bad = 0
    for p in spec_problems(spec):
        print(p)
        bad += 1
    for m, p in sorted(r - s):
        print(f"in the router, not in the schema: {m} {p}")
        bad += 1
    for m, p in sorted(s - r):
        print(f"in the schema, not in the router: {m} {p}")
        bad += 1
    print(f"{len(r)} router routes, {len(s)} schema operations, {bad} differences")
    return 1 if bad else 0


def template_re(path):
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(path)) + "/?$")


def records(rec_path):
    with open(rec_path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 5:
                raise SystemExit(f"{rec_path}:{n}: malformed record")
            method, url, status, ctype, body = parts
            raw = None if body == "-" else base64.b64decode(body)
            yield n, method, url, status, ctype, raw


def check_body(spec, where, resp, ctype, raw, status):
    """Errors (strings) for one response against its response object."""
    content = resp.get("content") or {}
    base = ctype.split(";")[0].strip().lower() if ctype != "-" else None
    if not content:
        if raw:
            return [f"{where}: a body ({ctype}) where the schema declares none"]
        return []
    if base is None:
        if raw is None and "application/json" not in content:
            return []
        return [f"{where}: no Content-Type; the schema declares {sorted(content)}"]
    if base not in content:
        return [f"{where}: Content-Type {base} not among {sorted(content)}"]
    if base != "application/json":
        return []
    if raw is None:
        return []  # HEAD, or a JSON head with no body (HEAD)
    try:
        inst = json.loads(raw)
    except ValueError as e:
        return [f"{where}: body is not JSON: {e}"]
    sch = content[base].get("schema")
    if sch is None:
        return []
    v = jsonschema.Draft202012Validator(resolve(spec, sch))
    errs = sorted(v.iter_errors(inst), key=lambda e: list(e.absolute_path))
    out = [f"{where}: {'/'.join(str(p) for p in e.absolute_path) or '(body)'}: {e.message}"
           for e in errs[:5]]
    # An error code answers with the statuses x-error-codes gives it.
    if status >= 400 and isinstance(inst, dict) and isinstance(inst.get("error"), str):
        table = {e["code"]: e["status"] for e in spec.get("x-error-codes", [])}
        code = inst["error"]
        if code not in table:
            out.append(f"{where}: error code {code!r} is not in x-error-codes")
        elif status not in table[code]:
            out.append(f"{where}: error code {code!r} with status {status}; x-error-codes "
                       f"gives it {table[code]}")
    return out


def cmd_validate(spec_path, rec_path, require_all):
    spec = load(spec_path)
    templates = [(template_re(p), p, item) for p, item in spec["paths"].items()]
    # Concrete literal paths win over templates (e.g. /v1/vaults over /v1/{x}).
    templates.sort(key=lambda t: t[1].count("{"))
    unrouted = spec.get("x-unrouted", {}).get("responses", {})
    method_na = spec.get("x-method-not-allowed", {}).get("responses", {})
    anyreq = spec.get("x-any-request", {}).get("responses", {})
    errors, seen, n = [], set(), 0
    for ln, method, url, status, ctype, raw in records(rec_path):
        n += 1
        path = urlsplit(url).path
        where = f"record {ln}: {method} {path} -> {status}"
        match = next(((p, item) for rx, p, item in templates if rx.match(path)), None)
        if match is None:
            resp = unrouted.get(status) or unrouted.get(int(status))
            if resp is None:
                errors.append(f"{where}: no route of the schema, and {status} is not an "
                              "x-unrouted status")
            else:
                errors += check_body(spec, where, resp, ctype, raw, int(status))
            continue
        ptempl, item = match
        op = item.get(method.lower())
        if op is None:
            resp = method_na.get(status) or method_na.get(int(status))
            if resp is None:
                errors.append(f"{where}: {method} is not an operation of {ptempl}, and "
                              f"{status} is not an x-method-not-allowed status")
            else:
                errors += check_body(spec, where, resp, ctype, raw, int(status))
            continue
        seen.add((method.upper(), ptempl))
        responses = op.get("responses", {})
        resp = (responses.get(status) or responses.get(int(status)) or anyreq.get(status) or
                anyreq.get(int(status)))
        if resp is None:
            errors.append(f"{where}: status {status} not documented for {method} {ptempl} "
                          f"(documented: {', '.join(str(k) for k in responses)})")
            continue
        if "$ref" in resp:
            resp = resolve(spec, resp)
        errors += check_body(spec, where, resp, ctype, raw, int(status))
    if require_all:
        for m, p in sorted(schema_routes(spec) - seen):
            errors.append(f"never called: {m} {p}")
    for e in errors:
        print(e)
    print(f"{n} responses checked against {spec_path}: {len(errors)} problems")
    return 1 if errors or (n == 0 and require_all) else 0


def cmd_dump(rec_path):
    for ln, method, url, status, ctype, raw in records(rec_path):
        print(ln, method, urlsplit(url).path + (("?" + urlsplit(url).query) if urlsplit(url).query else ""),
              status, ctype, raw.decode(errors="replace") if raw else "")
    return 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "routes":
        return cmd_routes(argv[2], argv[3])
    if len(argv) >= 4 and argv[1] == "validate":
        return cmd_validate(argv[2], argv[3], "--require-all-operations" in argv[4:])
    if len(argv) == 3 and argv[1] == "dump":
        return cmd_dump(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
