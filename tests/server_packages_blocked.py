"""Run Python with the server's packages made unimportable, as on a machine with only the base install.

`python tests/server_packages_blocked.py -m darkroom ARGS` or `... SCRIPT ARGS` installs a meta
path finder that raises ModuleNotFoundError for every package of the `server`, `gpu` and
`distributed` extras, then runs the module or script as `python -m MODULE` or `python SCRIPT` would.
"""

import importlib.abc
import runpy
import sys

BLOCKED = frozenset(
    {
        "fastapi",
        "starlette",
        "uvicorn",
        "pydantic_settings",
        "sqlalchemy",
        "alembic",
        "numpy",
        "PIL",
        "pillow_heif",
        "cv2",
        "dlib",
        "face_recognition_models",
        "pymatting",
        "rembg",
        "onnxruntime",
        "torch",
        "torchvision",
        "diffusers",
        "transformers",
        "accelerate",
        "safetensors",
        "spandrel",
        "celery",
        "redis",
        "psycopg",
        "boto3",
        "botocore",
        "skimage",
        "scipy",
    }
)


class BlockServerPackages(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(
                f"{fullname} is blocked: it belongs to the server install", name=fullname
            )


def main() -> None:
    sys.meta_path.insert(0, BlockServerPackages())
    if len(sys.argv) >= 3 and sys.argv[1] == "-m":
        module, *arguments = sys.argv[2:]
        sys.argv = [module, *arguments]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    elif len(sys.argv) >= 2:
        sys.argv = sys.argv[1:]
        runpy.run_path(sys.argv[0], run_name="__main__")
    else:
        raise SystemExit(f"usage: {sys.argv[0]} -m MODULE [ARGS] | SCRIPT [ARGS]")


if __name__ == "__main__":
    main()
