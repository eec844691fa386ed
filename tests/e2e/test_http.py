# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of an HTTP server that keeps answering: idle, slow, abandoned and malformed
# clients must not take /healthz or /metrics down, and every error must be the README's JSON.
"""HTTP robustness tests.

Every client here talks to 127.0.0.1 only, and every loop is bounded in count and time.
"""

import concurrent.futures
import gzip
import json
import os
import socket
import threading
import time

import harness
from harness import Agent, check, diag, register
import syscalls_lib

HEADER_TIMEOUT = 5.0  # HP_HTTP_GATE_HEADER_TIMEOUT_S
MAX_LONG = 16  # HP_HTTP_MAX_LONG
# These tests are about the HTTP server, not the collectors: the syscall collector alone gives a
# full-size /metrics page; profile tests trace only this test process, so no other process on the
# machine can slow the agent's ticks down.
SYSCALLS_ONLY = ("--collectors", "syscalls")
PROFILE_60S = b"GET /debug/pprof/profile?seconds=60 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def connect(agent, timeout=10):
    return socket.create_connection(("127.0.0.1", agent.port), timeout=timeout)


def read_all(sock, timeout):
    """Everything the server sends until it closes, or until timeout (then what came so far)."""
    sock.settimeout(timeout)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    return out


def parse_response(raw):
    """(status, {lower-case header: value}, body bytes) of one raw HTTP/1.x response."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    check(sep, "no complete response head in %r" % raw[:200])
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    check(len(parts) >= 2 and parts[0].startswith("HTTP/1.") and parts[1].isdigit(),
          "bad status line %r" % lines[0])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers, body


def raw_request(agent, data, timeout=10):
    with connect(agent, timeout) as s:
        s.sendall(data)
        return parse_response(read_all(s, timeout))


def expect_json_error(status, headers, body, want, what):
    check(status == want, "%s: status %d, want %d; body %r" % (what, status, want, body[:200]))
    check(headers.get("content-type", "").startswith("application/json"),
          "%s: Content-Type %r, want application/json" % (what, headers.get("content-type")))
    try:
        doc = json.loads(body.decode("utf-8"))
    except ValueError:
        raise harness.TestFailure("%s: body is not JSON: %r" % (what, body[:200]))
    check(isinstance(doc, dict) and doc.get("status") == want and isinstance(doc.get("error"), str)
          and doc["error"], "%s: JSON error body %r" % (what, doc))


def timed_get(agent, path, timeout=5):
    t0 = time.monotonic()
    status, headers, body = harness.http(agent.base + path, timeout=timeout)
    return status, time.monotonic() - t0, headers, body


def expect_quick(agent, path, what, limit=1.5):
    """path answers 200 within limit seconds (a liveness probe's usual timeout is 1 s; the
    sanitizer build on a shared machine gets a little slack)."""
    try:
        status, took, _, body = timed_get(agent, path, timeout=limit + 3)
    except OSError as e:
        raise harness.TestFailure("%s: GET %s failed: %s" % (what, path, e))
    check(status == 200 and took <= limit,
          "%s: GET %s answered %d after %.2f s" % (what, path, status, took))
    return body


def fresh_metrics(agent, timeout=10):
    """A /metrics page rendered after this call began (the page is cached per tick)."""
    t0, deadline = time.time(), time.monotonic() + timeout
    while True:
        status, headers, body = harness.http(agent.base + "/metrics")
        check(status == 200, "/metrics answered %d: %s" % (status, body[:200]))
        rendered = float(headers.get("X-Hostprof-Rendered-At", "inf"))  # absent: per scrape
        if rendered >= t0:
            return harness.Metrics(body)
        check(time.monotonic() < deadline, "no /metrics page rendered within %.0f s" % timeout)
        time.sleep(0.1)


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


# --- idle and slow clients ----------------------------------------------------------------------

@register("http_idle_connections")
def test_http_idle_connections():
    n = 128  # twice the old whole budget of 64 connections
    with Agent(*SYSCALLS_ONLY) as agent:
        socks = [connect(agent) for _ in range(n)]
        try:
            time.sleep(0.3)
            expect_quick(agent, "/healthz", "%d idle connections open" % n)
            expect_quick(agent, "/metrics", "%d idle connections open" % n)
            # an idle client is told off and closed after the header timeout, not 120 s later
            t0 = time.monotonic()
            raw = read_all(socks[0], HEADER_TIMEOUT + 3)
            took = time.monotonic() - t0
            check(raw, "idle connection: nothing received within %.0f s" % (HEADER_TIMEOUT + 3))
            expect_json_error(*parse_response(raw), 408, "idle connection")
            check(took <= HEADER_TIMEOUT + 1.5, "idle connection closed after %.1f s" % took)
        finally:
            close_all(socks)
        m = fresh_metrics(agent)
        got = m.value("hostprof_http_connections_total", outcome="header_timeout")
        check(got >= n, "header_timeout count %d after %d idle connections" % (got, n))


@register("http_slowloris")
def test_http_slowloris():
    """80 clients send a request head one byte per second: none may hold the server."""
    n, head = 80, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    with Agent(*SYSCALLS_ONLY) as agent:
        socks = [connect(agent) for _ in range(n)]
        closed_at = [None] * n
        try:
            t0 = time.monotonic()
            for s in socks:
                s.sendall(head)
            for second in range(int(HEADER_TIMEOUT) + 3):  # bounded: 8 rounds
                time.sleep(1)
                for i, s in enumerate(socks):
                    if closed_at[i] is None:
                        try:
                            s.sendall(b"a")
                        except OSError:
                            closed_at[i] = time.monotonic() - t0
                if second in (1, 3):
                    expect_quick(agent, "/healthz", "%d slowloris clients" % n)
            # whatever is still open must have been answered (408) and half-closed by now
            for i, s in enumerate(socks):
                if closed_at[i] is None:
                    raw = read_all(s, 2)
                    check(raw, "slowloris client %d: still open after %.0f s" % (
                        i, time.monotonic() - t0))
                    expect_json_error(*parse_response(raw), 408, "slowloris client %d" % i)
        finally:
            close_all(socks)
        early = [t for t in closed_at if t is not None and t < HEADER_TIMEOUT - 0.5]
        check(not early, "slowloris clients cut before the header timeout: %s" % early[:5])
        expect_quick(agent, "/healthz", "after the slowloris")


# --- long requests --------------------------------------------------------------------------

def long_in_flight(agent):
    return fresh_metrics(agent).value("hostprof_http_long_requests_in_flight")


def wait_in_flight(agent, want, timeout):
    deadline = time.monotonic() + timeout
    while True:
        got = long_in_flight(agent)
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


@register("http_abandoned_profiles")
def test_http_abandoned_profiles():
    n = 64
    with Agent("--collectors", "syscalls,cpu", "--pid", str(os.getpid())) as agent:
        base = fresh_metrics(agent)
        socks = []
        try:
            for _ in range(n):
                s = connect(agent)
                s.sendall(PROFILE_60S)
                socks.append(s)
            time.sleep(1)
            expect_quick(agent, "/healthz", "%d profile requests waiting" % n)
            expect_quick(agent, "/metrics", "%d profile requests waiting" % n)
            got = long_in_flight(agent)
            check(got == MAX_LONG, "%d seconds=60 requests: %d in flight, want the cap %d"
                  % (n, got, MAX_LONG))
            # those beyond the cap were told to come back (each answered, none left hanging)
            rejected = 0
            for s in socks:
                s.settimeout(0.05)
                try:
                    first = s.recv(65536, socket.MSG_PEEK)
                except socket.timeout:
                    continue
                raw = first + read_all(s, 2)[len(first):]
                status, headers, body = parse_response(raw)
                expect_json_error(status, headers, body, 429, "profile beyond the cap")
                check(headers.get("retry-after", "").isdigit(),
                      "429 without a Retry-After in seconds: %r" % headers)
                rejected += 1
            check(rejected == n - MAX_LONG, "%d of %d answered 429, want %d"
                  % (rejected, n, n - MAX_LONG))
        finally:
            close_all(socks)  # every client goes away
        t0 = time.monotonic()
        left = wait_in_flight(agent, 0, 5)
        check(left == 0, "%d profile requests still running 5 s after their clients left" % left)
        m = fresh_metrics(agent)
        cancelled = (m.value("hostprof_http_long_requests_cancelled_total")
                     - base.value("hostprof_http_long_requests_cancelled_total"))
        check(cancelled == MAX_LONG, "cancelled count grew %d, want %d" % (cancelled, MAX_LONG))
        diag("in-flight profiles reached 0 %.1f s after their clients left"
             % (time.monotonic() - t0))
        expect_quick(agent, "/healthz", "after the abandoned profiles")
        # capacity is back: a short profile runs to completion
        status, _, body = harness.http(agent.base + "/api/v1/profile/cpu?seconds=1", timeout=20)
        check(status == 200 and json.loads(body).get("total_samples") is not None,
              "seconds=1 profile after the abandoned ones: %d %r" % (status, body[:200]))


# --- malformed and unsupported requests ---------------------------------------------------------

@register("http_method_with_body")
def test_http_method_with_body():
    with Agent(*SYSCALLS_ONLY) as agent:
        for method in ("POST", "PUT"):
            for path in ("/metrics", "/api/v1/syscalls", "/healthz"):
                data = ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                        "Content-Length: 11\r\n\r\nhello=world" % (method, path)).encode()
                status, headers, body = raw_request(agent, data)
                expect_json_error(status, headers, body, 405, "%s %s with a body" % (method, path))
                check("GET" in headers.get("allow", ""),
                      "%s %s: Allow %r" % (method, path, headers.get("allow")))
        # a chunked upload is refused the same way, before any of it is read
        data = (b"POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5\r\nhello\r\n0\r\n\r\n")
        expect_json_error(*raw_request(agent, data), 405, "chunked POST")


@register("http_malformed_requests")
def test_http_malformed_requests():
    long_uri = b"/" + b"a" * 40000  # beyond any request-line limit (libmicrohttpd's too)
    big_field = b"X-Big: " + b"b" * 40000 + b"\r\n"
    many_fields = b"".join(b"X-F%d: v\r\n" % i for i in range(150))
    host = b"Host: 127.0.0.1\r\n"
    cases = [
        (b"GET " + long_uri + b" HTTP/1.1\r\n" + host + b"\r\n", 414, "40 kB URI"),
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n" + host + b"\r\n", 414, "5 kB URI"),
        (b"GET /metrics HTTP/1.1\r\n" + host + big_field + b"\r\n", 431, "40 kB header"),
        (b"GET /metrics HTTP/1.1\r\n" + host + many_fields + b"\r\n", 431, "150 headers"),
        (b"GET /healthz\r\n\r\n", 505, "HTTP/0.9"),
        (b"GET /healthz HTTP/2.0\r\n" + host + b"\r\n", 505, "HTTP/2.0"),
        (b"GET /healthz HTTP/1.1\r\n\r\n", 400, "HTTP/1.1 without Host"),
        (b"GET /healthz HTTP/x.y\r\n" + host + b"\r\n", 400, "bad version"),
        (b"this is not http\r\n\r\n", 400, "garbage"),
        (b"GET /healthz HTTP/1.1\r\n" + host + b"no colon here\r\n\r\n", 400, "bad header"),
        (b"GET /healthz HTTP/1.1\r\n" + host + b"Content-Length: 4\r\n\r\nabcd", 400,
         "GET with a body"),
    ]
    with Agent(*SYSCALLS_ONLY) as agent:
        for data, want, what in cases:
            expect_json_error(*raw_request(agent, data), want, what)
        # and the server is no worse for it
        status, headers, body = raw_request(agent, b"GET /healthz HTTP/1.0\r\n\r\n")
        check(status == 200 and json.loads(body)["status"] == "ok",
              "HTTP/1.0 /healthz: %d %r" % (status, body))
        # a head just inside every limit (4 KiB line, 100 fields, 16 KiB) is served normally,
        # so libmicrohttpd's own buffer limits lie beyond the gate's
        line = b"GET /healthz?" + b"x" * (4096 - 22) + b" HTTP/1.1\r\n"
        fields = host + b"".join(b"X-F%02d: %s\r\n" % (i, b"v" * 112) for i in range(99))
        head = line + fields + b"\r\n"
        pad = 16384 - len(head)
        head = line + fields[:-2] + b"v" * pad + b"\r\n\r\n"
        check(len(line) == 4096 + 2 and len(head) == 16384, "limit head %d bytes" % len(head))
        status, _, body = raw_request(agent, head)
        check(status == 400 and b"unknown query parameter" in body,
              "a head at the limits: %d %r (want the handler's own 400)" % (status, body[:200]))
        m = fresh_metrics(agent)
        got = m.value("hostprof_http_connections_total", outcome="bad_request")
        check(got == len(cases), "bad_request count %d, want %d" % (got, len(cases)))


# --- /metrics: gzip, caching, many clients -------------------------------------------------------

def get_metrics(agent, accept_gzip):
    hdr = b"Accept-Encoding: gzip, deflate\r\n" if accept_gzip else b""
    return raw_request(agent, b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n" + hdr + b"\r\n")


@register("http_metrics_gzip")
def test_http_metrics_gzip():
    with Agent(*SYSCALLS_ONLY) as agent:
        for attempt in range(5):  # both from the same tick's page; a tick may fall between
            status, plain_h, plain = get_metrics(agent, False)
            check(status == 200, "plain /metrics: %d" % status)
            status, gz_h, zipped = get_metrics(agent, True)
            check(status == 200, "gzip /metrics: %d" % status)
            if plain_h.get("x-hostprof-rendered-at") == gz_h.get("x-hostprof-rendered-at"):
                break
        check(plain_h.get("x-hostprof-rendered-at") == gz_h.get("x-hostprof-rendered-at"),
              "never got two answers from the same page in 5 attempts")
        check("content-encoding" not in plain_h, "plain answer has Content-Encoding %r"
              % plain_h.get("content-encoding"))
        check(gz_h.get("content-encoding") == "gzip", "Content-Encoding %r, want gzip"
              % gz_h.get("content-encoding"))
        for h in (plain_h, gz_h):
            check("accept-encoding" in h.get("vary", "").lower(), "Vary %r" % h.get("vary"))
            check(h.get("content-type") == harness.PROM_CONTENT_TYPE, "Content-Type %r"
                  % h.get("content-type"))
        check(int(gz_h["content-length"]) == len(zipped) and len(zipped) < len(plain) / 3,
              "gzip body %d bytes for %d plain" % (len(zipped), len(plain)))
        check(gzip.decompress(zipped) == plain, "gunzipped /metrics differs from the plain one")
        harness.promtool_check(plain.decode())
        # q=0 refuses gzip
        status, h, body = raw_request(agent, b"GET /metrics HTTP/1.1\r\nHost: a\r\n"
                                      b"Accept-Encoding: gzip;q=0\r\n\r\n")
        check(status == 200 and "content-encoding" not in h and body.startswith(b"# HELP"),
              "gzip;q=0 answered %d %r" % (status, h.get("content-encoding")))
        # freshness: a page is at most one tick (1 s) old
        rendered = float(plain_h["x-hostprof-rendered-at"])
        check(-0.5 <= time.time() - rendered <= 2.5, "page rendered %.1f s ago"
              % (time.time() - rendered))


@register("http_concurrent_metrics")
def test_http_concurrent_metrics():
    clients, per_client = 50, 8
    with Agent(*SYSCALLS_ONLY) as agent:
        ref = agent.metrics()
        families = [f for f, _ in ref.types]
        check(("hostprof_build_info", "gauge") in ref.types
              and ref.select(syscalls_lib.HIST + "_count"),
              "reference scrape lacks build_info or the latency histogram")
        start = threading.Barrier(clients)

        def client(i):
            start.wait(timeout=30)
            answers = []
            for _ in range(per_client):  # raw sockets: urllib's own cost would dominate
                t0 = time.monotonic()
                status, headers, body = get_metrics(agent, accept_gzip=bool(i % 2))
                answers.append((status, time.monotonic() - t0, headers, body))
            return answers

        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            answers = sum(pool.map(client, range(clients)), [])
    # checked after the load, so parsing in this (GIL-bound) client does not inflate latencies
    check(len(answers) == clients * per_client, "%d answers" % len(answers))
    for k, (status, _, headers, body) in enumerate(answers):
        check(status == 200, "answer %d: status %d" % (k, status))
        if headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        got = [f for f, _ in harness.Metrics(body.decode()).types]
        check(got == families, "answer %d: families %s, want %s" % (k, got, families))
    lats = sorted(took for _, took, _, _ in answers)
    p99 = lats[int(len(lats) * 0.99) - 1]
    diag("%d clients x %d: p50 %.1f ms, p99 %.1f ms" % (clients, per_client,
                                                       lats[len(lats) // 2] * 1e3, p99 * 1e3))
    # A loose bound that only a server redoing the work per scrape misses (the old one: p99
    # 676 ms optimized, seconds under the sanitizer); the real figure is make bench's
    # (tests/bench/metrics_load.sh), not a timed test on a shared machine.
    check(p99 < 1.0, "p99 latency %.0f ms with %d concurrent clients" % (p99 * 1e3, clients))
