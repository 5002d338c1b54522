"""Loading of operator-provided model files, once per render process, with failures as `RenderError`.

A render process serves many projects, so a loaded model stays in `RenderContext.cache`. A load that
fails is not cached: the project ends in `error` with a message that names the file and the cause,
and the next project tries again (the operator may have fixed the file in between).
"""

import logging
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from darkroom.renderers.base import RenderContext, RenderError

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ModelLoadError(Exception):
    """A model file that exists but cannot be used; the message gives the reason."""


def cached_model(ctx: RenderContext, kind: str, path: Path, setting: str, load: Callable[[Path], T]) -> T:
    """Return the model of `kind` loaded from `path`, loading it on the first call in this process.

    `kind` names the model in messages ("upscaler model"); `setting` is the variable that points at it.
    """
    key = f"{kind}:{path}"
    if key in ctx.cache:
        return ctx.cache[key]
    if not path.exists():
        raise RenderError("unknown_error", f"the {kind} {path} does not exist; check {setting}")
    started = time.monotonic()
    try:
        model = load(path)
    except ModelLoadError as error:
        raise RenderError("unknown_error", f"the {kind} {path} cannot be used: {error}") from error
    except Exception as error:
        raise RenderError("unknown_error", describe_load_failure(kind, path, error)) from error
    logger.info("loaded the %s from %s in %.2f s", kind, path, time.monotonic() - started)
    ctx.cache[key] = model
    return model


def describe_load_failure(kind: str, path: Path, error: BaseException) -> str:
    if is_out_of_memory(error):
        release_gpu_memory()
        return f"the {kind} {path} did not fit in memory while loading; use a smaller model or a larger GPU"
    return f"the {kind} {path} could not be loaded: {type(error).__name__}: {error}"


def is_out_of_memory(error: BaseException) -> bool:
    if isinstance(error, MemoryError):
        return True
    torch = _torch_if_imported()
    return torch is not None and isinstance(error, torch.cuda.OutOfMemoryError)


def release_gpu_memory() -> None:
    """Return cached CUDA blocks to the driver, so that the next project starts from a clean state."""
    torch = _torch_if_imported()
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def torch_device_and_dtype() -> tuple[Any, Any]:
    """Return the device and dtype to run networks in: CUDA with float16 when a GPU is present, else CPU float32."""
    import torch

    if torch.cuda.is_available():
        return torch.device("cuda"), torch.float16
    return torch.device("cpu"), torch.float32


def _torch_if_imported():
    # Renderers that never loaded torch must not pay for importing it just to classify an error.
    return sys.modules.get("torch")


@contextmanager
def out_of_memory_as_render_error(what: str):
    """Turn running out of memory inside the block into a `RenderError` that suggests a smaller input."""
    try:
        yield
    except Exception as error:
        if not is_out_of_memory(error):
            raise
        release_gpu_memory()
        raise RenderError("unknown_error", f"{what} ran out of memory; try a smaller image") from error
