#!/usr/bin/env python3
"""Plots the connection sweep of `rookery-bench` as an SVG, with no dependencies:
throughput (requests/s) and p99 latency (ms) against connection count, one line per
CSV (backend).

    scripts/plot-sweep.py target/bench/sweep-sqlite.csv target/bench/sweep-postgres.csv
    scripts/plot-sweep.py --output sweep.svg target/bench/sweep-*.csv

The default output is target/bench/sweep.svg. The connection axis is logarithmic
(the sweep doubles or quadruples connections); both value axes start at zero.
"""
import argparse
import csv
import math
import os
import sys
from html import escape

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
WIDTH, HEIGHT = 520, 340
MARGIN = {"left": 70, "right": 20, "top": 40, "bottom": 50}


def read(path):
    """(label, [(connections, req/s, p99 ms)]) from one CSV."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{path}: no rows")
    label = rows[0].get("backend") or os.path.splitext(os.path.basename(path))[0]
    points = sorted(
        (int(r["connections"]), float(r["requests_per_sec"]), float(r["p99_ms"])) for r in rows
    )
    return label, points


def nice_max(value):
    """A round number at or above value, for the top of an axis."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def panel(x0, title, ylabel, series, pick):
    """One chart: series is [(label, colour, points)], pick chooses the y value."""
    w = WIDTH - MARGIN["left"] - MARGIN["right"]
    h = HEIGHT - MARGIN["top"] - MARGIN["bottom"]
    left, top = x0 + MARGIN["left"], MARGIN["top"]
    conns = sorted({p[0] for _, _, pts in series for p in pts})
    lo, hi = math.log2(min(conns)), math.log2(max(conns))
    span = hi - lo or 1.0
    ymax = nice_max(max(pick(p) for _, _, pts in series for p in pts))

    def x(c):
        return left + (math.log2(c) - lo) / span * w

    def y(v):
        return top + h - v / ymax * h

    out = [
        f'<text x="{left + w / 2}" y="{top - 16}" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="#333"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + h}" stroke="#333"/>',
    ]
    for i in range(5):
        v = ymax * i / 4
        out.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{left + w}" y2="{y(v):.1f}" stroke="#ddd"/>')
        label = f"{v:.0f}" if ymax >= 10 else f"{v:.2g}"
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{label}</text>')
    for c in conns:
        out.append(f'<line x1="{x(c):.1f}" y1="{top + h}" x2="{x(c):.1f}" y2="{top + h + 4}" stroke="#333"/>')
        out.append(f'<text x="{x(c):.1f}" y="{top + h + 18}" text-anchor="middle">{c}</text>')
    out.append(f'<text x="{left + w / 2}" y="{top + h + 38}" text-anchor="middle">connections</text>')
    out.append(
        f'<text x="{x0 + 16}" y="{top + h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 {x0 + 16} {top + h / 2})">{escape(ylabel)}</text>'
    )
    for n, (label, colour, pts) in enumerate(series):
        path = " ".join(f"{x(p[0]):.1f},{y(pick(p)):.1f}" for p in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for p in pts:
            out.append(f'<circle cx="{x(p[0]):.1f}" cy="{y(pick(p)):.1f}" r="3" fill="{colour}"/>')
        lx, ly = left + 10, top + 14 + 16 * n
        out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 18}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{lx + 24}" y="{ly}">{escape(label)}</text>')
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", nargs="+", help="sweep CSVs written by rookery-bench")
    parser.add_argument("--output", "-o", default="target/bench/sweep.svg")
    parser.add_argument("--title", default="rookery: follow writes over HTTP, distinct pairs")
    args = parser.parse_args()

    series = []
    for i, path in enumerate(args.csv):
        label, points = read(path)
        series.append((label, COLOURS[i % len(COLOURS)], points))
    body = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * WIDTH}" height="{HEIGHT + 30}" '
        f'font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{WIDTH}" y="{HEIGHT + 20}" text-anchor="middle" fill="#555">{escape(args.title)}</text>',
    ]
    body += panel(0, "Throughput", "requests / s", series, lambda p: p[1])
    body += panel(WIDTH, "p99 latency", "ms", series, lambda p: p[2])
    body.append("</svg>")
    directory = os.path.dirname(args.output)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write("\n".join(body) + "\n")
    print(args.output)


if __name__ == "__main__":
    main()
