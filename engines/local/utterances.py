"""Search cells that follow what was said: one cell per utterance, the fixed grid elsewhere.

The fixed 4-second grid (segments.grid) cuts speech wherever the clock says, so one
cell's text can end one announcement and start the next, and a query about either
scores a mixture. Here the recogniser's segments, split again at pauses between
words, become cells of their own: a query is then scored against each utterance and
the clip returned is the utterance that was meant. Stretches without speech keep the
fixed grid (for on-screen text and pictures), and no cell straddles a shot cut, so an
utterance that runs over a cut is cut there too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engines.base import Shot, TranscriptLine, Word
from engines.local.segments import Cell


@dataclass(frozen=True)
class Utterance:
    start: float
    end: float


def _split_long(words: list[Word], max_seconds: float) -> list[list[Word]]:
    """Cut a run of words longer than `max_seconds` at its longest pause, recursively."""
    if len(words) < 2 or words[-1].end - words[0].start <= max_seconds:
        return [words]
    cut = max(range(1, len(words)), key=lambda i: words[i].start - words[i - 1].end)
    return _split_long(words[:cut], max_seconds) + _split_long(words[cut:], max_seconds)


def utterances(
    transcript: Sequence[TranscriptLine], *, pause: float = 0.6, max_seconds: float = 12.0
) -> list[Utterance]:
    """The recogniser's segments, split where the speaker paused at least `pause` seconds."""
    found: list[Utterance] = []
    for line in transcript:
        if not line.words:
            found.append(Utterance(line.start, line.end))
            continue
        run: list[Word] = []
        runs: list[list[Word]] = []
        for word in line.words:
            if run and word.start - run[-1].end >= pause:
                runs.append(run)
                run = []
            run.append(word)
        runs.append(run)
        for part in (piece for run in runs for piece in _split_long(run, max_seconds)):
            found.append(Utterance(part[0].start, max(part[-1].end, part[0].start + 0.05)))
    found.sort(key=lambda u: u.start)
    return found


def _fill(cells: list[Cell], start: float, end: float, *, seconds: float, min_seconds: float) -> None:
    """Lay the fixed grid on [start, end): `seconds` cells, a short remainder joins the last."""
    t = start
    while t < end - 1e-9:
        cell_end = min(t + seconds, end)
        if end - cell_end < min_seconds:
            cell_end = end
        cells.append(Cell(round(t, 3), round(cell_end, 3)))
        t = cell_end


def utterance_grid(
    shots: Sequence[Shot],
    duration: float,
    transcript: Sequence[TranscriptLine],
    *,
    seconds: float,
    min_seconds: float = 1.0,
    pause: float = 0.6,
) -> list[Cell]:
    """Cells covering [0, duration] without gaps: utterances, and the fixed grid between them.

    A silence shorter than `min_seconds` between two utterances (or an utterance and a
    cut) is given to the utterance cell rather than becoming a sliver of its own.
    """
    spoken = utterances(transcript, pause=pause)
    bounds = [(shot.start, shot.end) for shot in shots] or [(0.0, duration)]
    cells: list[Cell] = []
    for index, (_, shot_end) in enumerate(bounds):
        shot_start = cells[-1].end if cells else 0.0  # shots are contiguous; rounding gaps close here
        shot_end = duration if index == len(bounds) - 1 else shot_end
        t = shot_start
        for utterance in spoken:
            start, end = max(utterance.start, t), min(utterance.end, shot_end)
            if end - start <= 1e-3:
                continue
            if start - t >= min_seconds:
                _fill(cells, t, start, seconds=seconds, min_seconds=min_seconds)
                t = start
            cells.append(Cell(round(t, 3), round(end, 3)))
            t = cells[-1].end
        if shot_end - t >= min_seconds or not cells or cells[-1].end <= shot_start:
            _fill(cells, t, shot_end, seconds=seconds, min_seconds=min_seconds)
        elif shot_end > t:
            last = cells.pop()
            cells.append(Cell(last.start, round(shot_end, 3)))
    return [cell for cell in cells if cell.end > cell.start]
