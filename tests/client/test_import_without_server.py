"""The SDK must import with only its base dependencies: httpx, pydantic and `darkroom.wire`."""

import subprocess
import sys

from support import REPO_ROOT

BLOCKER = REPO_ROOT / "tests" / "server_packages_blocked.py"

CHECK = """
import sys

try:
    import fastapi
except ModuleNotFoundError:
    pass
else:
    raise SystemExit("the blocker let fastapi through")

import darkroom.client
from darkroom.client import ApiError, AsyncClient, Client

client = Client(token="dk_x", base_url="http://127.0.0.1:9")
client.close()
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(" ".join(loaded))
"""


def test_sdk_imports_without_server_packages(tmp_path):
    script = tmp_path / "import_sdk.py"
    script.write_text(CHECK)

    ran = subprocess.run(
        [sys.executable, str(BLOCKER), str(script)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=REPO_ROOT,
    )

    assert ran.returncode == 0, ran.stderr
    loaded = set(ran.stdout.split())
    assert {"darkroom", "httpx", "pydantic"} <= loaded
    assert not loaded & {"fastapi", "sqlalchemy", "PIL", "numpy", "cv2", "torch", "typer"}


def test_sdk_modules_import_only_wire_of_darkroom():
    code = (
        "import sys, darkroom.client\n"
        "print(' '.join(sorted(name for name in sys.modules if name.startswith('darkroom'))))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60, cwd=REPO_ROOT
    )

    assert ran.returncode == 0, ran.stderr
    outside = [
        name
        for name in ran.stdout.split()
        if not name.startswith(("darkroom.client", "darkroom.wire")) and name != "darkroom"
    ]
    assert outside == []
