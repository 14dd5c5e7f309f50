#!/usr/bin/env python3
"""Regenerates fuzz/seeds/<target>/ from the reference examples.

Sources: the JSON / XML / text examples in shared/reference/{tapis-v3,agave-v2,credential-cache}.md
(beside the repository: ../shared/reference, or $TAPIS_REFERENCE_DIR) and the cache fixtures in
crates/storage/tests/fixtures/. Each seed carries the parameter bytes its target reads first
(see fuzz/src/lib.rs `Params` and each target's doc comment), then the example's bytes.

Usage: python3 fuzz/seeds/make_seeds.py   (from anywhere; rewrites the seed directories)
"""
import base64
import hashlib
import json
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REF = os.environ.get("TAPIS_REFERENCE_DIR") or os.path.join(ROOT, "..", "shared", "reference")
FIXTURES = os.path.join(ROOT, "crates", "storage", "tests", "fixtures")
MAX_SEED = 4096

TARGETS = [
    "token_response_v3", "token_response_v2", "error_body", "jwt_claims", "time_formats",
    "tenant_record", "client_records", "cache_current", "cache_config_json", "agpy_import", "env_profile",
    "ffi_strings",
]
seeds = {t: [] for t in TARGETS}


def add(target, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) <= MAX_SEED:
        seeds[target].append(data)


def ref_text(name):
    path = os.path.join(REF, name)
    if not os.path.exists(path):
        print(f"make_seeds: {path} not found; using only the built-in examples", file=sys.stderr)
        return ""
    with open(path, encoding="utf-8") as f:
        return f.read()


def json_objects(text):
    """Every balanced {...} substring of text that parses as JSON."""
    out = []
    for start in (m.start() for m in re.finditer(r"\{", text)):
        depth, in_str, esc = 0, False, False
        for i in range(start, len(text)):
            c = text[i]
            if in_str:
                if esc:
                    esc = False
                elif c == "\\":
                    esc = True
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    cand = text[start:i + 1]
                    try:
                        out.append(json.loads(cand))
                    except ValueError:
                        pass
                    break
    return out


docs = {n: ref_text(n) for n in ("tapis-v3.md", "agave-v2.md", "credential-cache.md")}
alltext = "\n".join(docs.values())
objs = json_objects(alltext)
blocks = re.findall(r"```(\w*)\n(.*?)```", alltext, re.S)
xml_faults = [b.strip() for lang, b in blocks if "<ams:fault" in b]
java_texts = re.findall(r"TAPIS_SECURITY_[A-Z_]+[^'\n]*", alltext)
http_dates = sorted(set(re.findall(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", alltext)))
iso_dates = sorted(set(re.findall(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?", alltext)))


def has_key(o, key):
    if isinstance(o, dict):
        return key in o or any(has_key(v, key) for v in o.values())
    if isinstance(o, list):
        return any(has_key(v, key) for v in o)
    return False


def dump(o):
    return json.dumps(o, separators=(",", ":"))


def jwt(payload):
    e = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    header = e(b'{"typ":"JWT","alg":"RS256"}')
    return header + "." + e(payload.encode()) + ".c2ln"


# Built-in examples (documented shapes), so the seeds exist even without shared/.
CLAIMS = ('{"jti":"f7b9b19e-6099-4f82-a722-b610c5d0ba0c","iss":"https://tacc.tapis.io/v3/tokens",'
          '"sub":"apitest@tacc","tapis/tenant_id":"tacc","tapis/token_type":"access",'
          '"tapis/delegation":false,"tapis/delegation_sub":null,"tapis/username":"apitest",'
          '"tapis/account_type":"user","exp":1795338701,"tapis/client_id":null,'
          '"tapis/grant_type":"password"}')
V3_TOKEN = dump({"message": "Token created successfully.", "metadata": {}, "status": "success",
                 "version": "dev", "result": {
                     "access_token": {"access_token": jwt(CLAIMS), "expires_at": "2026-11-22T09:11:41.284752+00:00",
                                      "expires_in": 14400, "jti": "f7b9b19e-6099-4f82-a722-b610c5d0ba0c"},
                     "refresh_token": {"refresh_token": jwt(CLAIMS.replace('"access"', '"refresh"')),
                                       "expires_at": "2027-11-22T05:11:41+00:00", "expires_in": 31536000}}})
V2_TOKEN = '{"access_token":"abc1236eb2c917a4c5796eb1cc2c6f","expires_in":14400,"refresh_token":"abc12315b26ebc1aec5d6e232bb455b","token_type":"bearer"}'

token_v3 = [dump(o) for o in objs if isinstance(o, dict) and isinstance(o.get("result"), dict)
            and "access_token" in o["result"]] + [V3_TOKEN]
token_v2 = [dump(o) for o in objs if isinstance(o, dict) and "access_token" in o
            and "token_type" in o] + [V2_TOKEN]
for body in token_v3:
    for prefix in (b"\x00\x00\x00", b"\x01\x10\x27", b"\x01\xf0\xd8"):
        add("token_response_v3", prefix + body.encode())
for body in token_v2:
    for prefix in (b"\x00\x00\x00", b"\x01\x10\x27"):
        add("token_response_v2", prefix + body.encode())

# Error bodies: envelopes with status error, faults (JSON + XML), OAuth errors, Java text.
errors = [dump(o) for o in objs if isinstance(o, dict) and (o.get("status") == "error" or "fault" in o or "error" in o)]
errors += xml_faults + [t.strip() for t in java_texts]
errors += [
    '{"error":"invalid_grant","error_description":"Provided Authorization Grant is invalid"}',
    '{"error":"invalid_client","error_description":"Client Authentication failed."}',
    '{"message":"Invalid client credentials: tylers_client, Pl4ntedClientKey9Xq. session: {}","status":"error","result":null,"version":"1.6.0","metadata":{}}',
    '{"message":"Invalid POST data; could not validate the token: debug data: eyJhbGciOi.eyJzdWIi.c2ln","status":"error","result":null}',
    '{"status":"error","message":"Invalid username/password combination.","version":"1.6.0","result":null,"metadata":{}}',
    '{"status":"error","message":"No tenant found with tenant_id foo.","result":null}',
    '{"message":"authorization_pending","status":"error","result":null}',
    '<html><body>502 Bad Gateway</body></html>',
    '',
]
# params: platform, context, status (selector < 200 => common list index; 0x03 => 400, 0x04 => 401), splice sel, splice at
for i, body in enumerate(errors):
    for plat in (0, 1):
        ctx = i % 10
        add("error_body", bytes([plat, ctx, 3 + (i % 3), 0, 0, 0, 0]) + body.encode())
add("error_body", bytes([1, 1, 4, 0, 0, 0x81, 5, 0]) + b'{"error":"invalid_grant"}')

# JWT payloads (mode 1: the payload is JSON inside a well-formed JWT) and raw tokens (mode 0).
payloads = [CLAIMS, '{"exp":"1795338701"}', '{"exp":1.5e9,"iat":0}', '{}', '[1,2]']
for o in objs:
    if isinstance(o, dict) and ("tapis/tenant_id" in o or "jti" in o and "sub" in o):
        payloads.append(dump(o))
for p in payloads:
    add("jwt_claims", b"\x01\x10\x0e" + p.encode())
    add("jwt_claims", b"\x00\x00\x00" + jwt(p).encode())
add("jwt_claims", b"\x00\x00\x00abc1236eb2c917a4c5796eb1cc2c6f")

# Timestamps.
times = http_dates + iso_dates + ["2024-01-24T19:17:53.284752+00:00", "Mon, 06 Apr 2026 10:27:50 GMT",
                                  "Sun Nov 22 06:11:41 2026", "1795324301", "2026-11-22 05:11:41"]
for t in times:
    add("time_formats", t)

# Tenant records (mode 0: one record) and listings (mode 1) / single responses (mode 2).
v3_tenants = [o for o in objs if isinstance(o, dict) and "tenant_id" in o and "base_url" in o]
v2_lists = [o for o in objs if isinstance(o, dict) and isinstance(o.get("result"), list)
            and any(isinstance(r, dict) and "baseUrl" in r for r in o["result"])]
v3_tenants.append({"tenant_id": "tacc", "base_url": "https://tacc.tapis.io", "status": "ACTIVE"})
for t in v3_tenants:
    add("tenant_record", b"\x00\x00" + dump(t).encode())
    add("tenant_record", b"\x00\x01\x00\x00\x00" + dump({"status": "success", "result": [t]}).encode())
    add("tenant_record", b"\x00\x02\x00\x00\x00" + dump({"status": "success", "result": t}).encode())
for l in v2_lists:
    add("tenant_record", b"\x01\x01\x00\x00\x00" + dump(l).encode())
    for r in l["result"]:
        add("tenant_record", b"\x01\x00" + dump(r).encode())
add("tenant_record", b"\x00\x02\x03\x00\x00" + b'{"message":"No tenant found with tenant_id foo.","status":"error","result":null}')

# Client and profile records: (platform, op, status, splice sel, splice at) + body.
clients_v3 = [dump(o) for o in objs if isinstance(o, dict) and has_key(o, "client_key")]
clients_v2 = [dump(o) for o in objs if isinstance(o, dict) and has_key(o, "consumerKey")]
clients_v3.append('{"message":"Client created successfully.","metadata":{},"result":{"client_id":"tylers_client","client_key":"3kRdPMv7arpRn"},"status":"success","version":"26Q1.0"}')
clients_v2.append('{"status":"success","message":"Client created successfully.","version":"2.x","result":{"name":"my_client","consumerKey":"CkbfA7nes6aCac2ygyAfLMLI0IYa","consumerSecret":"zXsxx5pJYxDGyzOIOzj14Axk7l0a","callbackUrl":"","description":""}}')
profiles = ['{"result":{"username":"apitest","given_name":null,"email":"a@b.c"},"status":"success","message":"User profile retrieved successfully.","version":"1.6.0","metadata":{}}',
            '{"status":"success","result":{"username":"vaughn","first_name":"V","last_name":"R","full_name":"V R","email":"v@x","uid":0}}']
for b in clients_v3:
    for op in (0, 1):
        add("client_records", bytes([0, op, 0, 0, 0, 0, 0, 0]) + b.encode())
for b in clients_v2:
    for op in (0, 1):
        add("client_records", bytes([1, op, 0, 0, 0, 0, 0, 0]) + b.encode())
for b in profiles:
    for plat in (0, 1):
        add("client_records", bytes([plat, 3, 0, 0, 0, 0, 0, 0]) + b.encode())
for i, body in enumerate(errors[:8]):
    add("client_records", bytes([i & 1, 2 + (i % 3), 4, 0, 0, 0, 0, 0]) + body.encode())

# Cache files: fixtures plus the reference examples, alone (mode 0), with the companion
# fixture (1), with writes (2, 3).
def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()

currents = [fixture(n) for n in sorted(os.listdir(FIXTURES)) if n.startswith("current_")]
configs = [fixture(n) for n in sorted(os.listdir(FIXTURES)) if n.startswith("config_")]
for o in objs:
    if isinstance(o, dict) and "sessions" in o:
        configs.append(dump(o).encode())
    elif isinstance(o, dict) and ("apikey" in o or "baseurl" in o):
        currents.append(dump(o).encode())
for c in currents:
    for mode in (0, 1, 2):
        add("cache_current", bytes([mode]) + c)
add("cache_current", b"\x02" + b'{"baseurl": "https://api.tacc.utexas.edu", "access_token": "x"')
for c in configs:
    for mode in (0, 1, 3):
        add("cache_config_json", bytes([mode]) + c)
add("cache_config_json", b"\x02" + b'{"sessions": {"t": {"u": {"c": {"tapis_profile": "default"')

# Environment profiles: segments "<var index><value>" separated by 0xFF (see env_profile.rs).
V = {n: i for i, n in enumerate(["TAPIS_BASE_URL", "TAPIS_TOKEN", "TAPIS_API_TOKEN", "TAPIS_REFRESH_TOKEN",
     "TAPIS_API_REFRESH_TOKEN", "TAPIS_CLIENT_ID", "TAPIS_API_KEY", "TAPIS_CLIENT_KEY", "TAPIS_API_SECRET",
     "TAPIS_USERNAME", "TAPIS_API_USERNAME", "TAPIS_PASSWORD", "TAPIS_API_PASSWORD", "TAPIS_TENANT_ID",
     "TAPIS_PLATFORM", "BEARER_TOKEN"])}
def env(**kv):
    return b"\xff".join(bytes([V[k]]) + v.encode() for k, v in kv.items())
add("env_profile", env(TAPIS_BASE_URL="https://tacc.tapis.io", TAPIS_CLIENT_ID="cid", TAPIS_CLIENT_KEY="Ckey1234x",
                       TAPIS_USERNAME="jdoe", TAPIS_PASSWORD="Passw0rd1"))
add("env_profile", env(TAPIS_BASE_URL="https://tacc.tapis.io", TAPIS_TOKEN=jwt(CLAIMS)))
add("env_profile", env(TAPIS_BASE_URL="https://api.tacc.utexas.edu", TAPIS_API_KEY="K", TAPIS_API_SECRET="S3cretKey9",
                       TAPIS_TOKEN="abc1236eb2c917a4c5796eb1cc2c6f", TAPIS_REFRESH_TOKEN="abc12315b26ebc1aec5d6e232bb455b"))
add("env_profile", env(TAPIS_BASE_URL="https://tacc.tapis.io", TAPIS_TOKEN="A1b2c3d4e5", TAPIS_API_TOKEN="Z9y8x7w6v5"))
add("env_profile", env(TAPIS_BASE_URL="https://x.org", TAPIS_PLATFORM="agave", TAPIS_USERNAME="u", TAPIS_PASSWORD="p",
                       TAPIS_TENANT_ID="tacc.prod"))
add("env_profile", b"\x8f" + env(TAPIS_BASE_URL="https://tacc.tapis.io", BEARER_TOKEN="  eyJ0eXAi.eyJleHAiOjF9.c2ln \n"))

# C ABI: NUL-separated segments "<op><arg>" (see ffi_strings.rs); op % 8: 0-2 setter
# (op / 8 picks it), 3 NULL reset, 4 planted secret, 5 store, 6 numbers, 7 restore.
def op(setter, kind=0):
    return kind + 8 * setter
ffi = [
    [bytes([op(0)]) + b"https://tacc.tapis.io", bytes([op(8)]) + jwt(CLAIMS).encode(), bytes([7])],
    [bytes([op(0)]) + b"https://api.tacc.utexas.edu", bytes([op(2)]) + b"v2", bytes([op(4)]) + b"jdoe",
     bytes([op(1, 4)]), bytes([op(3, 4)]), bytes([7])],
    [bytes([op(3)]) + b"default", bytes([7])],
    [bytes([op(0)]) + b"https://tacc.tapis.io\xff\xfe", bytes([op(1)]) + b"tacc", bytes([op(2)]) + b"tapis"],
    [bytes([op(0, 5) | 0x80]) + b"memory", bytes([op(1, 6)]) + b"\x10\x27", bytes([op(0, 3)]), bytes([7])],
]
for segs in ffi:
    add("ffi_strings", b"\x00".join(segs))


# Legacy .agpy files: a JSON list of agavepy client objects (or, leniently, one object).
add("agpy_import", '[{"token": "t0k3n-value", "refresh_token": "r3fr3sh-value", "api_server": '
    '"https://api.tacc.utexas.edu", "tenant_id": "tacc.prod", "api_key": "k3y-value", '
    '"api_secret": "s3cr3t-value", "username": "u", "created_at": 10, "expires_in": 5, '
    '"proxies": {}}]')
add("agpy_import", '{"token": "t", "api_server": "https://api.tacc.utexas.edu", "username": "u"}')
add("agpy_import", '[1, {"api_server": "not a url"}, {}]')
add("agpy_import", '[{"token": "t"')


def main():
    for t, items in seeds.items():
        d = os.path.join(HERE, t)
        # Generated seeds are replaced; inputs kept from fuzzing runs (regression-*) stay.
        os.makedirs(d, exist_ok=True)
        for name in os.listdir(d):
            if not name.startswith("regression-"):
                os.remove(os.path.join(d, name))
        for data in dict.fromkeys(items):  # dedupe, keep order
            name = hashlib.sha1(data).hexdigest()[:16]
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print(f"{t}: {len(set(items))} seeds")


main()
