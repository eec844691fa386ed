# SPDX-License-Identifier: GPL-2.0-only
# End-to-end tests of the HTML flame graph in a real browser (chromium): what the page draws, its
# breadcrumbs and search figures against the burner, merged thin boxes, invert while zoomed.
"""CPU flame graph page. Needs root, the burner (make e2e builds it) and chromium."""

import collections
import html
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import time
import urllib.parse
import zlib

from harness import Agent, check, fetch, register
from cpu_lib import CHAINS, COMM, LEAVES, SHARE_TOLERANCE, Burner, chain_ok, check_self_contained, \
    page_data


def png_decode(path):
    """(width, height, bytes per pixel, [row bytes]) of an 8-bit RGB/RGBA, non-interlaced PNG."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path)
    pos, idat, hdr = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    check(hdr, "%s has no IHDR" % path)
    width, height, depth, color, _, _, interlace = hdr
    check(depth == 8 and color in (2, 6) and not interlace, "unsupported PNG %s" % (hdr,))
    bpp = 3 if color == 2 else 4
    raw, stride = zlib.decompress(b"".join(idat)), width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = bytearray(raw[start + 1:start + 1 + stride])
        png_unfilter(raw[start], line, prev, bpp)
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def png_unfilter(kind, line, prev, bpp):
    if kind == 1:
        for i in range(bpp, len(line)):
            line[i] = (line[i] + line[i - bpp]) & 255
    elif kind == 2:
        line[:] = bytes((a + b) & 255 for a, b in zip(line, prev))
    elif kind == 3:
        for i in range(len(line)):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
    elif kind == 4:
        for i in range(len(line)):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    else:
        check(kind == 0, "bad PNG filter type %d" % kind)


def png_colors(rows, bpp):
    """Counter of pixel colours."""
    colors = collections.Counter()
    for row in rows:
        colors.update(row[i:i + bpp] for i in range(0, len(row), bpp))
    return colors


def chromium(args, tmp, timeout=120):
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", "--user-data-dir=" + os.path.join(tmp, "profile"),
           # no network at all: the page must render from its own bytes
           "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=3000"] + args
    out = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    check(out.returncode == 0, "chromium %s exited %d: %s" % (
        args[-1], out.returncode, out.stderr.decode(errors="replace")[-300:]))
    return out.stdout.decode(errors="replace")


SCREENSHOT_KEEP = os.environ.get("HOSTPROF_E2E_SCREENSHOT")  # copy the PNG here to look at it


@register("cpu_html_chromium")
def test_cpu_html_chromium():
    check(shutil.which("chromium"), "chromium not found (install chromium)")
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-chromium-") as tmp:
        with Burner(4) as b, Agent("--collectors", "cpu", "--pid", str(b.pid)) as agent:
            b.go()
            truth = b.finish()
            time.sleep(1.5)  # the last second reaches the retention ring at a tick
            status, headers, body = fetch(agent.base + "/flamegraph?since=10s")
        check(status == 200, "/flamegraph answered %d: %r" % (status, body[:200]))
        ctype = headers.get("Content-Type", "")
        check(ctype.startswith("text/html"), "/flamegraph Content-Type %r" % ctype)
        text = body.decode()
        check_self_contained(text, "/flamegraph")
        page = os.path.join(tmp, "flame.html")
        with open(page, "w") as f:
            f.write(text)
        png = os.path.join(tmp, "shot.png")
        chromium(["--screenshot=" + png, "--window-size=1200,800", "file://" + page], tmp)
        if SCREENSHOT_KEEP:
            shutil.copy(png, SCREENSHOT_KEEP)
        check_screenshot(png)
        _, want = truth.whole()
        for leaf in LEAVES:
            check_rendered_leaf(page, tmp, text, b.pid, leaf, want[leaf])


def check_screenshot(png):
    width, height, bpp, rows = png_decode(png)
    check((width, height) == (1200, 800), "screenshot is %dx%d" % (width, height))
    colors = png_colors(rows, bpp)
    background = colors.most_common(1)[0][1] / (width * height)
    # frames are filled boxes: several saturated colours that each cover a visible area
    boxes = [c for c, n in colors.items() if n >= 300 and max(c[:3]) - min(c[:3]) > 40]
    check(len(boxes) >= 3 and background <= 0.95, "screenshot does not look like a flame graph:"
          " %d colours, %d saturated ones in boxes, %.0f%% background" % (
              len(colors), len(boxes), background * 100))


def focus_path(data, group, chain):
    """The page's #focus= path (child indices, children sorted by name) to the heaviest stack
    of group ending in chain, and that stack's names from the group node down."""
    groups = [i for i, g in enumerate(data["groups"]) if g[0] == group]
    check(len(groups) == 1, "%r is %d groups in hp-data" % (group, len(groups)))
    funcs = data["funcs"]
    stacks = [st for st in data["stacks"] if st[0] == groups[0]]
    names = lambda st: [funcs[f][0] for f in st[3:]]
    mine = [st for st in stacks if chain_ok(names(st), chain)]
    check(mine, "no stack ending in %s in hp-data" % ";".join(chain))
    target = max(mine, key=lambda st: st[2])[3:]
    shown = [i for i, g in enumerate(data["groups"]) if any(st[0] == i for st in data["stacks"])]
    path = [shown.index(groups[0])]
    for depth in range(len(target)):
        ids = {st[3 + depth] for st in stacks
               if st[3:3 + depth] == target[:depth] and len(st) > 3 + depth}
        ordered = sorted(ids, key=lambda f: (funcs[f][0], 1 if funcs[f][2] else 0))
        path.append(ordered.index(target[depth]))
    return ".".join(map(str, path)), [funcs[f][0] for f in target]


def check_rendered_leaf(page, tmp, text, pid, leaf, want_pct):
    """Opens the page zoomed to leaf's stack and searching for leaf: after the script ran, the
    DOM shows the stack's names as breadcrumbs and the leaf's share of the samples."""
    path, names = focus_path(page_data(text), COMM, CHAINS[leaf])
    search = "/^%s$/" % re.escape(leaf)
    url = "file://%s#focus=%s&search=%s" % (page, path, urllib.parse.quote(search, safe=""))
    dom = chromium(["--dump-dom", url], tmp)
    check(re.search(r'<body[^>]*data-status="ok"', dom), "%s: page script did not finish: %r"
          % (leaf, re.findall(r'<div id="msg">.*?</div>', dom)))
    crumbs = re.search(r'<div id="crumbs">(.*?)</div>', dom, re.S)
    shown = html.unescape(re.sub(r"<[^>]+>", "", crumbs.group(1))) if crumbs else ""
    want = " \u203a ".join(["all", COMM] + names)  # grouped by process name
    check(shown == want, "%s: breadcrumbs %r, want %r" % (leaf, shown, want))
    matched = re.search(r'<span id="matched">Matched: ([\d.]+)%', dom)
    check(matched, "%s: no 'Matched:' figure after searching %s" % (leaf, search))
    got = float(matched.group(1))
    check(abs(got - want_pct) <= SHARE_TOLERANCE, "%s: page says it matched %.2f%%, the burner "
          "measured %.1f%%" % (leaf, got, want_pct))


# --- thin boxes merged, invert while zoomed ----------------------------------------------------


# Synthetic flame graph data for the page's drawing checks: group "wide" holds one parent with a
# wide child and THIN children far below a pixel each, every thin child with a "needle" leaf;
# group "deep" holds one 150-frame stack, so the tallest stack is far taller than "wide"'s.
THIN = 2000
THIN_W, WIDE_W, DEEP_W = 1000, 8000000, 10000


def merged_page_data(data):
    funcs = [["main", "/bin/w", 0], ["parent", "/bin/w", 0], ["wide_child", "/bin/w", 0],
             ["needle", "/bin/w", 0], ["deep", "/bin/d", 0]]
    stacks = [[0, 800, WIDE_W, 0, 1, 2]]
    for i in range(THIN):
        funcs.append(["thin%04d" % i, "/bin/w", 0])
        stacks.append([0, 1, THIN_W, 0, 1, len(funcs) - 1, 3])
    stacks.append([1, 1, DEEP_W] + [4] * 150)
    total = WIDE_W + THIN * THIN_W + DEEP_W
    data.update(funcs=funcs, stacks=stacks, total=len(stacks) - 1 + 800,
                total_weight=total, group_by="process",
                groups=[["wide", 800 + THIN, WIDE_W + THIN * THIN_W], ["deep", 1, DEEP_W]])
    return data, total


def with_data(text, data):
    m = re.search(r'(<script id="hp-data" type="application/json">)(.*?)(</script>)', text, re.S)
    return text[:m.start(2)] + json.dumps(data).replace("<", "\\u003c") + text[m.end(2):]


# Clicks "Invert" once the page has drawn (what a user does while zoomed).
CLICK_INVERT = """<script>
setTimeout(function () { document.getElementById('invert').click(); }, 300);
</script></body>"""


@register("cpu_html_merged_boxes")
def test_cpu_html_merged_boxes():
    """The flame graph page leaves no width blank: thin boxes are one grey "N more" box per
    parent, search totals still count what they hide, and invert while zoomed draws where the
    window is (with a far deeper stack elsewhere, it used to draw below the visible area)."""
    check(shutil.which("chromium"), "chromium not found (install chromium)")
    with tempfile.TemporaryDirectory(prefix="hostprof-e2e-merged-") as tmp:
        with Agent("--collectors", "cpu", "--pid", str(os.getpid())) as agent:
            status, _, body = fetch(agent.base + "/flamegraph?since=10s")
        check(status == 200, "/flamegraph answered %d" % status)
        data, total = merged_page_data(page_data(body.decode()))
        page = os.path.join(tmp, "merged.html")
        with open(page, "w") as f:
            f.write(with_data(body.decode(), data))
        dom = chromium(["--window-size=1200,800", "--dump-dom",
                        "file://%s#search=needle" % page], tmp)
        attrs = dict(re.findall(r'(data-[a-z-]+)="([^"]*)"', re.search(r"<body[^>]*>", dom)
                                .group(0)))
        check(attrs.get("data-status") == "ok", "page script failed: %s" % attrs)
        check(float(attrs.get("data-blank-px", "nan")) < 1, "%s px under drawn frames are blank"
              % attrs.get("data-blank-px"))
        # words and units from the kind, amounts from weights (not counts x period)
        title = re.search(r'<h1 id="title">([^<]*)</h1>', dom)
        stats = re.search(r'<span id="stats">([^<]*)</span>', dom)
        check(title and title.group(1) == "hostprof CPU flame graph", "page title %r" % (
            title and title.group(1)))
        check(stats and "%.1f ms on-CPU" % (total / 1e6) in stats.group(1)
              and "2 processes" in stats.group(1), "page header %r, want %.1f ms on-CPU in 2 "
              "processes" % (stats and stats.group(1), total / 1e6))
        matched = re.search(r'<span id="matched">Matched: ([\d.]+)% \(([^)]*)\)', dom)
        check(matched and matched.group(2) == "%.1f ms" % (THIN * THIN_W / 1e6),
              "search amount %r, want %.1f ms" % (matched and matched.group(0),
                                                  THIN * THIN_W / 1e6))
        want = 100.0 * THIN * THIN_W / total
        check(matched and abs(float(matched.group(1)) - want) < 0.01, "search for a name that "
              "only thin (merged) frames hold: %r, want %.2f%%" % (
                  matched and matched.group(0), want))
        png = os.path.join(tmp, "merged.png")
        chromium(["--screenshot=" + png, "--window-size=1200,800", "file://" + page], tmp)
        _, _, bpp, rows = png_decode(png)
        grey = png_colors(rows, bpp)[bytes([0xb9, 0xb9, 0xb9] + [255] * (bpp - 3))]
        # the "N more" box: THIN/(total) of the width, one row high (less its 1 px gap)
        want_px = (1200 - 24) * THIN * THIN_W / total * 17
        check(grey >= 0.8 * want_px, "the grey 'N more' box covers %d px, want ~%.0f" % (
            grey, want_px))
        with open(page, "w") as f:
            f.write(with_data(body.decode(), data).replace("</body>", CLICK_INVERT))
        chromium(["--screenshot=" + png, "--window-size=1200,800", "file://%s#focus=0" % page],
                 tmp)
        if SCREENSHOT_KEEP:
            shutil.copy(png, SCREENSHOT_KEEP)
        check_screenshot(png)
