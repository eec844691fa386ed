# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of an agent that is safe to expose: a reachable --listen needs a token, tokens
# rotate without a restart, HTTPS works and keeps its deadlines, and every bound on work holds.
"""HTTP exposure tests: authentication, TLS and the limits on work, each with a measured figure.

Ground truth is what the test itself sent: the number of requests without or with a wrong
token, the clients it made slow or idle, the profiles it asked for. Every client talks to
127.0.0.1 only (the one agent bound to 0.0.0.0 runs in a network namespace of its own).
"""

import concurrent.futures
import gzip
import json
import os
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import harness
from harness import Agent, Skip, check, diag, free_port, register, run_cli, error_lines
from test_http import (HEADER_TIMEOUT, connect, expect_json_error, parse_response, read_all,
                       close_all)

SYSCALLS_ONLY = ("--collectors", "syscalls")
TLS_HEAD_TIMEOUT = 5.0  # HP_HTTP_TLS_HEAD_TIMEOUT_S
GATE_MAX_PENDING = 256  # HP_HTTP_GATE_MAX_PENDING
MAX_CONNECTIONS = 64  # HP_HTTP_MAX_CONNECTIONS


def token_text(tag):
    return ("hostprof-e2e-%s-" % tag) + os.urandom(16).hex()


class SecretDir:
    """A Kubernetes Secret volume holding one key "token": token -> ..data/token, ..data ->
    ..<version>/. update() writes a new version and swaps ..data by rename, as the kubelet does."""

    def __init__(self, token):
        self.dir = tempfile.mkdtemp(prefix="hostprof-e2e-secret-")
        self.version = 0
        self.update(token)
        os.symlink("..data/token", os.path.join(self.dir, "token"))
        self.path = os.path.join(self.dir, "token")

    def update(self, content):
        self.version += 1
        name = "..2026_01_01_00_00_00.%d" % self.version
        os.mkdir(os.path.join(self.dir, name))
        with open(os.path.join(self.dir, name, "token"), "w") as f:
            f.write(content)
        tmp = os.path.join(self.dir, "..data_tmp")
        os.symlink(name, tmp)
        os.rename(tmp, os.path.join(self.dir, "..data"))

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def make_cert(folder):
    """A self-signed EC certificate for 127.0.0.1 and its key, made with the openssl CLI."""
    openssl = shutil.which("openssl")
    check(openssl, "openssl not found in PATH (install the openssl package: make deps-test)")
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    out = subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                          "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                          "subjectAltName=IP:127.0.0.1"], capture_output=True, text=True,
                         timeout=60)
    check(out.returncode == 0, "openssl req failed: %s" % out.stderr[-300:])
    return cert, key


class SecureAgent(Agent):
    """An Agent whose requests may need a token and may go over HTTPS (cafile: the certificate
    to trust); its readiness wait uses /healthz, which stays open."""

    def __init__(self, *args, token=None, cafile=None, **kw):
        super().__init__(*args, **kw)
        self.token = token
        self.ctx = ssl.create_default_context(cafile=cafile) if cafile else None
        if cafile:
            self.base = "https://127.0.0.1:%d" % self.port

    def _wait_healthy(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                diag(self.stderr())
                raise harness.TestFailure("agent %s exited with %d before /healthz answered: %s"
                                          % (" ".join(self.args), rc, self.last_line()))
            try:
                if self.request("/healthz", token=None, timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        diag(self.stderr())
        raise harness.TestFailure("agent not healthy after %d s" % timeout)

    def request(self, path, token="default", headers=None, timeout=20):
        """(status, headers, body bytes) of GET path; token "default": the agent's own, None:
        no Authorization header, else that token."""
        h = dict(headers or {})
        tok = self.token if token == "default" else token
        if tok is not None:
            h["Authorization"] = "Bearer " + tok
        req = urllib.request.Request(self.base + path, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=self.ctx) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def get(self, path, **kw):  # what Agent.metrics() uses: with the token, text body
        status, headers, body = self.request(path, **kw)
        return status, headers, body.decode("utf-8", "replace")

    def fresh_metrics(self, timeout=10):
        t0, deadline = time.time(), time.monotonic() + timeout
        while True:
            status, headers, body = self.request("/metrics")
            check(status == 200, "/metrics with the token answered %d: %r" % (status, body[:200]))
            if float(headers.get("X-Hostprof-Rendered-At", "inf")) >= t0:
                return harness.Metrics(body.decode())
            check(time.monotonic() < deadline, "no fresh /metrics page in %.0f s" % timeout)
            time.sleep(0.1)


def expect_401(answer, what, invalid):
    status, headers, body = answer
    check(status == 401, "%s: status %d, want 401; body %r" % (what, status, body[:200]))
    doc = json.loads(body)
    check(doc.get("status") == 401 and doc.get("error"), "%s: JSON error %r" % (what, doc))
    www = headers.get("WWW-Authenticate", "")
    check(www.startswith("Bearer"), "%s: WWW-Authenticate %r" % (what, www))
    check(("invalid_token" in www) == invalid, "%s: WWW-Authenticate %r (invalid token: %s)"
          % (what, www, invalid))
    check(b"hostprof_" not in body and b"syscall" not in body,
          "%s: the 401 body leaks data: %r" % (what, body[:200]))


# --- who may listen where -------------------------------------------------------------------------

@register("http_listen_exposure")
def test_http_listen_exposure():
    """A --listen other hosts can reach is refused in one line (exit 2) before anything loads,
    unless a token or --insecure-listen is given; and so are half-configured TLS and bad files."""
    port = free_port()
    folder = tempfile.mkdtemp(prefix="hostprof-e2e-listen-")
    try:
        empty = os.path.join(folder, "empty")
        open(empty, "w").close()
        cert, key = make_cert(folder)
        cases = [
            (["--listen", ":%d" % port], "--auth-token-file"),
            (["--listen", "0.0.0.0:%d" % port], "--insecure-listen"),
            (["--listen", "[::]:%d" % port], "--auth-token-file"),
            (["--listen", "192.0.2.1:%d" % port], "--auth-token-file"),  # TEST-NET-1
            (["--tls-cert", cert], "--tls-cert needs --tls-key"),
            (["--tls-key", key], "--tls-key needs --tls-cert"),
            (["--tls-cert", key, "--tls-key", cert], "--tls-cert"),  # swapped: not a cert
            (["--auth-token-file", empty], "is empty"),
            (["--auth-token-file", os.path.join(folder, "missing")], "No such file"),
        ]
        for args, want in cases:
            t0 = time.monotonic()
            out = run_cli(["serve", "--collectors", "syscalls"] + args)
            took = time.monotonic() - t0
            lines = error_lines(out.stderr)
            check(out.returncode == 2 and len(lines) == 1 and want in lines[0],
                  "serve %s: exit %d, stderr %s (want one line naming %s)"
                  % (" ".join(args), out.returncode, lines[:5], want))
            check(took < 1.0, "serve %s: refused after %.2f s" % (" ".join(args), took))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    serve_all_interfaces_in_netns()


def serve_all_interfaces_in_netns():
    """--listen 0.0.0.0 with --insecure-listen starts and warns; run in a network namespace of its
    own (loopback only), so the port is reachable from nowhere but that namespace."""
    if not shutil.which("unshare") or not shutil.which("nsenter"):
        raise Skip("unshare/nsenter not found (util-linux)")
    port = 7747
    log = tempfile.NamedTemporaryFile(prefix="hostprof-e2e-netns-", suffix=".log")
    proc = subprocess.Popen(["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"',
                             "sh", harness.HOSTPROF, "serve", "--listen", "0.0.0.0:%d" % port,
                             "--insecure-listen", "--collectors", "syscalls"],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        probe = ("import urllib.request as u;"
                 "print(u.urlopen('http://127.0.0.1:%d/healthz', timeout=2).status)" % port)
        deadline, status = time.monotonic() + 30, ""
        while time.monotonic() < deadline and proc.poll() is None:
            out = subprocess.run(["nsenter", "--net=/proc/%d/ns/net" % proc.pid,
                                  "/usr/bin/python3", "-c", probe], capture_output=True,
                                 text=True, timeout=10)
            status = out.stdout.strip()
            if status == "200":
                break
            time.sleep(0.2)
        with open(log.name) as f:
            text = f.read()
        check(status == "200", "agent on 0.0.0.0 in its netns: /healthz %r; log %s"
              % (status, text[-500:]))
        check("serves without authentication" in text and "0.0.0.0:%d" % port in text,
              "no warning about serving 0.0.0.0 without authentication: %s" % text[-500:])
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=15)
        with open(log.name) as f:
            text = f.read()
        log.close()
    report = [m for m in harness.SANITIZER_MARKERS if m in text]
    check(rc == 0 and not report, "agent in its netns exited %d %s" % (rc, report))


# --- bearer tokens ------------------------------------------------------------------------------

@register("http_auth_token")
def test_http_auth_token():
    first, second = token_text("first"), token_text("second")
    secret = SecretDir(first + "\n")
    missing = invalid = 0
    try:
        with SecureAgent(*SYSCALLS_ONLY, "--auth-token-file", secret.path,
                         token=first) as agent:
            # probes stay open
            for path in ("/healthz", "/readyz"):
                status, _, body = agent.request(path, token=None)
                check(status != 401, "%s without a token: %d %r" % (path, status, body[:100]))
            # everything else needs the token, even a path that does not exist
            for path in ("/metrics", "/api/v1/syscalls", "/debug/pprof/profile?seconds=1",
                         "/", "/nosuch"):
                expect_401(agent.request(path, token=None), path + " without a token", False)
                missing += 1
            expect_401(agent.request("/metrics", headers={"Authorization": "Basic eDp5"},
                                     token=None), "Basic credentials", False)
            missing += 1
            for what, tok in (("wrong", token_text("wrong")), ("prefix", first[:-1]),
                              ("longer", first + "0"), ("one byte off", first[:-1] + "x")):
                expect_401(agent.request("/metrics", token=tok), "%s token" % what, True)
                invalid += 1
            status, _, body = agent.request("/metrics")
            check(status == 200 and b"hostprof_build_info" in body,
                  "/metrics with the token: %d %r" % (status, body[:200]))
            status, _, _ = agent.request("/metrics", token=None,
                                         headers={"Authorization": "bearer " + first + "  "})
            check(status == 200, "lower-case scheme and trailing spaces: %d" % status)
            m = agent.fresh_metrics()
            got = (m.value("hostprof_http_unauthorized_total", reason="missing_token"),
                   m.value("hostprof_http_unauthorized_total", reason="invalid_token"))
            check(got == (missing, invalid), "unauthorized counts %s, want (%d, %d) sent"
                  % (got, missing, invalid))

            # rotation: the kubelet swaps ..data; the new token works within ~1 s, the old
            # one stops
            t0 = time.monotonic()
            secret.update(second + "\n")
            while agent.request("/metrics", token=second)[0] != 200:
                check(time.monotonic() - t0 < 3, "rotated token not accepted after 3 s")
                time.sleep(0.05)
            took = time.monotonic() - t0
            expect_401(agent.request("/metrics", token=first), "the old token after rotation",
                       True)
            invalid += 1
            diag("rotated token accepted %.2f s after the Secret's ..data swap" % took)
            # a rotation to an empty file keeps the last good token, and says so
            secret.update("\n")
            time.sleep(1.5)
            status, _, _ = agent.request("/metrics", token=second)
            check(status == 200, "after an empty token file the last good token got %d" % status)
            agent.token = second
            m = agent.fresh_metrics()
            reloads = (m.value("hostprof_http_auth_token_reloads_total", result="ok"),
                       m.value("hostprof_http_auth_token_reloads_total", result="error"))
            check(reloads == (1, 1), "token reloads (ok, error) %s, want (1, 1)" % (reloads,))
            log = agent.stderr()
            check("auth token reloaded" in log and "keeping the previous one" in log,
                  "reload log lines missing: %s" % log[-600:])
            check(first not in log and second not in log, "a token appears in the log")
    finally:
        secret.remove()


# --- HTTPS --------------------------------------------------------------------------------------

def tls_connect(agent, timeout=10):
    raw = socket.create_connection(("127.0.0.1", agent.port), timeout=timeout)
    return agent.ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def closed_after(sock, t0, limit):
    """Seconds from t0 until the server closed sock (reads and drops what arrives); None if still
    open at t0 + limit."""
    while time.monotonic() - t0 < limit:
        sock.settimeout(max(0.05, limit - (time.monotonic() - t0)))
        try:
            if not sock.recv(4096):
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except (OSError, ssl.SSLError):
            return time.monotonic() - t0
    return None


@register("http_tls")
def test_http_tls():
    folder = tempfile.mkdtemp(prefix="hostprof-e2e-tls-")
    token = token_text("tls")
    try:
        cert, key = make_cert(folder)
        tok = os.path.join(folder, "token")
        with open(tok, "w") as f:
            f.write(token)
        with SecureAgent(*SYSCALLS_ONLY, "--tls-cert", cert, "--tls-key", key,
                         "--auth-token-file", tok, token=token, cafile=cert) as agent:
            check("serving HTTPS on https://127.0.0.1:%d/" % agent.port in agent.stderr(),
                  "no HTTPS start-up line: %s" % agent.stderr()[-300:])
            # the certificate verifies, TLS 1.2 or newer, and requests work as over HTTP
            t0 = time.monotonic()
            with tls_connect(agent) as s:
                handshake, version = time.monotonic() - t0, s.version()
                check(version in ("TLSv1.2", "TLSv1.3"), "negotiated %s" % version)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                status, _, body = parse_response(read_all(s, 5))
                check(status == 200, "/healthz over TLS: %d %r" % (status, body))
            diag("TLS handshake %.1f ms (%s)" % (handshake * 1e3, version))
            expect_401(agent.request("/metrics", token=None), "/metrics over TLS, no token", False)
            # /metrics over TLS honours gzip: the same page, compressed
            for _ in range(5):
                _, ph, plain = agent.request("/metrics")
                _, gh, zipped = agent.request("/metrics", headers={"Accept-Encoding": "gzip"})
                if ph.get("X-Hostprof-Rendered-At") == gh.get("X-Hostprof-Rendered-At"):
                    break
            check(gh.get("Content-Encoding") == "gzip" and "accept-encoding" in
                  gh.get("Vary", "").lower(), "gzip over TLS: headers %s" % dict(gh))
            check(gzip.decompress(zipped) == plain, "gunzipped /metrics over TLS differs")

            # plain HTTP to the HTTPS port: a JSON 400 that says to use https://
            status, headers, body = parse_response(read_all_request(
                agent, b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"))
            expect_json_error(status, headers, body, 400, "plain HTTP to the HTTPS port")
            check(b"https://" in body, "400 does not name https://: %r" % body)

            # idle clients (no ClientHello) and slow ones (handshake done, head dribbled) both
            # end within the deadline; /healthz keeps answering meanwhile
            n_idle, n_slow = 20, 20
            t0 = time.monotonic()
            idle = [connect(agent) for _ in range(n_idle)]
            slow, t_slow = [], []  # each one's deadline runs from its ClientHello
            for _ in range(n_slow):
                t_slow.append(time.monotonic())
                slow.append(tls_connect(agent))
            try:
                for s in slow:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n")
                lats = []
                for _ in range(int(TLS_HEAD_TIMEOUT) - 1):  # bounded: 4 rounds
                    time.sleep(1)
                    for s in slow:
                        try:
                            s.sendall(b"X-Slow: a\r\n")
                        except (OSError, ssl.SSLError):
                            pass
                    t1 = time.monotonic()
                    status = agent.request("/healthz", timeout=5)[0]
                    lats.append(time.monotonic() - t1)
                    check(status == 200, "/healthz during %d slow TLS clients: %d"
                          % (n_slow, status))
                idle_closed = [closed_after(s, t0, HEADER_TIMEOUT + 2) for s in idle]
                slow_closed = [closed_after(s, t, TLS_HEAD_TIMEOUT + 2)
                               for s, t in zip(slow, t_slow)]
            finally:
                close_all(idle + slow)
            check(all(c is not None and HEADER_TIMEOUT - 0.5 <= c for c in idle_closed),
                  "idle TCP clients on the HTTPS port closed after %s s" % idle_closed)
            check(all(c is not None and TLS_HEAD_TIMEOUT - 0.5 <= c for c in slow_closed),
                  "slow TLS heads closed after %s s (deadline %.0f s)"
                  % (slow_closed, TLS_HEAD_TIMEOUT))
            diag("HTTPS: idle clients closed after %.1f..%.1f s, slow TLS heads after %.1f..%.1f "
                 "s; /healthz meanwhile max %.0f ms"
                 % (min(idle_closed), max(idle_closed), min(slow_closed), max(slow_closed),
                    max(lats) * 1e3))
            check(max(lats) < 1.5, "/healthz during slow TLS clients took %.2f s" % max(lats))
            m = agent.fresh_metrics()
            got = m.value("hostprof_http_tls_head_timeouts_total")
            check(got == n_slow, "tls_head_timeouts %d, want the %d slow clients" % (got, n_slow))
            got = m.value("hostprof_http_connections_total", outcome="header_timeout")
            check(got == n_idle, "header_timeout %d, want the %d idle clients" % (got, n_idle))
            got = m.value("hostprof_http_connections_total", outcome="bad_request")
            check(got == 1, "bad_request %d, want 1 (the plain request)" % got)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def client_hello(ctx):
    """The first flight of a TLS client (its ClientHello record), made without a socket."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    check(hello[:1] == b"\x16", "not a TLS handshake record: %r" % hello[:8])
    return hello


def read_all_request(agent, data, timeout=10):
    with connect(agent, timeout) as s:
        s.sendall(data)
        return read_all(s, timeout)


# --- bounded work ---------------------------------------------------------------------------------

@register("http_profile_limits")
def test_http_profile_limits():
    """--http-max-profiles N: N recordings at once, the next gets 429 with Retry-After at once;
    --max-profile-seconds: a longer seconds= is a 400 naming the cap."""
    cap, seconds = 2, 3
    with SecureAgent("--collectors", "syscalls,cpu", "--pid", str(os.getpid()),
                     "--http-max-profiles", str(cap), "--max-profile-seconds",
                     "%ds" % seconds) as agent:
        status, headers, body = agent.request("/debug/pprof/profile?seconds=%d" % (seconds + 1))
        expect_json_error(status, headers, body, 400, "seconds beyond --max-profile-seconds")
        check(b"cap of %d s" % seconds in body and b"--max-profile-seconds" in body,
              "the 400 does not name the cap: %r" % body)

        def one(i):
            time.sleep(0.3 * (i == cap))  # the extra one comes last
            t0 = time.monotonic()
            status, headers, body = agent.request(
                "/api/v1/profile/cpu?seconds=%d&format=json" % seconds, timeout=30)
            return status, headers, body, time.monotonic() - t0

        with concurrent.futures.ThreadPoolExecutor(cap + 1) as pool:
            answers = list(pool.map(one, range(cap + 1)))
    codes = sorted(a[0] for a in answers)
    check(codes == [200] * cap + [429], "%d concurrent profiles with cap %d: %s"
          % (cap + 1, cap, codes))
    for status, headers, body, took in answers:
        if status == 429:
            check(headers.get("Retry-After", "").isdigit(), "429 Retry-After %r"
                  % headers.get("Retry-After"))
            check(b"--http-max-profiles" in body, "429 does not name the option: %r" % body)
            check(took < 1.0, "429 took %.2f s" % took)
            diag("profile %d of cap %d: 429 after %.0f ms" % (cap + 1, cap, took * 1e3))
        else:
            check(seconds - 0.5 <= took <= seconds + 5, "a %d s profile took %.1f s"
                  % (seconds, took))
            check("total_samples" in json.loads(body), "profile body %r" % body[:200])


@register("http_idle_flood")
def test_http_idle_flood():
    """1,000 idle connections: /healthz keeps answering; the gate holds 256 and evicts the
    oldest (408) to make room, every one counted."""
    n = 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1000), hard))
    with Agent(*SYSCALLS_ONLY) as agent:
        base = [timed_healthz(agent) for _ in range(20)]
        socks, lats = [], []
        try:
            t0 = time.monotonic()
            for _ in range(n):
                socks.append(connect(agent))
            opened = time.monotonic() - t0
            for _ in range(20):
                lats.append(timed_healthz(agent))
            held = time.monotonic() - t0
            check(held < HEADER_TIMEOUT - 1, "the flood took %.1f s to set up" % held)
            # the oldest was pushed out with a 408, the newest still waits
            expect_json_error(*parse_response(read_all(socks[0], 2)), 408,
                              "the oldest idle client")
            socks[-1].settimeout(0.2)
            try:
                still = socks[-1].recv(1)
            except socket.timeout:
                still = None
            check(still is None, "the newest idle client got %r" % still)
            # the first request after the flood pushes the oldest idle client out; it passes at
            # once, so each later one finds that slot free again
            extra = 1
        finally:
            close_all(socks)
        time.sleep(0.5)  # the gate sees them close (no eviction counted for that)
        m = agent.metrics()
        evicted = m.value("hostprof_http_connections_total", outcome="evicted")
    base.sort()
    lats.sort()
    p50, p99 = lats[len(lats) // 2], lats[-1]
    diag("%d idle connections opened in %.2f s; /healthz p50 %.1f ms, max %.1f ms (without "
         "them: p50 %.1f ms, max %.1f ms)" % (n, opened, p50 * 1e3, p99 * 1e3,
                                              base[len(base) // 2] * 1e3, base[-1] * 1e3))
    check(p99 < 1.0, "/healthz with %d idle connections: max %.2f s" % (n, p99))
    # every connection beyond the 256 waiting slots pushed the oldest idle one out
    want = n + extra - GATE_MAX_PENDING
    check(evicted == want, "evicted %d, want %d (%d idle + %d request - %d slots)"
          % (evicted, want, n, extra, GATE_MAX_PENDING))


def timed_healthz(agent):
    t0 = time.monotonic()
    status, _, body = harness.http(agent.base + "/healthz", timeout=5)
    check(status == 200, "/healthz answered %d" % status)
    return time.monotonic() - t0


@register("http_connection_limit")
def test_http_connection_limit():
    """The 64-connection limit, reached the one way a client can reach it: over HTTPS, where a
    client that sent its ClientHello but not the rest of its handshake (or its head) holds a
    connection thread, for at most the 5 s deadline. The 65th is refused at once, counted, and service is back when the
    deadline frees them. (Over plain HTTP the gate holds such clients without a thread.)"""
    folder = tempfile.mkdtemp(prefix="hostprof-e2e-limit-")
    try:
        cert, key = make_cert(folder)
        with SecureAgent(*SYSCALLS_ONLY, "--tls-cert", cert, "--tls-key", key,
                         cafile=cert) as agent:
            slow, refused = [], 0
            try:
                t0 = time.monotonic()
                # each sends a real ClientHello, then nothing: its handshake holds a thread
                for _ in range(MAX_CONNECTIONS):
                    t = time.monotonic()
                    s = connect(agent)
                    s.sendall(client_hello(agent.ctx))
                    slow.append((s, t))
                held = time.monotonic()
                # the next one is closed right after its ClientHello: no thread is left
                try:
                    with tls_connect(agent, timeout=3) as s:
                        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
                        answer = read_all(s, 3)
                except (OSError, ssl.SSLError) as e:
                    answer = e
                    refused += 1
                check(isinstance(answer, Exception) and time.monotonic() - held < 1.0,
                      "connection %d with %d held: %r after %.2f s" % (
                          MAX_CONNECTIONS + 1, MAX_CONNECTIONS, answer,
                          time.monotonic() - held))
                # the deadline frees them: /healthz answers again
                while True:
                    try:
                        status = agent.request("/healthz", timeout=3)[0]
                    except (OSError, ssl.SSLError):
                        status = None
                        refused += 1
                    if status == 200:
                        break
                    check(time.monotonic() - t0 < TLS_HEAD_TIMEOUT + 5,
                          "/healthz not back %.1f s after the slow clients came"
                          % (time.monotonic() - t0))
                    time.sleep(0.1)
                back = time.monotonic() - t0
                # each one is shut down at its own deadline
                closed = [closed_after(s, t, TLS_HEAD_TIMEOUT + 2) for s, t in slow]
                check(all(c is not None and c >= TLS_HEAD_TIMEOUT - 0.5 for c in closed),
                      "slow TLS heads closed after %s s" % closed)
            finally:
                close_all([s for s, _ in slow])
            m = agent.fresh_metrics()
            busy = m.value("hostprof_http_connections_total", outcome="server_busy")
            timeouts = m.value("hostprof_http_tls_head_timeouts_total")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    diag("%d stalled TLS handshakes (set up in %.2f s) held every thread; %d refused; back %.1f "
         "s after the first" % (MAX_CONNECTIONS, held - t0, refused, back))
    check(busy == refused, "server_busy counted %d, %d connections refused" % (busy, refused))
    check(timeouts == MAX_CONNECTIONS, "tls_head_timeouts %d, want %d" % (timeouts,
                                                                          MAX_CONNECTIONS))
    check(back <= TLS_HEAD_TIMEOUT + (held - t0) + 1.5,
          "service back after %.1f s; the deadline is %.0f s" % (back, TLS_HEAD_TIMEOUT))
