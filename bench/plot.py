#!/usr/bin/env python3
"""Framing throughput vs frame size for '\\n' lines, as an SVG (stdlib only).

    python3 bench/plot.py [--framing bench/results/framing.json]
                          [--cpython bench/results/cpython_framing.json]
                          [--chunk 65536] [--out bench/results/framing.svg]

Series: chatframe, memchr ceiling, careless std::string, Boost.Asio (from the
chatframe-bench-framing JSON) and CPython 3.11 asynchat (from
bench/cpython_framing.py's JSON), MB/s (10^6 bytes/s) on a log scale against
the line length (log scale), at one read size (--chunk). A missing file or
series is left out of the plot and said so on stderr.
"""
import argparse
import json
import math
import os
import sys

SERIES = [("chatframe", "chatframe", "#1f77b4"), ("memchr", "memchr ceiling", "#2ca02c"),
          ("asio", "Boost.Asio read_until", "#9467bd"), ("careless", "careless std::string", "#ff7f0e"),
          ("cpython", "CPython 3.11 asynchat", "#d62728")]


def load(path, chunk):
    pts = {}
    if not path or not os.path.exists(path):
        print(f"plot: {path} missing", file=sys.stderr)
        return pts
    for b in json.load(open(path))["benchmarks"]:
        if b.get("error_occurred"):
            continue
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        parts = b.get("run_name", b["name"]).split("/")
        if len(parts) < 4 or parts[1] != "lf" or parts[3] != f"chunk:{chunk}":
            continue
        if "bytes_per_second" not in b:  # paired rows: ratios, plotted through their single rows
            continue
        key = (parts[0], int(parts[2]))
        if key in pts and b.get("run_type") != "aggregate":
            continue
        pts[key] = b["bytes_per_second"] / 1e6
    return pts


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--framing", default=os.path.join(here, "results", "framing.json"))
    ap.add_argument("--cpython", default=os.path.join(here, "results", "cpython_framing.json"))
    ap.add_argument("--chunk", type=int, default=65536)
    ap.add_argument("--out", default=os.path.join(here, "results", "framing.svg"))
    args = ap.parse_args()
    pts = load(args.framing, args.chunk)
    pts.update(load(args.cpython, args.chunk))
    series = []
    for key, label, color in SERIES:
        xs = sorted((n, v) for (impl, n), v in pts.items() if impl == key)
        if xs:
            series.append((label, color, xs))
        else:
            print(f"plot: no data for {label}", file=sys.stderr)
    if not series:
        print("plot: nothing to plot", file=sys.stderr)
        return 1
    allx = sorted({n for _, _, xs in series for n, _ in xs})
    ally = [v for _, _, xs in series for _, v in xs if v > 0]
    ylo = 10 ** math.floor(math.log10(min(ally)))
    yhi = 10 ** math.ceil(math.log10(max(ally)))
    xlo, xhi = allx[0] / 1.5, allx[-1] * 1.5
    W, H, L, R, T, B = 760, 480, 80, 220, 40, 60
    pw, ph = W - L - R, H - T - B

    def X(n):
        return L + pw * (math.log(n) - math.log(xlo)) / (math.log(xhi) - math.log(xlo))

    def Y(v):
        return T + ph * (1 - (math.log10(v) - math.log10(ylo)) / (math.log10(yhi) - math.log10(ylo)))

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{L + pw / 2}" y="22" text-anchor="middle" font-size="14">'
         f"Framing throughput, '\\n' lines, {args.chunk // 1024} KiB reads</text>"]
    d = int(math.log10(ylo))
    while 10 ** d <= yhi:
        y = Y(10 ** d)
        o.append(f'<line x1="{L}" y1="{y:.1f}" x2="{L + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        lab = f"{10 ** d:g}" if d < 6 else f"1e{d}"
        o.append(f'<text x="{L - 6}" y="{y + 4:.1f}" text-anchor="end">{lab}</text>')
        d += 1
    for n in allx:
        x = X(n)
        o.append(f'<line x1="{x:.1f}" y1="{T}" x2="{x:.1f}" y2="{T + ph}" stroke="#eee"/>')
        o.append(f'<text x="{x:.1f}" y="{T + ph + 18}" text-anchor="middle">{n}</text>')
    o.append(f'<rect x="{L}" y="{T}" width="{pw}" height="{ph}" fill="none" stroke="black"/>')
    o.append(f'<text x="{L + pw / 2}" y="{H - 15}" text-anchor="middle">line length, bytes (incl. terminator; log scale)</text>')
    o.append(f'<text transform="translate(20,{T + ph / 2}) rotate(-90)" text-anchor="middle">MB/s (10^6 bytes/s, log scale)</text>')
    for i, (label, color, xs) in enumerate(series):
        path = " ".join(f"{'M' if j == 0 else 'L'}{X(n):.1f},{Y(v):.1f}" for j, (n, v) in enumerate(xs))
        o.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for n, v in xs:
            o.append(f'<circle cx="{X(n):.1f}" cy="{Y(v):.1f}" r="3.5" fill="{color}"><title>{label} {n} B: {v:.0f} MB/s</title></circle>')
        ly = T + 20 + i * 22
        o.append(f'<line x1="{L + pw + 15}" y1="{ly}" x2="{L + pw + 40}" y2="{ly}" stroke="{color}" stroke-width="2"/>')
        o.append(f'<text x="{L + pw + 46}" y="{ly + 4}">{label}</text>')
    o.append("</svg>")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(o) + "\n")
    print(f"plot: wrote {args.out} ({len(series)} series)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
