"""Sign in through the API as an outside client would, reading the SMS code from the file
outbox; prints the bearer token. Usage: fuzz_login.py BASE USERNAME PASSWORD SMS_FILE"""

import json
import re
import sys
import urllib.request

base, username, password, outbox = sys.argv[1:5]


def post(path, body):
    # Our own server, given on the command line.
    request = urllib.request.Request(  # noqa: S310
        base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, json.loads(response.read() or b"{}")


status, answer = post("/api/v1/auth/login", {"username": username, "password": password})
if status == 202:
    with open(outbox, encoding="utf-8") as f:
        code = re.search(r"\d{6}", json.loads(f.read().splitlines()[-1])["text"]).group()
    status, answer = post("/api/v1/auth/sms-verify", {"challenge": answer["challenge"], "code": code})
print(answer["token"])
