"""Generate videos with known content at known times, and return the truth.

A video is a list of scenes. Each scene is an ffmpeg lavfi background ("color=c=red",
"testsrc2", "mandelbrot", ...) with optional drawtext captions and an optional
sentence spoken by espeak-ng. Scenes are concatenated with hard cuts, so every scene
start after the first is a shot cut. Tests assert on what an engine finds against the
returned `VideoTruth` rather than on model outputs; `make run` uses it for demo data.

    truth = make_video(tmp_path / "clip.mp4", scenes=[
        Scene(3.0, "color=c=navy", texts=(OnScreenText("NIKE AIR MAX"),)),
        Scene(4.0, "testsrc2", speech="The weather is sunny today."),
    ])

Needs ffmpeg (with libfreetype and fontconfig) and espeak-ng on PATH.
"""

from __future__ import annotations

import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

FONT = "DejaVu Sans"


@dataclass(frozen=True)
class OnScreenText:
    """A caption drawn on a scene. Times are relative to the scene's start."""

    text: str
    start: float = 0.0
    end: float | None = None  # None: until the scene ends
    x: float = 0.08  # left edge, fraction of the frame width
    y: float = 0.4  # top edge, fraction of the frame height
    size: float = 0.09  # font size, fraction of the frame height
    color: str = "white"
    box: bool = True  # a dark box behind the text keeps it readable on busy backgrounds


@dataclass(frozen=True)
class Scene:
    duration: float
    background: str = "color=c=black"  # any lavfi video source
    texts: tuple[OnScreenText, ...] = ()
    speech: str = ""  # spoken by espeak-ng (150 wpm)
    voice: str = "en-us"  # espeak-ng voice: "es", "fr-fr", "de", ...
    wpm: int = 150  # espeak-ng speed, words per minute
    speech_at: float = 0.5  # seconds into the scene
    # A still image (PNG, JPEG) to show instead of `background`: letterboxed to the frame,
    # with a slow zoom so the picture is not frozen (real footage never is).
    image: str = ""


@dataclass(frozen=True)
class TextTruth:
    text: str
    start: float
    end: float
    x: float
    y: float


@dataclass(frozen=True)
class SpeechTruth:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class VideoTruth:
    path: Path
    duration: float
    size: tuple[int, int]
    cuts: tuple[float, ...]  # scene starts after the first
    texts: tuple[TextTruth, ...]
    speech: tuple[SpeechTruth, ...]
    has_audio: bool


def speak(text: str, wav_path: Path, *, voice: str = "en-us", wpm: int = 150) -> float:
    """Write `text` spoken by espeak-ng to `wav_path`; return its duration in seconds."""
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(wav_path), text],
        check=True,
        capture_output=True,
    )
    with wave.open(str(wav_path), "rb") as handle:
        return handle.getnframes() / handle.getframerate()


def _source(background: str, size: tuple[int, int], fps: int) -> str:
    separator = ":" if "=" in background else "="
    return f"{background}{separator}size={size[0]}x{size[1]}:rate={fps}"


def _still(size: tuple[int, int], fps: int, duration: float) -> list[str]:
    """A photo fitted into the frame (letterboxed), zooming in by 8% over the scene."""
    width, height = size
    frames = max(1, round(duration * fps))
    return [
        f"scale={width}:{height}:force_original_aspect_ratio=decrease",
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2",
        "setsar=1",
        f"zoompan=z='1+0.08*on/{frames}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s={width}x{height}:fps={fps}",
    ]


def _drawtext(caption: OnScreenText, text_file: Path, scene_duration: float, height: int) -> str:
    # The caption goes through a file so that ':', '%', ',' and quotes need no escaping.
    end = scene_duration if caption.end is None else caption.end
    options = [
        f"font='{FONT}'",
        f"textfile='{text_file}'",
        "expansion=none",
        f"fontsize={max(8, round(caption.size * height))}",
        f"fontcolor={caption.color}",
        f"x=w*{caption.x:.4f}",
        f"y=h*{caption.y:.4f}",
        f"enable='between(t,{caption.start:.3f},{end:.3f})'",
    ]
    if caption.box:
        options += ["box=1", "boxcolor=black@0.6", "boxborderw=12"]
    return "drawtext=" + ":".join(options)


def make_video(
    path: str | Path,
    *,
    scenes: list[Scene],
    size: tuple[int, int] = (1280, 720),
    fps: int = 25,
    audio: bool = True,
    noise: float = 0.0,
) -> VideoTruth:
    """Render `scenes` to an H.264/AAC MP4 at `path` and return what is in it.

    audio=False writes no audio stream at all; audio=True with no speech writes a
    silent track (or pink noise of amplitude `noise`).
    """
    if not scenes:
        raise ValueError("A video needs at least one scene.")
    path = Path(path)
    starts: list[float] = []
    total = 0.0
    for scene in scenes:
        starts.append(total)
        total += scene.duration

    with tempfile.TemporaryDirectory(prefix="framewise-video-") as tmp:
        work = Path(tmp)
        inputs: list[str] = []
        filters: list[str] = []
        text_truth: list[TextTruth] = []
        for index, scene in enumerate(scenes):
            if scene.image:
                inputs += ["-loop", "1", "-framerate", str(fps), "-t", f"{scene.duration:.3f}", "-i", scene.image]
                chain = [*_still(size, fps, scene.duration), "format=yuv420p"]
            else:
                inputs += ["-f", "lavfi", "-t", f"{scene.duration:.3f}", "-i", _source(scene.background, size, fps)]
                chain = [f"fps={fps}", "format=yuv420p"]
            for number, caption in enumerate(scene.texts):
                text_file = work / f"text-{index}-{number}.txt"
                text_file.write_text(caption.text, encoding="utf-8")
                chain.append(_drawtext(caption, text_file, scene.duration, size[1]))
                end = scene.duration if caption.end is None else min(caption.end, scene.duration)
                text_truth.append(
                    TextTruth(
                        text=caption.text,
                        start=round(starts[index] + caption.start, 3),
                        end=round(starts[index] + end, 3),
                        x=caption.x,
                        y=caption.y,
                    )
                )
            filters.append(f"[{index}:v]{','.join(chain)}[v{index}]")
        labels = "".join(f"[v{index}]" for index in range(len(scenes)))
        filters.append(f"{labels}concat=n={len(scenes)}:v=1:a=0[vout]")
        maps = ["-map", "[vout]"]

        speech_truth: list[SpeechTruth] = []
        if audio:
            audio_index = len(scenes)
            base = (
                f"anoisesrc=color=pink:amplitude={noise}:sample_rate=22050:duration={total:.3f}"
                if noise > 0
                else f"anullsrc=channel_layout=mono:sample_rate=22050:duration={total:.3f}"
            )
            inputs += ["-f", "lavfi", "-i", base]
            mix = [f"[{audio_index}:a]"]
            for index, scene in enumerate(scenes):
                if not scene.speech:
                    continue
                wav = work / f"speech-{index}.wav"
                length = speak(scene.speech, wav, voice=scene.voice, wpm=scene.wpm)
                start = starts[index] + scene.speech_at
                speech_truth.append(SpeechTruth(scene.speech, round(start, 3), round(start + length, 3)))
                inputs += ["-i", str(wav)]
                label = f"s{index}"
                filters.append(f"[{audio_index + len(mix)}:a]aresample=22050,adelay={int(start * 1000)}:all=1[{label}]")
                mix.append(f"[{label}]")
            filters.append(f"{''.join(mix)}amix=inputs={len(mix)}:duration=first:normalize=0[aout]")
            maps += ["-map", "[aout]", "-c:a", "aac", "-b:a", "96k", "-ar", "44100"]

        command = [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            *inputs,
            "-filter_complex", ";".join(filters),
            *maps,
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", "250",
            "-pix_fmt", "yuv420p", "-t", f"{total:.3f}",
            str(path),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True)

    return VideoTruth(
        path=path,
        duration=total,
        size=size,
        cuts=tuple(round(s, 3) for s in starts[1:]),
        texts=tuple(text_truth),
        speech=tuple(speech_truth),
        has_audio=audio,
    )
