"""Finding the render processes that a test server started, to kill them the way the OS would."""

import time

import psutil


def render_processes(server_pid: int) -> list[psutil.Process]:
    """Return the render child processes below a server: those started by multiprocessing spawn."""
    try:
        children = psutil.Process(server_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def wait_for_render_process(server_pid: int, timeout_s: float = 30.0) -> psutil.Process:
    """Return the render process below a server once there is exactly one."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = render_processes(server_pid)
        if len(found) == 1:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no single render process below {server_pid} after {timeout_s} s")


def wait_until_gone(process: psutil.Process, timeout_s: float = 10.0) -> float:
    """Wait for a process to exit; return how long that took, in seconds."""
    started = time.monotonic()
    try:
        process.wait(timeout=timeout_s)
    except psutil.TimeoutExpired:
        raise AssertionError(f"process {process.pid} still runs after {timeout_s} s") from None
    return time.monotonic() - started
