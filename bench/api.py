"""Benchmark GET /v1/image-projects/{id} against a bare endpoint that returns the same JSON from memory.

Both endpoints live in one server process, so the ratio shows what authentication, the database
read and URL signing cost on top of FastAPI and uvicorn themselves. Run by hand:

    .venv/bin/python bench/api.py [--seconds 5] [--concurrency 1,16,64]
"""

import argparse
import asyncio
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support import OBAMA, free_port, upload, wait_for_status  # noqa: E402


def serve(data_dir: str, port: int) -> None:
    """Run the real app plus a bare route, in this process, with one embedded render slot."""
    import uvicorn
    from fastapi import Response

    from darkroom.cli.server_commands import _prepare_database, configure_logging
    from darkroom.queue.embedded import EmbeddedPool
    from darkroom.runtime import Runtime
    from darkroom.server.app import create_app
    from darkroom.server.presenters import image_project
    from darkroom.settings import Settings

    configure_logging("warning")
    runtime = Runtime(Settings(data_dir=Path(data_dir), workers=1))
    _prepare_database(runtime)
    app = create_app(runtime=runtime)
    cached: dict[str, bytes] = {}

    @app.get("/bench/bare/{project_id}")
    async def bare(project_id: str) -> Response:
        if project_id not in cached:
            project = _find(runtime, project_id)
            cached[project_id] = image_project(project, runtime, f"http://127.0.0.1:{port}").model_dump_json().encode()
        return Response(cached[project_id], media_type="application/json")

    pool = EmbeddedPool(runtime, slots=1)
    pool.start()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    pool.stop()


def _find(runtime, project_id: str):
    from darkroom.store.models import Project

    with runtime.db.read() as session:
        return session.get(Project, project_id)


async def load(url: str, headers: dict, concurrency: int, seconds: float) -> list[float]:
    """Send GETs from `concurrency` clients for `seconds`; return every latency in seconds."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30.0) as client:

        async def one_client() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} returned {response.status_code}: {response.text}")

        await asyncio.gather(*(one_client() for _ in range(concurrency)))
    return latencies


def measure(url: str, headers: dict, concurrency: int, seconds: float) -> dict:
    """Return req/s, p50 and p99 for one endpoint: with wrk when it is installed, else with httpx."""
    if shutil.which("wrk"):
        return measure_with_wrk(url, headers, concurrency, seconds)
    return summarize(asyncio.run(load(url, headers, concurrency, seconds)), seconds)


def measure_with_wrk(url: str, headers: dict, concurrency: int, seconds: float) -> dict:
    # wrk (C, one thread) leaves the other cores to the server; a Python client would compete for them.
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:g}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"{url} returned errors under load:\n{output}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _wrk_milliseconds(re.search(r"\s50%\s+([\d.]+\w+)", output).group(1)),
        "p99_ms": _wrk_milliseconds(re.search(r"\s99%\s+([\d.]+\w+)", output).group(1)),
    }


def _wrk_milliseconds(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def summarize(latencies: list[float], seconds: float) -> dict:
    ordered = sorted(latencies)
    return {
        "rps": len(ordered) / seconds,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each measurement")
    parser.add_argument("--concurrency", default="1,16,64", help="comma-separated client counts")
    parser.add_argument("--serve", nargs=2, metavar=("DATA_DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return

    with tempfile.TemporaryDirectory(prefix="darkroom-bench-") as data_dir:
        port = free_port()
        log = open(Path(data_dir) / "server.log", "w")
        process = subprocess.Popen([sys.executable, __file__, "--serve", data_dir, str(port)], stdout=log, stderr=log)
        try:
            run_benchmark(f"http://127.0.0.1:{port}", data_dir, args)
        finally:
            process.terminate()
            process.wait(timeout=30)


def run_benchmark(base_url: str, data_dir: str, args) -> None:
    _wait_for_server(base_url)
    api_key = _read_key(Path(data_dir) / "server.log")
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        file_path = upload(client, OBAMA)
        created = client.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2})
        project_id = wait_for_status(client, created.json()["id"])["id"]

    generator = "wrk" if shutil.which("wrk") else "httpx (install wrk for figures less bound by the client)"
    print(f"GET /v1/image-projects/{{id}} vs bare endpoint, {args.seconds:g} s each, one server process; "
          f"load from {generator}")
    print(f"{'clients':>7}  {'endpoint':<8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  {'real/bare req/s':>15}")
    for concurrency in (int(n) for n in args.concurrency.split(",")):
        results = {}
        for name, path in (("bare", f"/bench/bare/{project_id}"), ("real", f"/v1/image-projects/{project_id}")):
            results[name] = measure(base_url + path, headers, concurrency, args.seconds)
        for name in ("bare", "real"):
            row = results[name]
            ratio = f"{results['real']['rps'] / results['bare']['rps']:.2f}" if name == "real" else ""
            print(f"{concurrency:>7}  {name:<8} {row['rps']:>8.0f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f}  {ratio:>15}")


def _wait_for_server(base_url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"the benchmark server did not respond within {timeout_s} s")


def _read_key(log_path: Path) -> str:
    match = re.search(r"API key \(shown once, keep it\): (\S+)", log_path.read_text())
    if match is None:
        raise RuntimeError(f"no API key in the server log:\n{log_path.read_text()}")
    return match.group(1)


if __name__ == "__main__":
    main()
