import base64, hashlib, http.server, json, socketserver, ssl, sys, threading, time, uuid, urllib.parse

config = json.load(open(sys.argv[1]))
faults = set(config["faults"])
lock = threading.Lock()
blobs = {}        # digest -> bytes
repos = {}        # repo -> set of digests
uploads = {}      # id -> bytearray
manifests = {}    # (repo, ref) -> (bytes, media type)
counters = {"head503": 0, "head429": 0, "bodies": 0, "patches": 0}
main_scheme = "https" if config["cert"] else "http"
main_origin = "%s://127.0.0.1:%d" % (main_scheme, config["port"])
sink_origin = "http://127.0.0.1:%d" % config["sink_port"]
basic = "Basic " + base64.b64encode(("%s:%s" % (config["user"], config["password"])).encode()).decode()

def log(origin, handler):
    with lock, open(config["log"], "a") as f:
        f.write(json.dumps({"origin": origin, "method": handler.command, "path": handler.path,
                            "authorization": handler.headers.get("Authorization")}) + "\n")

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    origin = "main"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def redirect(self, target, status=307):
        self.body()
        self.answer(status, b"", {"Location": target})

    def authorized(self):
        if self.origin == "sink" or not config["auth"]:
            return True
        given = self.headers.get("Authorization", "")
        if config["auth"] == "basic" and given == basic:
            return True
        if config["auth"] == "bearer" and given == "Bearer mock-token":
            return True
        self.body()
        if config["auth"] == "basic":
            self.answer(401, b"{}", {"WWW-Authenticate": 'Basic realm="mock"'})
        else:
            self.answer(401, b"{}", {"WWW-Authenticate": 'Bearer realm="%s/token",service="mock"' % main_origin})
        return False

    def handle_one(self):
        log(self.origin, self)
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        path = url.path
        if path == "/ready":
            return self.answer(200, b"ok")
        if path == "/token":
            if self.origin == "main" and "redirect-token" in faults:
                return self.redirect(sink_origin + self.path, 302)
            if self.command == "POST":
                form = urllib.parse.parse_qs(self.body().decode())
                if form.get("grant_type") == ["refresh_token"] and form.get("refresh_token") == [config["password"]] and "scope" in form:
                    return self.answer(200, json.dumps({"access_token": "mock-token"}).encode(), {"Content-Type": "application/json"})
                return self.answer(401, b"{}")
            if self.origin == "main" and self.headers.get("Authorization") != basic:
                return self.answer(401, b"{}")
            return self.answer(200, json.dumps({"token": "mock-token"}).encode(), {"Content-Type": "application/json"})
        if self.origin == "sink" and "sink-challenge" in faults and path.startswith("/v2/"):
            self.body()
            return self.answer(401, b"{}", {"WWW-Authenticate": 'Bearer realm="%s/token",service="evil"' % sink_origin})
        if not self.authorized():
            return
        if path == "/v2/":
            if self.origin == "main":
                if "redirect-get" in faults:
                    return self.redirect(sink_origin + "/v2/")
                if "redirect-chain" in faults:
                    hop = int(query.get("hop", ["0"])[0])
                    if hop < 9:
                        return self.redirect("/v2/?hop=%d" % (hop + 1))
                if "huge-headers" in faults:
                    self.send_response(200)
                    for i in range(20000):
                        self.send_header("X-Filler-%d" % i, "x" * 100)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                    return
                if "drip" in faults:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                    for i in range(10000):
                        self.wfile.write(b"X")
                        self.wfile.flush()
                        time.sleep(0.2)
                    return
                if "short-body" in faults:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
                    self.wfile.flush()
                    self.close_connection = True
                    return
            return self.answer(200, b"{}")
        parts = [p for p in path[len("/v2/"):].split("/") if p]
        if "blobs" in parts:
            i = parts.index("blobs")
            repo, rest = "/".join(parts[:i]), parts[i + 1:]
            if rest and rest[0] == "uploads":
                return self.upload(repo, rest[1:], query)
            digest = rest[0]
            if self.command == "HEAD":
                if self.origin == "main":
                    if "error-503" in faults and counters["head503"] < 2:
                        counters["head503"] += 1
                        return self.answer(503, b"")
                    if "rate-limit" in faults and counters["head429"] < 1:
                        counters["head429"] += 1
                        return self.answer(429, b"", {"Retry-After": "1"})
                    if "redirect-head" in faults:
                        return self.redirect(sink_origin + self.path)
                    if "redirect-loop" in faults:
                        return self.redirect(self.path)
                    if "redirect-to-http" in faults:
                        return self.redirect(sink_origin + self.path)
                with lock:
                    present = digest in repos.get(repo, set())
                return self.answer(200 if present else 404, b"", {"Docker-Content-Digest": digest} if present else {})
            if self.command == "GET":
                with lock:
                    content = blobs.get(digest) if digest in repos.get(repo, set()) else None
                if content is None:
                    return self.answer(404, b"")
                if "corrupt-blob-get" in faults:
                    content = content[:-1] + bytes([content[-1] ^ 0xFF])
                if "long-blob-get" in faults:
                    content = content + b"extra bytes a hostile registry appends"
                if "short-blob-get" in faults:
                    content = content[:-1]
                if "endless-blob-get" in faults:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                    try:
                        for i in range(100000):
                            self.wfile.write(b"10000\r\n" + bytes(65536) + b"\r\n")
                    except Exception:
                        pass
                    self.close_connection = True
                    return
                if "redirect-blob-get" in faults and self.origin == "main":
                    return self.redirect(sink_origin + self.path)
                return self.answer(200, content, {"Docker-Content-Digest": digest, "Content-Type": "application/octet-stream"})
        if "manifests" in parts:
            i = parts.index("manifests")
            repo, ref = "/".join(parts[:i]), parts[i + 1]
            if self.command == "PUT":
                data = self.body()
                digest = "sha256:" + hashlib.sha256(data).hexdigest()
                with lock:
                    manifests[(repo, ref)] = manifests[(repo, digest)] = (data, self.headers.get("Content-Type"))
                headers = {"Docker-Content-Digest": digest}
                # "referrers-api": the registry has the OCI 1.1 referrers API, so it confirms a subject.
                subject = (json.loads(data or b"{}").get("subject") or {}).get("digest") if "referrers-api" in faults else None
                if subject:
                    headers["OCI-Subject"] = subject
                return self.answer(201, b"", headers)
            with lock:
                found = manifests.get((repo, ref))
                # "moving-tag": from the second GET of a tag on, it names what was pushed as TAG.moved.
                if "moving-tag" in faults and not ref.startswith("sha256:") and self.command == "GET":
                    counters["tag:" + repo + ":" + ref] = counters.get("tag:" + repo + ":" + ref, 0) + 1
                    if counters["tag:" + repo + ":" + ref] >= 2 and (repo, ref + ".moved") in manifests:
                        found = manifests[(repo, ref + ".moved")]
            if not found:
                return self.answer(404, b"")
            stated = "sha256:" + ("0" * 64 if "lying-manifest-digest" in faults else hashlib.sha256(found[0]).hexdigest())
            return self.answer(200, found[0], {"Docker-Content-Digest": stated, "Content-Type": found[1]})
        self.answer(404, b"")

    def upload(self, repo, rest, query):
        if self.command == "POST" and not rest and "echo-auth" in faults:
            self.body()
            return self.answer(400, ("you sent: " + self.headers.get("Authorization", "")).encode())
        if self.command == "POST" and not rest:
            self.body()
            if "mount" in query and "no-mount" not in faults:
                digest, source = query["mount"][0], query.get("from", [""])[0]
                with lock:
                    if digest in repos.get(source, set()):
                        repos.setdefault(repo, set()).add(digest)
                        return self.answer(201, b"", {"Location": "/v2/%s/blobs/%s" % (repo, digest), "Docker-Content-Digest": digest})
            uid = str(uuid.uuid4())
            with lock:
                uploads[uid] = bytearray()
            return self.answer(202, b"", {"Location": "/v2/%s/blobs/uploads/%s?_state=x" % (repo, uid), "Range": "0-0"})
        uid = rest[0] if rest else ""
        if self.origin == "main" and self.command == "PUT" and "redirect-put" in faults:
            return self.redirect(sink_origin + self.path)
        if self.origin == "main" and self.command == "PATCH" and "redirect-patch" in faults:
            return self.redirect(sink_origin + self.path)
        n = int(self.headers.get("Content-Length") or 0)
        if n and self.origin == "main":
            with lock:
                counters["bodies"] += 1
                count = counters["bodies"]
                if self.command == "PATCH":
                    counters["patches"] += 1
                patches = counters["patches"]
            if patches == 1 and self.command == "PATCH" and config["blob_file"] and ("shrink-blob-file" in faults or "grow-blob-file" in faults or "corrupt-blob-file" in faults):
                with open(config["blob_file"], "r+b") as f:
                    if "shrink-blob-file" in faults:
                        f.truncate(f.seek(0, 2) // 2)
                    elif "corrupt-blob-file" in faults:
                        f.seek(-16, 2)
                        f.write(bytes(16))
                    else:
                        f.seek(0, 2)
                        f.write(b"x")
            if count == 2 and "drop-upload" in faults:
                self.rfile.read(n // 2)
                self.close_connection = True
                self.connection.shutdown(2)
                return
        data = self.body()
        with lock:
            if uid not in uploads:
                return self.answer(404, b"{}")
            uploads[uid] += data
            size = len(uploads[uid])
        if self.command == "PATCH":
            return self.answer(202, b"", {"Location": "/v2/%s/blobs/uploads/%s?_state=y" % (repo, uid), "Range": "0-%d" % (size - 1)})
        if self.command == "PUT":
            digest = query.get("digest", [""])[0]
            with lock:
                content = bytes(uploads.pop(uid))
                if "sha256:" + hashlib.sha256(content).hexdigest() != digest:
                    return self.answer(400, json.dumps({"errors": [{"code": "DIGEST_INVALID", "message": "digest mismatch"}]}).encode())
                blobs[digest] = content
                repos.setdefault(repo, set()).add(digest)
            # "lying-blob-digest": the registry says it stored the blob under another digest.
            stated = "sha256:" + "1" * 64 if "lying-blob-digest" in faults else digest
            return self.answer(201, b"", {"Location": "/v2/%s/blobs/%s" % (repo, digest), "Docker-Content-Digest": stated})
        self.answer(405, b"")

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_one

class Sink(Handler):
    origin = "sink"

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

main = Server(("127.0.0.1", config["port"]), Handler)
if config["cert"]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(config["cert"], config["key"])
    main.socket = context.wrap_socket(main.socket, server_side=True)
sink = Server(("127.0.0.1", config["sink_port"]), Sink)
threading.Thread(target=sink.serve_forever, daemon=True).start()
main.serve_forever()
