"""How fast the local engine indexes a 2-minute (or `--minutes`) 720p video, with every option on.

    python bench/index_speed.py [--runs 3] [--no-dense] [--workdir DIR] [--visual concepts|clip] [--minutes 10]

Builds the video of offline-models.md §2 (8 scenes of 15 s: drawtext captions, one
espeak-ng sentence pair per scene, pink noise), and a "continuous speech" variant
whose scenes are filled with speech; `--minutes` repeats the 8 scenes to that length.
The visual model is the default concept classifier (EfficientNet-Lite0, real weights),
or with `--visual clip` a randomly initialised CLIP of the ViT-B/32 shape (no CLIP
weights exist offline: the speed is real, the vectors are not). Models are loaded, and
a short clip analysed once, before the clock starts, as in a worker that has already
indexed a video. Prints figures; it is not a test.
Targets: wall <= 0.08 x duration (stretch 0.05 x), peak memory <= 2 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engines.base import ENGINE_OPTIONS  # noqa: E402
from engines.local.engine import LocalEngine, LocalEngineConfig  # noqa: E402
from tests.videos import OnScreenText, Scene, make_video  # noqa: E402

STAGES = ("decode", "ocr", "visual", "speech", "speech_wait", "embed", "total")

# (background, captions, first caption's second line appears 4 s in, speech)
SCENES: list[tuple[str, tuple[str, ...], str]] = [
    ("testsrc2", ("study abroad paris",),
     "Show me what it looks like to study abroad in Paris. Our students live in the heart of the city."),
    ("color=c=red", ("SALE 50% OFF", "this weekend only"),
     "Everything in the store is half price this weekend. Come early for the best deals."),
    ("gradients=seed=3:speed=0.02", ("ADIDAS ORIGINALS", "Like a Girl"),
     "Show me what it looks like to throw like a girl. She threw the ball as hard as she could."),
    ("color=c=beige", ("Cooking Pasta Recipe", "Barilla Spaghetti"),
     "Today we are cooking pasta with tomato sauce. Boil the water and add a pinch of salt."),
    ("mandelbrot", ("BREAKING NEWS", "Weather Update: heavy rain"),
     "Heavy rain is expected across the region tonight. Drivers should take extra care on the roads."),
    ("color=c=0x202020", ("Subscribe for more videos",),
     "Thanks for watching this video. Please subscribe and ring the bell for more."),
    ("testsrc", ("NIKE AIR MAX", "FREE SHIPPING WORLDWIDE"),
     "These running shoes are light and comfortable. Order today and get free shipping."),
    ("gradients=seed=11:speed=0.03", ("Learn Python in 10 minutes",),
     "In this lesson you will learn the basics of Python programming. Let us write our first function."),
]  # fmt: skip


def scenes(*, dense: bool, minutes: float = 2.0) -> list[Scene]:
    built = []
    count = max(1, round(minutes * 60 / 15))
    for index, (background, captions, speech) in ((i, SCENES[i % len(SCENES)]) for i in range(count)):
        texts = [OnScreenText(captions[0], y=0.25, size=0.1 if index % 2 else 0.16)]
        if len(captions) > 1:
            texts.append(OnScreenText(captions[1], start=4.0, y=0.65, size=0.055))
        if dense:
            # About 12 s of speech at 150 words per minute: this scene's sentences, then the
            # next scenes'. Not one sentence repeated: whisper takes repeats for a decoding
            # loop and re-decodes at higher temperatures, which no real talk would cause.
            following = " ".join(SCENES[(index + k) % len(SCENES)][2] for k in range(3))
            speech = " ".join(following.split()[:30])
        built.append(Scene(15.0, background, texts=tuple(texts), speech=speech, speech_at=0.3 if dense else 1.5))
    repeats = max(1, round(minutes * 60 / (15.0 * len(built))))
    return built * repeats


def save_clip(folder: Path) -> None:
    """Write the random ViT-B/32 CLIP in a subprocess, so building it does not count toward
    this process's peak memory."""
    code = (
        "import sys; from pathlib import Path; from tests.engines.clip_factory import save_random_clip; "
        "save_random_clip(Path(sys.argv[1]), tiny=False)"
    )
    subprocess.run([sys.executable, "-c", code, str(folder)], check=True, cwd=ROOT)


def child_peak_mib(pid: int | None) -> float:
    """The speech child's peak resident memory (VmHWM), which getrusage cannot see while it runs."""
    if pid is None:
        return 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int | None) -> tuple[float, float]:
    """(this process, the speech child) user+system CPU seconds so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    child = 0.0
    if pid is not None:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        child = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return usage.ru_utime + usage.ru_stime, child


def run(engine: LocalEngine, path: Path, runs: int, label: str, language: str = "") -> None:
    options = frozenset(ENGINE_OPTIONS)
    probe = engine.probe(str(path))
    results = []
    cpu: list[tuple[float, float]] = []
    for _ in range(runs):
        print(f"  load average before the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
        before = cpu_seconds(engine.speech_pid)
        results.append(
            engine.analyze(
                str(path), probe=probe, options=options, thumbnails=True, progress=lambda s, f: None, language=language
            )  # fmt: skip
        )
        after = cpu_seconds(engine.speech_pid)
        cpu.append((after[0] - before[0], after[1] - before[1]))
    print(f"\n== {label}: {probe.duration:.0f} s, {probe.width}x{probe.height}, {runs} run(s), medians in seconds")
    for stage in STAGES:
        values = [r.timings.get(stage, 0.0) for r in results]
        print(f"  {stage:<12} {statistics.median(values):7.2f}   (runs: {', '.join(f'{v:.2f}' for v in values)})")
    wall = statistics.median(r.timings["total"] for r in results)
    print(f"  realtime factor {wall / probe.duration:.3f}  (target 0.08, stretch 0.05)")
    worker_cpu = statistics.median(c[0] for c in cpu)
    speech_cpu = statistics.median(c[1] for c in cpu)
    print(f"  CPU seconds: worker {worker_cpu:.2f} + speech child {speech_cpu:.2f} on {os.cpu_count()} cores")
    last = results[-1]
    words = sum(len(line.words) for line in last.transcript)
    print(f"  speech: language {last.language!r}, {last.versions.get('asr')}")
    print(f"  found: {words} words, {len(last.texts)} text spans, logos {sorted({s.value for s in last.logos})}, "
          f"{len(last.shots)} shots, {len(last.segments)} segments, {len(last.concepts)} concept spans "
          f"({last.versions.get('visual')})")  # fmt: skip
    print(f"  load average: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-dense", action="store_true", help="skip the continuous-speech variant")
    parser.add_argument("--workdir", type=Path, help="keep generated videos and the model here (reused)")
    parser.add_argument("--torch-threads", type=int, default=LocalEngineConfig.torch_threads)
    parser.add_argument("--visual", choices=("concepts", "clip"), default="concepts")
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--language", default="", help="the upload's language ('' detects it)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="framewise-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        suffix = "" if args.minutes == 2.0 else f"-{args.minutes:g}min"
        videos = {"sparse speech": (work / f"bench{suffix}.mp4", False)}
        if not args.no_dense:
            videos["continuous speech"] = (work / f"bench-dense{suffix}.mp4", True)
        for path, dense in videos.values():
            if not path.exists():
                make_video(path, scenes=scenes(dense=dense, minutes=args.minutes), size=(1280, 720), fps=30, noise=0.01)
        warm_clip = work / "warm.mp4"
        if not warm_clip.exists():
            make_video(warm_clip, scenes=scenes(dense=False)[3:4], size=(1280, 720), fps=30)
        clip = work / "clip-vit-b32-random"
        if args.visual == "clip" and not (clip / "config.json").exists():
            save_clip(clip)
        clip_model = str(clip) if args.visual == "clip" else ""
        engine = LocalEngine(LocalEngineConfig(clip_model=clip_model, torch_threads=args.torch_threads))
        engine.warm_up(frozenset(ENGINE_OPTIONS))
        probe = engine.probe(str(warm_clip))
        engine.analyze(str(warm_clip), probe=probe, options=frozenset(ENGINE_OPTIONS), thumbnails=True,
                       progress=lambda s, f: None)  # fmt: skip
        for label, (path, _dense) in videos.items():
            run(engine, path, args.runs, label, args.language)

        main_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        speech_mib = child_peak_mib(engine.speech_pid)
        engine.close()
        print(f"\npeak RSS: worker {main_mib:.0f} MiB + speech child {speech_mib:.0f} MiB "
              f"= {main_mib + speech_mib:.0f} MiB (target 2048)")  # fmt: skip


if __name__ == "__main__":
    main()
