"""Time the face renderers on the test photos: detection, face swap, and the share of a swap spent
in detection and landmarks.

Run from the repository root, beside ../shared/testdata:

    PYTHONPATH=src python bench/faces.py [--repeat N]

It calls the renderers directly in this process (no server, no queue), with the models loaded
before timing starts, and prints the median of N runs of each step in wall-clock and CPU seconds.
"""

import argparse
import statistics
import time
from pathlib import Path

from PIL import Image

from darkroom.renderers import face_swap
from darkroom.renderers.base import ModelPaths, RenderContext
from darkroom.renderers.faces import detect_faces, detect_largest_face, face_models, rgb_array
from darkroom.wire.faces import FaceSwapPhotoRequest

FACES = Path(__file__).resolve().parent.parent.parent / "shared" / "testdata" / "faces"
SWAPS = [("biden.jpg", "obama.jpg"), ("obama.jpg", "biden.jpg")]


def median_seconds(step, repeat: int) -> tuple[float, float]:
    """Return the median wall-clock and CPU seconds of `repeat` runs of `step`.

    CPU seconds change less than wall-clock ones when other processes share the machine.
    """
    wall, cpu = [], []
    for _ in range(repeat):
        wall_started, cpu_started = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - wall_started)
        cpu.append(time.process_time() - cpu_started)
    return statistics.median(wall), statistics.median(cpu)


def detection_and_landmarks(models, source, target) -> None:
    """Do the part of a swap that finds the faces: both detections and both sets of landmarks."""
    models.landmarks(source, detect_largest_face(source))
    for face in detect_faces(target):
        models.landmarks(target, face)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each step; the median is printed")
    repeat = parser.parse_args().repeat

    photos = {path.name: Image.open(path).convert("RGB") for path in sorted(FACES.glob("*.jpg"))}
    context = RenderContext(models=ModelPaths())
    models = face_models(context)
    load_started = time.perf_counter()
    first = rgb_array(photos["obama.jpg"])
    models.landmarks(first, detect_faces(first)[0])
    print(f"68-point landmark model load and first use: {time.perf_counter() - load_started:.2f} s")

    print("\nseconds per detection (HOG detector, 1x upsampling up to 2.5 megapixels): wall-clock (CPU)")
    for name, image in photos.items():
        pixels = rgb_array(image)
        wall, cpu = median_seconds(lambda: detect_faces(pixels), repeat)
        print(f"  {name:10} {image.width}x{image.height}  {wall:.3f} s ({cpu:.3f} s)")

    print("\nseconds per face swap (all-faces), and the share spent in detection and landmarks")
    request = FaceSwapPhotoRequest.model_validate({"assets": {"source_file_path": "s", "target_file_path": "t"}})
    for source_name, target_name in SWAPS:
        inputs = {face_swap.SOURCE: photos[source_name], face_swap.TARGET: photos[target_name]}
        swap_wall, swap_cpu = median_seconds(lambda: face_swap.render(inputs, request, context), repeat)
        source, target = rgb_array(photos[source_name]), rgb_array(photos[target_name])
        finding_wall, finding_cpu = median_seconds(lambda: detection_and_landmarks(models, source, target), repeat)
        print(f"  {source_name} onto {target_name}: {swap_wall:.3f} s ({swap_cpu:.3f} s); detection and landmarks "
              f"{finding_wall:.3f} s ({finding_cpu:.3f} s), {finding_wall / swap_wall:.0%} of the swap "
              f"({finding_cpu / swap_cpu:.0%} of its CPU time)")

if __name__ == "__main__":
    main()
