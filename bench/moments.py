"""Moment retrieval on a long programme of short announcements: utterance cells vs the fixed grid.

    python bench/moments.py [--workdir DIR]

Builds a programme of 30 short spoken announcements (espeak-ng, 1.5 s apart, a shot cut
every 5 announcements), indexes it with the local engine twice (search cells following
utterances, then the fixed 4-s grid) and asks one paraphrase per announcement. Each
query is scored against every cell's conversation vector as search does; the best cell,
trimmed to the words spoken in it (as search clips are), is compared with the time
the announcement was spoken: IoU, and how often IoU >= 0.5 (the right moment). Prints
figures; not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engines.base import CONVERSATION  # noqa: E402
from engines.local.engine import LocalEngine, LocalEngineConfig  # noqa: E402
from library.synthetic import Scene, make_video  # noqa: E402

# (announcement, a paraphrase a viewer might search for)
ANNOUNCEMENTS = [
    ("The train to Boston is delayed by twenty minutes.", "late departure to Boston"),
    ("Gate twelve is now closed.", "boarding door twelve shut"),
    ("Lost children can be collected at the information desk.", "where to pick up a missing kid"),
    ("The pool will close early today for cleaning.", "swimming pool shutting ahead of time"),
    ("Please do not leave your luggage unattended.", "keep an eye on your bags"),
    ("The cafeteria now serves hot breakfast.", "warm morning meal available in the canteen"),
    ("Flight two forty to Madrid is boarding now.", "plane to Spain ready for passengers"),
    ("The museum shop offers ten percent off all books.", "discount on books in the gift store"),
    ("Parking level three is full.", "no more spaces on the third floor of the car park"),
    ("A blue umbrella was found near the entrance.", "someone lost a rain umbrella by the door"),
    ("The concert will start fifteen minutes late.", "music show begins after a delay"),
    ("Smoking is not allowed anywhere in the building.", "no cigarettes indoors"),
    ("The elevator on the east side is out of order.", "broken lift"),
    ("Free water is available at the first aid tent.", "drinks for free at the medical station"),
    ("The last bus to the city leaves at midnight.", "final coach into town at twelve"),
    ("Visitors must wear a helmet on the construction site.", "hard hats required at the building works"),
    ("The library will be closed on Monday.", "books room shut at the start of the week"),
    ("Please switch off your mobile phones.", "turn your cell off"),
    ("The red car in the front row has its lights on.", "vehicle headlights left on"),
    ("Tickets for the evening show are sold out.", "no seats left for tonight's performance"),
    ("The ferry crossing is cancelled because of strong wind.", "boat trip called off due to a storm"),
    ("A doctor is requested at platform four.", "medical help needed on the platform"),
    ("The bakery has fresh bread until noon.", "new loaves in the morning"),
    ("Dogs must be kept on a lead in the park.", "leash your pets"),
    ("The fire alarm test will take place at ten.", "practice siren this morning"),
    ("Taxis are waiting outside the north exit.", "cabs by the northern door"),
    ("The spring sale ends this Sunday.", "discounts finish at the weekend"),
    ("Cyclists should use the lane on the left.", "bike riders keep to the left path"),
    ("The garden tour meets by the fountain.", "walk through the flowers starts at the water feature"),
    ("Thank you for travelling with us today.", "appreciation for riding with the company"),
]
PER_SHOT = 5
GAP = 1.5


def programme(path: Path) -> list[tuple[float, float]]:
    scenes, backgrounds = [], ["testsrc2", "color=c=navy", "mandelbrot", "color=c=darkgreen", "smptebars", "rgbtestsrc"]
    from library.synthetic import speak

    with tempfile.TemporaryDirectory() as tmp:
        lengths = [speak(text, Path(tmp) / f"{i}.wav") for i, (text, _) in enumerate(ANNOUNCEMENTS)]
    truth = []
    t = 0.0
    for shot in range(0, len(ANNOUNCEMENTS), PER_SHOT):
        # One scene per announcement keeps make_video simple; cuts only every PER_SHOT, by colour.
        for i in range(shot, min(shot + PER_SHOT, len(ANNOUNCEMENTS))):
            duration = round(lengths[i] + GAP, 2)
            scenes.append(Scene(duration, backgrounds[shot // PER_SHOT % len(backgrounds)],
                                speech=ANNOUNCEMENTS[i][0], speech_at=0.5))  # fmt: skip
            truth.append((t + 0.5, t + 0.5 + lengths[i]))
            t += duration
    make_video(path, scenes=scenes, size=(640, 360))
    return truth


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="framewise-moments-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "announcements.mp4"
    truth = programme(path)
    print(f"load: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {len(truth)} announcements, {truth[-1][1]:.0f} s")
    for label, utterance_segments in (("utterance cells", True), ("fixed 4-s grid", False)):
        engine = LocalEngine(LocalEngineConfig(utterance_segments=utterance_segments, whisper_language="en"))
        analysis = engine.analyze(str(path), probe=engine.probe(str(path)), options=frozenset({CONVERSATION}),
                                  thumbnails=False, progress=lambda s, f: None)  # fmt: skip
        cells = [s for s in analysis.segments if s.conversation_vector is not None]
        matrix = np.stack([s.conversation_vector for s in cells])
        words = [w for line in analysis.transcript for w in line.words]
        queries = engine.embed_texts([paraphrase for _, paraphrase in ANNOUNCEMENTS])
        overlaps = []
        for number, query in enumerate(queries):
            best = cells[int(np.argmax(matrix @ query))]
            inside = [w for w in words if best.start <= (w.start + w.end) / 2 < best.end]
            clip = (inside[0].start, inside[-1].end) if inside else (best.start, best.end)
            overlaps.append(iou(clip, truth[number]))
        right = sum(value >= 0.5 for value in overlaps)
        touched = sum(v > 0 for v in overlaps)
        print(f"  {label:16s}: {len(cells)} spoken cells; right moment (IoU >= 0.5) {right}/{len(overlaps)}, "
              f"mean IoU {np.mean(overlaps):.2f}, any overlap {touched}/{len(overlaps)}")  # fmt: skip
        engine.close()
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
