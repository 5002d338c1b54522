"""The render process: a child of a worker that decodes inputs, runs renderers and writes PNG files.

It lives across projects so that loaded models stay in memory, and it is killed and started again
when its project is canceled. It talks to its worker over a pipe with small tuples:
("progress", fraction), ("done", files), ("failed", code, message).
"""

import logging
import traceback
from pathlib import Path

from darkroom.renderers.base import RenderContext, RenderError
from darkroom.renderers.images import ImageLimits, encode_png, load
from darkroom.renderers.registry import get_tool

logger = logging.getLogger(__name__)


def serve_renders(connection, models, limits: ImageLimits) -> None:
    """Render jobs from `connection` until it sends None or closes."""
    cache: dict = {}
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        connection.send(_render_job(job, connection, models, limits, cache))


def _render_job(job: dict, connection, models, limits: ImageLimits, cache: dict) -> tuple:
    try:
        tool = get_tool(job["tool"])
        request = tool.request_model.model_validate(job["inputs"])
        images = {field: load(path, limits) for field, path in job["input_files"].items()}
        context = RenderContext(models=models, report_progress=lambda f: connection.send(("progress", f)), cache=cache)
        output = tool.load_renderer()(images, request, context)
        return ("done", _write_outputs(job, output))
    except RenderError as error:
        return ("failed", error.code, error.message)
    except MemoryError:
        return ("failed", "unknown_error", "the render ran out of memory; try a smaller image")
    except Exception as error:  # A renderer bug must end the project, not the render process.
        logger.error("render of project %s failed\n%s", job.get("project_id"), traceback.format_exc())
        return ("failed", "unknown_error", f"the render failed: {type(error).__name__}: {error}")


def _write_outputs(job: dict, output) -> dict:
    folder = Path(job["output_dir"])
    images = []
    for index, image in enumerate(output.images):
        path = folder / f"{job['project_id']}-{index}.png"
        path.write_bytes(encode_png(image))
        images.append(str(path))
    extra = {}
    for name, image in output.extra_files.items():
        path = folder / f"extra-{len(extra)}.png"
        path.write_bytes(encode_png(image))
        extra[name] = str(path)
    return {"images": images, "extra_files": extra, "result": output.result}
