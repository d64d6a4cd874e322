"""Ingest throughput: seconds of video validated, probed, thumbnailed and shot-segmented per wall second.

Generates 720p test videos (scene cuts every 5 s, speech-free), then times the engine
stages the foundation runs for every upload: `probe` (open + decode head and tail) and
the decode pass that detects shots and writes thumbnails. Prints per-video numbers and
the overall throughput. Usage: `python bench/ingest_speed.py [--videos 4] [--seconds 60]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engines.local.media import ShotDetector, ThumbnailPicker, hsv_histogram, iter_samples, probe  # noqa: E402
from library.synthetic import Scene, make_video  # noqa: E402

BACKGROUNDS = ["testsrc2", "color=c=red", "mandelbrot", "color=c=beige", "testsrc", "color=c=navy"]


def ingest(path: Path) -> tuple[float, int, int, float]:
    """(duration, shots, thumbnails, wall seconds) of validating and segmenting one file."""
    started = time.perf_counter()
    media = probe(str(path))
    detector = ShotDetector()
    picker = ThumbnailPicker()
    for sample in iter_samples(str(path), fps=1.0):
        picker.add(sample, is_cut=detector.add(sample.time, hsv_histogram(sample.frame)))
    shots = detector.shots(media.duration)
    return media.duration, len(shots), len(picker.thumbnails()), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for n in range(args.videos):
            scenes = [Scene(5.0, BACKGROUNDS[(n + i) % len(BACKGROUNDS)]) for i in range(int(args.seconds // 5))]
            paths.append(make_video(Path(folder) / f"v{n}.mp4", scenes=scenes, size=(1280, 720), audio=False).path)
        total_video = total_wall = 0.0
        print(f"{'video':8} {'duration s':>10} {'shots':>6} {'thumbs':>6} {'wall s':>7} {'x realtime':>10}")
        for path in paths:
            duration, shots, thumbs, wall = ingest(path)
            total_video += duration
            total_wall += wall
            print(f"{path.name:8} {duration:10.1f} {shots:6d} {thumbs:6d} {wall:7.2f} {duration / wall:10.1f}")
        print(
            f"\nIngest throughput: {total_video / total_wall:.1f} s of 720p video per wall second "
            f"({total_video:.0f} s in {total_wall:.2f} s, 1 process on this machine)"
        )


if __name__ == "__main__":
    main()
