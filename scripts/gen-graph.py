#!/usr/bin/env python3
"""Writes a synthetic social graph as the JSON Lines `rookery import` reads.

    scripts/gen-graph.py --accounts 100000 --edges 1000000 > graph.jsonl
    target/release/rookery import graph.jsonl --database-url sqlite://big.db

Accounts get UUID v7 ids (as Rookery makes them) and usernames user0000001...; edges
are distinct random pairs without self-follows. The same --seed gives the same file.
"""
import argparse
import json
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone


def uuid7(rng, millis):
    """A UUID v7: 48 bits of Unix milliseconds, then version, variant and random bits."""
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= rng.getrandbits(12) << 64
    value |= 0b10 << 62
    value |= rng.getrandbits(62)
    return uuid.UUID(int=value)


def rfc3339(at):
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--private", type=float, default=0.1, help="share of private accounts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", "-o", default="-", help="file to write, - for stdout")
    args = parser.parse_args()
    n = args.accounts
    if n < 2 and args.edges > 0:
        sys.exit("edges need at least two accounts")
    if args.edges > n * (n - 1):
        sys.exit("more edges than distinct ordered pairs")

    rng = random.Random(args.seed)
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    base_ms = int(start.timestamp() * 1000)
    ids = []
    for i in range(n):
        created = start + timedelta(seconds=i)
        ids.append(str(uuid7(rng, base_ms + i * 1000)))
        out.write(json.dumps({
            "type": "account",
            "id": ids[-1],
            "username": f"user{i:07d}",
            "full_name": f"User {i}",
            "bio": None,
            "profile_image_url": None,
            "banner_image_url": None,
            "is_private": rng.random() < args.private,
            "is_verified": False,
            "posts_count": 0,
            "created_at": rfc3339(created),
        }, separators=(",", ":")) + "\n")

    seen = set()
    edge_time = start + timedelta(seconds=n)
    while len(seen) < args.edges:
        a = rng.randrange(n)
        b = rng.randrange(n)
        if a == b or (a, b) in seen:
            continue
        seen.add((a, b))
        created = rfc3339(edge_time + timedelta(milliseconds=len(seen)))
        out.write(f'{{"type":"follow","follower_id":"{ids[a]}","followee_id":"{ids[b]}","created_at":"{created}"}}\n')
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
