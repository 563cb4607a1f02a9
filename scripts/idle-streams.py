#!/usr/bin/env python3
"""Holds N idle notification streams open against a running Rookery and reports the
server's resident memory (RSS) before and after, then the delivery latency of one
follow to one of the streams.

usage: idle-streams.py BASE_URL JWT_SECRET SERVER_PID [N]
Needs a high open-files limit on both sides (ulimit -n 65536)."""
import asyncio, base64, hashlib, hmac, json, sys, time, uuid

BASE, SECRET, PID = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
N = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
PER_ACCOUNT = 8  # the server's default cap per account

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def token(sub: str, name: str) -> str:
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": sub, "exp": int(time.time()) + 3600, "username": name}).encode())
    signature = hmac.new(SECRET, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(signature)}"

def rss_mb() -> float:
    with open(f"/proc/{PID}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")

HOST, PORT = BASE.split("//")[1].split(":")[0], int(BASE.rsplit(":", 1)[1])

async def request(method: str, path: str, tok: str, body: str = "") -> bytes:
    reader, writer = await asyncio.open_connection(HOST, PORT)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    return data

async def open_stream(tok: str):
    reader, writer = await asyncio.open_connection(HOST, PORT)
    writer.write(f"GET /api/v1/community/notifications/stream?access_token={tok} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    seen = b""
    while b'"connected"' not in seen:
        chunk = await reader.read(4096)
        if not chunk:
            raise RuntimeError(seen.decode(errors="replace"))
        seen += chunk
    return reader, writer

async def main():
    accounts = [(str(uuid.uuid4()), f"idle{i}") for i in range((N + PER_ACCOUNT - 1) // PER_ACCOUNT)]
    tokens = [token(sub, name) for sub, name in accounts]
    for i in range(0, len(tokens), 100):  # provision the accounts
        await asyncio.gather(*(request("GET", "/api/v1/community/profiles/me", t) for t in tokens[i:i + 100]))
    before = rss_mb()
    streams = []
    for i in range(0, N, 500):
        streams += await asyncio.gather(*(open_stream(tokens[j // PER_ACCOUNT]) for j in range(i, min(N, i + 500))))
    await asyncio.sleep(2)
    after = rss_mb()
    print(f"streams open: {len(streams)}")
    print(f"server RSS before: {before:.1f} MB, with {len(streams)} idle streams: {after:.1f} MB "
          f"({(after - before) * 1024 / max(len(streams), 1):.1f} KB per stream)")
    # Delivery latency: a fresh follower follows account 0, whose first stream waits.
    latencies = []
    reader = streams[0][0]
    for k in range(20):
        fan = token(str(uuid.uuid4()), f"fan{k}")
        await request("GET", "/api/v1/community/profiles/me", fan)
        started = time.perf_counter()
        await request("POST", "/api/v1/community/follow", fan, json.dumps({"user_id": accounts[0][0]}))
        acked = time.perf_counter()
        buf = b""
        while b'"type":"follow"' not in buf:
            buf += await reader.read(4096)
        latencies.append((time.perf_counter() - acked) * 1000)
    latencies.sort()
    print(f"delivery after the follow's response, 20 follows: p50 {latencies[10]:.1f} ms, max {latencies[-1]:.1f} ms")
    for _, writer in streams:
        writer.close()

asyncio.run(main())
