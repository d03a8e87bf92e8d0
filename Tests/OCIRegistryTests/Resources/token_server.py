import base64, hashlib, http.server, json, os, subprocess, sys, time, urllib.parse, uuid

port, folder, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

with open(os.path.join(folder, "cert.pem")) as f:
    pem = f.read()
der = base64.b64decode("".join(l for l in pem.splitlines() if "CERTIFICATE" not in l))

def token(subject, service, scopes):
    header = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(der).decode()]}
    access = []
    for scope in scopes:
        kind, name, _ = scope.split(":", 2)
        access.append({"type": kind, "name": name, "actions": ["pull", "push"]})
    now = int(time.time())
    claims = {"iss": "containerize-test-issuer", "sub": subject, "aud": service, "exp": now + 300,
              "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()), "access": access}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", os.path.join(folder, "key.pem")],
                               input=signing_input.encode(), capture_output=True, check=True).stdout
    return signing_input + "." + b64url(signature)

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/ready":
            return self.answer(200, {})
        query = urllib.parse.parse_qs(url.query)
        header = self.headers.get("Authorization", "")
        given = base64.b64decode(header[6:]).decode() if header.startswith("Basic ") else None
        with open(os.path.join(folder, "requests.log"), "a") as log:
            log.write(json.dumps({"user": given.split(":")[0] if given else None,
                                  "service": query.get("service", [""])[0], "scope": query.get("scope", [])}) + "\n")
        if given != user + ":" + password:
            return self.answer(401, {"details": "wrong credentials"})
        self.answer(200, {"token": token(user, query.get("service", [""])[0], query.get("scope", [])), "expires_in": 300})

http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
