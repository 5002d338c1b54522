"""Load test: many clients create, poll and delete upscale projects against one server on loopback.

It prints request throughput and latency per operation, projects finished per second, and the count
of 5xx responses and of lost projects (both must be 0). The baseline, measured in the same run, is
the throughput of GET /health at the same concurrency. Run by hand:

    .venv/bin/python bench/load.py [--clients 100] [--seconds 60] [--workers 2]
"""

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from imaging import png_of_size  # noqa: E402
from support import start_server, upload  # noqa: E402

FINAL = ("complete", "error", "canceled")
POLL_INTERVAL_S = 0.1
DRAIN_TIMEOUT_S = 300.0


class Stats:
    def __init__(self):
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.server_errors = 0
        self.other_errors: dict[str, int] = defaultdict(int)
        self.created: list[str] = []
        self.finished = 0

    async def call(self, client: httpx.AsyncClient, name: str, method: str, url: str, **kwargs) -> httpx.Response:
        started = time.perf_counter()
        response = await client.request(method, url, **kwargs)
        self.latencies[name].append(time.perf_counter() - started)
        if response.status_code >= 500:
            self.server_errors += 1
        elif response.status_code >= 400:
            self.other_errors[f"{name} {response.status_code}"] += 1
        return response


async def client_loop(client: httpx.AsyncClient, stats: Stats, body: dict, deadline: float) -> None:
    while time.perf_counter() < deadline:
        response = await stats.call(client, "create", "POST", "/v1/ai-image-upscaler", json=body)
        if response.status_code != 200:
            continue
        project_id = response.json()["id"]
        stats.created.append(project_id)
        while True:
            polled = await stats.call(client, "get", "GET", f"/v1/image-projects/{project_id}")
            if polled.status_code == 200 and polled.json()["status"] in FINAL:
                stats.finished += 1
                break
            await asyncio.sleep(POLL_INTERVAL_S)
        await stats.call(client, "delete", "DELETE", f"/v1/image-projects/{project_id}")


async def run_load(url: str, api_key: str, clients: int, seconds: float, body: dict) -> Stats:
    stats = Stats()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {api_key}"},
                                 limits=limits, timeout=120.0) as client:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(client_loop(client, stats, body, deadline) for _ in range(clients)))
    return stats


async def run_baseline(url: str, clients: int, seconds: float) -> float:
    count = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0) as client:
        deadline = time.perf_counter() + seconds

        async def one() -> None:
            nonlocal count
            while time.perf_counter() < deadline:
                await client.get("/health")
                count += 1

        await asyncio.gather(*(one() for _ in range(clients)))
    return count / seconds


def count_lost(url: str, api_key: str, ids: list[str]) -> int:
    """Count lost projects: those not readable, not final after the drain time, or ended by worker_lost."""
    lost = 0
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=60.0) as client:
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        for project_id in ids:
            while True:
                response = client.get(f"/v1/image-projects/{project_id}")
                if response.status_code != 200:
                    lost += 1
                    break
                body = response.json()
                if body["status"] in FINAL:
                    lost += body["status"] == "error" and body["error"]["code"] == "worker_lost"
                    break
                if time.monotonic() > deadline:
                    lost += 1
                    break
                time.sleep(POLL_INTERVAL_S)
    return lost


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2, help="render slots of the server")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="darkroom-load-") as folder:
        server = start_server(Path(folder), workers=args.workers)
        try:
            created = server.run_cli("accounts", "create", "--name", "load", "--credits", "100000000")
            api_key = re.search(r"API key: (\S+)", created.stdout).group(1)
            with server.client(api_key=api_key) as client:
                file_path = upload(client, png_of_size(96, 64), "png")
            body = {"assets": {"image_file_path": file_path}, "scale_factor": 2, "style": {"mode": "preserve"}}

            baseline_rps = asyncio.run(run_baseline(server.url, args.clients, min(args.seconds, 10.0)))
            stats = asyncio.run(run_load(server.url, api_key, args.clients, args.seconds, body))
            lost = count_lost(server.url, api_key, stats.created)
        finally:
            server.stop()
    report(args, stats, baseline_rps, lost)


def report(args, stats: Stats, baseline_rps: float, lost: int) -> None:
    total = sum(len(values) for values in stats.latencies.values())
    rps = total / args.seconds
    print(f"{args.clients} clients, {args.seconds:g} s, {args.workers} render slots, 96x64 PNG upscaled 2x (preserve)")
    print(f"requests: {total} ({rps:.0f}/s); baseline GET /health at the same concurrency: {baseline_rps:.0f}/s; "
          f"ratio {rps / baseline_rps:.2f}")
    print(f"projects created: {len(stats.created)}, finished: {stats.finished} ({stats.finished / args.seconds:.1f}/s)")
    print(f"{'operation':<10} {'count':>7} {'p50 ms':>9} {'p99 ms':>9}")
    for name in ("create", "get", "delete"):
        values = stats.latencies[name]
        print(f"{name:<10} {len(values):>7} {statistics.median(values) * 1000:>9.1f} {percentile(values, 0.99) * 1000:>9.1f}")
    print(f"5xx answers: {stats.server_errors}")
    print(f"lost projects: {lost}")
    if stats.other_errors:
        print("4xx answers:", dict(stats.other_errors))


if __name__ == "__main__":
    main()
