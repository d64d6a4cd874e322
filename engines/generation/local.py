"""The offline generator: every sentence it returns was said or shown in the video.

Nothing is written from imagination. Titles, topics and hashtags are the keyphrases
that best match the video's centroid embedding (or a title it shows on screen);
summaries are its most representative sentences in time order; chapters start at
shot cuts or topic changes (chaptering.py); highlights are its most central moments;
open prompts are answered with the segments nearest to the prompt, quoted with their
times, or with a plain statement that nothing in the video is relevant.

Prompts steer what they can without a language model: length requests, which parts
to include, and content words that the video itself uses. Style instructions ("use
educational language") and creative forms need the `openai` provider; the answer
says so. Output is deterministic; `temperature` does not apply.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from engines.base import Segment
from engines.generation import chaptering, keyphrases, prompts, timeline
from engines.generation.base import Chapter, Gist, Highlight, VideoContext, word_pieces
from engines.generation.material import Embed, Material, MaterialCache, normalise, stem
from engines.generation.prompts import PromptRequest
from engines.generation.seen import dominant_concepts
from engines.generation.timeline import clock

LABEL = "local/1"
HASHTAGS = 6
TOPICS = 3
# How much a prompt's content words pull the selection towards themselves.
FOCUS_WEIGHT = 0.5
# Cosine (MiniLM) above which a segment answers a prompt; a segment that also shares a
# word with the prompt needs less. Unrelated sentences score about 0.0-0.15.
RELEVANT = 0.3
RELEVANT_WITH_SHARED_WORD = 0.15
ANSWER_SEGMENTS = 5
ANSWER_MARGIN = 0.12
# Prefer a title written on screen unless a keyphrase fits the video clearly better.
SCREEN_TITLE_MARGIN = 0.05
EMPTY_VIDEO = "The video has no speech or on-screen text to work from."


def _default_summary_length(count: int) -> int:
    return min(count, max(3, min(7, math.ceil(count / 4))))


def _words_in(text: str) -> set[str]:
    return {stem(word) for word in prompts.words(text)}


def _title_like(text: str) -> bool:
    return 1 <= len(text.split()) <= 10


class LocalGenerator:
    label = LABEL

    def __init__(self, embed: Embed) -> None:
        self._materials = MaterialCache(embed)

    # -- gist ------------------------------------------------------------------------------

    def gist(self, video: VideoContext, *, types: frozenset[str]) -> Gist:
        material = self._materials.get(video)
        return Gist(
            title=self._title(material, video) if "title" in types else None,
            topics=self._topics(material, video, TOPICS) if "topic" in types else None,
            hashtags=self._hashtags(material, HASHTAGS, video) if "hashtag" in types else None,
        )

    def _ranked_phrases(self, material: Material, count: int, *, single_words: bool = False) -> list[str]:
        if not material.candidates:
            return []
        allowed = [len(candidate.words) == 1 for candidate in material.candidates] if single_words else None
        order = keyphrases.rank(
            material.candidate_vectors,
            material.centroid,
            count=count,
            allowed=allowed,
            words=[candidate.words for candidate in material.candidates],
        )
        return [material.candidates[row].text for row in order]

    def _title(self, material: Material, video: VideoContext) -> str:
        """A title shown on screen, else the most central sentence as a clause, else keyphrases,
        else (nothing said or written) what the video dominantly shows."""
        if material.is_empty:
            shown = dominant_concepts(video, 2)
            if shown:
                return keyphrases.headline(" and ".join(shown))
            return "Untitled video (no speech or on-screen text)"
        centroid = material.centroid
        if material.sentences:
            # The most central sentence that names the video's most salient word, so the
            # title carries the subject ("pasta"), not just one step of it.
            keyword = stem(next(iter(self._ranked_phrases(material, 1, single_words=True)), ""))
            naming = [i for i, s in enumerate(material.sentences) if keyword in _words_in(s.text)]
            rows = naming or list(range(len(material.sentences)))
            central = rows[int(np.argmax(material.sentence_vectors[rows] @ centroid))]
            written = keyphrases.clause(material.sentences[central].text)
        else:
            written = " and ".join(self._ranked_phrases(material, 2)) or material.screen[0].text
        written_score = float(material.vectors([written])[0] @ centroid)
        title_rows = [i for i, item in enumerate(material.screen) if item.kind == "text" and _title_like(item.text)]
        if title_rows:
            scores = material.screen_vectors[title_rows] @ centroid
            best = int(np.argmax(scores))
            if float(scores[best]) >= written_score - SCREEN_TITLE_MARGIN:
                written = material.screen[title_rows[best]].text
        return keyphrases.headline(written)

    def _topics(self, material: Material, video: VideoContext, count: int) -> tuple[str, ...]:
        """Labels first, then what the video dominantly shows, then its keyphrases."""
        labels = [label.name for label in sorted(video.labels, key=lambda label: -label.score)]
        shown = [keyphrases.headline(name) for name in dominant_concepts(video, count)]
        if labels:
            # Labels lead; the most dominant concept keeps a place when there are enough slots.
            chosen = labels[: max(1, count - 1)] if shown and count > 1 else labels[:count]
            return tuple(dict.fromkeys([*chosen, *shown, *labels]))[:count]
        phrases = [keyphrases.headline(phrase) for phrase in self._ranked_phrases(material, count)]
        if not phrases:
            return tuple(shown)
        # Said and shown alternate, so neither crowds the other out.
        mixed = [item for pair in zip(phrases, shown, strict=False) for item in pair]
        longer = phrases[len(shown) :] if len(phrases) > len(shown) else shown[len(phrases) :]
        return tuple(dict.fromkeys([*mixed, *longer]))[:count]

    def _hashtags(self, material: Material, count: int, video: VideoContext | None = None) -> tuple[str, ...]:
        words = self._ranked_phrases(material, count, single_words=True)
        shown = dominant_concepts(video, max(1, count // 3)) if video is not None else []
        tags = (keyphrases.hashtag(word) for word in [*shown, *words])
        return tuple(dict.fromkeys(tag for tag in tags if tag))[: max(count, len(shown))]

    # -- summaries -------------------------------------------------------------------------

    def _focus(self, material: Material, request: PromptRequest) -> list[str]:
        """The prompt's content words that the video itself uses ("cheese"), if any."""
        vocabulary = material.vocabulary
        return [word for word in request.content_words if stem(word) in vocabulary]

    def _target(self, material: Material, request: PromptRequest) -> np.ndarray:
        """The centroid, pulled towards the prompt's focus words."""
        focus = self._focus(material, request)
        if not focus:
            return material.centroid
        return normalise(material.centroid + FOCUS_WEIGHT * material.vectors([" ".join(focus)])[0])

    def _focused_rows(self, material: Material, request: PromptRequest, texts: list[str]) -> list[int]:
        """Statements that mention a focus word; all of them when the prompt has no focus (or none does)."""
        focus = {stem(word) for word in self._focus(material, request)}
        mentioning = [row for row, text in enumerate(texts) if focus & _words_in(text)]
        return mentioning or list(range(len(texts)))

    def _statements(self, material: Material) -> tuple[list[str], list[float], np.ndarray]:
        """What a summary is made of: the sentences spoken, or else the text shown."""
        if material.sentences:
            return (
                [s.text for s in material.sentences],
                [s.start for s in material.sentences],
                material.sentence_vectors,
            )
        return (
            [item.quote() for item in material.screen],
            [item.start for item in material.screen],
            material.screen_vectors,
        )

    def summary(self, video: VideoContext, *, prompt: str, temperature: float | None) -> str:
        return self._summary(self._materials.get(video), prompts.parse(prompt))

    def _summary(self, material: Material, request: PromptRequest) -> str:
        if material.is_empty:
            return EMPTY_VIDEO
        texts, starts, vectors = self._statements(material)
        count = request.limits.get("sentence") or _default_summary_length(len(texts))
        rows = self._focused_rows(material, request, texts)
        order = [rows[i] for i in keyphrases.rank(vectors[rows], self._target(material, request), count=count)]
        word_limit = request.limits.get("word")
        if word_limit:
            kept: list[int] = []
            for row in order:
                if sum(len(texts[i].split()) for i in kept) + len(texts[row].split()) <= word_limit:
                    kept.append(row)
            if not kept:
                # Even the best sentence is too long: cut it, and show that it was cut.
                return " ".join(texts[order[0]].split()[:word_limit]).rstrip(".,;:") + "…"
            order = kept
        return " ".join(texts[row] for row in sorted(order, key=lambda row: starts[row]))

    # -- chapters --------------------------------------------------------------------------

    def chapters(self, video: VideoContext, *, prompt: str, temperature: float | None) -> tuple[Chapter, ...]:
        material = self._materials.get(video)
        units = chaptering.chapters(material, limit=prompts.parse(prompt).limits.get("chapter"))
        starts = [0] + [round(unit.start) for unit in units[1:]]
        ends = [*starts[1:], timeline.last_second(video.duration)]
        used: set[str] = set()
        result = []
        for unit, start, end in zip(units, starts, ends, strict=True):
            title = self._chapter_title(material, unit, used)
            used.add(title.lower())
            result.append(Chapter(start, end, title, self._chapter_summary(material, unit)))
        return tuple(result)

    def _chapter_title(self, material: Material, unit: chaptering.Unit, used: set[str]) -> str:
        """Text shown in the chapter, else its most representative sentence as a clause."""
        vector = chaptering.vector(material, unit)
        if vector is None:
            return "No speech or on-screen text"
        # (title, score): a clause is scored by its whole sentence's vector, so titling embeds nothing new.
        shown = [
            (material.screen[i].text, float(material.screen_vectors[i] @ vector))
            for i in unit.screen
            if material.screen[i].kind == "text" and _title_like(material.screen[i].text)
        ]
        said = [
            (keyphrases.clause(material.sentences[i].text), float(material.sentence_vectors[i] @ vector))
            for i in unit.sentences
        ]
        fresh_shown = [option for option in shown if option[0].lower() not in used]
        fresh_said = [option for option in said if option[0].lower() not in used]
        best_said = max(fresh_said or said, key=lambda option: option[1], default=None)
        best_shown = max(fresh_shown or shown, key=lambda option: option[1], default=None)
        if best_shown is not None and (best_said is None or best_shown[1] >= best_said[1] - SCREEN_TITLE_MARGIN):
            return best_shown[0]
        if best_said is not None:
            return best_said[0]
        return keyphrases.clause(material.screen[unit.screen[0]].text)

    def _chapter_summary(self, material: Material, unit: chaptering.Unit) -> str:
        vector = chaptering.vector(material, unit)
        if vector is None:
            return "Nothing is said or shown as text in this part of the video."
        if unit.sentences:
            scores = material.sentence_vectors[unit.sentences] @ vector
            best = sorted(np.argsort(-scores, kind="stable")[:2].tolist())
            return " ".join(material.sentences[unit.sentences[i]].text for i in best)
        return " ".join(material.screen[i].quote() for i in unit.screen[:2])

    # -- highlights ------------------------------------------------------------------------

    def highlights(self, video: VideoContext, *, prompt: str, temperature: float | None) -> tuple[Highlight, ...]:
        material = self._materials.get(video)
        return self._highlights(material, prompts.parse(prompt))

    def _highlights(self, material: Material, request: PromptRequest) -> tuple[Highlight, ...]:
        if material.is_empty:
            return ()
        texts, _, vectors = self._statements(material)
        moments = material.sentences or material.screen
        count = request.limits.get("highlight") or min(len(texts), 6, max(1, math.ceil(len(texts) / 2)))
        chosen: list[tuple[int, int, int]] = []
        for row in keyphrases.rank(vectors, self._target(material, request), count=min(len(texts), count * 4)):
            seconds = timeline.highlight_seconds(moments[row].start, moments[row].end, material.video.duration)
            if seconds is None or any(seconds[0] < end and start < seconds[1] for start, end, _ in chosen):
                continue
            chosen.append((*seconds, row))
            if len(chosen) == count:
                break
        return tuple(
            Highlight(start, end, texts[row], self._context(material, row, texts[row]))
            for start, end, row in sorted(chosen)
        )

    def _context(self, material: Material, row: int, text: str) -> str:
        """A highlight's summary: the moment, with what is on screen meanwhile or what is said next."""
        if not material.sentences:
            return text
        sentence = material.sentences[row]
        shown = [
            item.quote()
            for item in material.screen
            if any(
                span.start < sentence.end and span.end > sentence.start and span.value.strip() == item.text
                for span in (*material.video.texts, *material.video.logos)
            )
        ]
        if shown:
            return " ".join([text, *shown[:2]])
        following = material.sentences[row + 1] if row + 1 < len(material.sentences) else None
        same_shot = following is not None and not any(
            sentence.end <= cut <= following.start for cut, _ in timeline.shot_bounds(material.video)
        )
        if following is not None and same_shot and following.start - sentence.end <= 2 * timeline.SENTENCE_PAUSE:
            return f"{text} {following.text}"
        return text

    # -- open prompts ----------------------------------------------------------------------

    def answer(self, video: VideoContext, *, prompt: str, temperature: float | None) -> Iterator[str]:
        yield from word_pieces(self._answer(video, prompts.parse(prompt)))

    def _answer(self, video: VideoContext, request: PromptRequest) -> str:
        material = self._materials.get(video)
        if material.is_empty:
            return "The video has no speech or on-screen text, so there is nothing to answer from."
        if request.sections or request.creative_form or not request.content_words:
            return self._overview(material, video, request)
        return self._retrieve(material, video, request)

    def _overview(self, material: Material, video: VideoContext, request: PromptRequest) -> str:
        sections = set(request.sections) or {"summary"}
        parts: list[str] = []
        if request.creative_form:
            sections |= {"title", "summary"}
            parts.append(
                f"Writing a {request.creative_form} needs a language model, which this server does not use; "
                "here is what the video itself says and shows."
            )
        labelled = len(sections) > 1
        if "title" in sections:
            parts.append(f"Title: {self._title(material, video)}")
        if "summary" in sections:
            summary = self._summary(material, request)
            parts.append(f"Summary: {summary}" if labelled else summary)
        if "topic" in sections:
            topics = self._topics(material, video, request.limits.get("topic", TOPICS))
            parts.append("Topics: " + ", ".join(topics))
        if "hashtag" in sections:
            tags = self._hashtags(material, request.limits.get("hashtag", HASHTAGS), video)
            parts.append("Hashtags: " + " ".join(f"#{tag}" for tag in tags))
        if "chapter" in sections:
            lines = [
                f"{clock(c.start)}–{clock(c.end)} {c.title}: {c.summary}"
                for c in self.chapters(video, prompt=request.text, temperature=None)
            ]
            parts.append("Chapters:\n" + "\n".join(lines))
        if "highlight" in sections:
            lines = [f"{clock(h.start)}–{clock(h.end)} {h.highlight}" for h in self._highlights(material, request)]
            parts.append("Highlights:\n" + "\n".join(lines))
        return "\n\n".join(parts)

    def _retrieve(self, material: Material, video: VideoContext, request: PromptRequest) -> str:
        query = material.vectors([request.text])[0]
        wanted = {stem(word) for word in request.content_words}
        scored: list[tuple[float, float, float, str]] = []
        for segment in video.segments or self._sentence_segments(material):
            text = "\n".join(part for part in (segment.transcript, segment.on_screen_text, segment.logos) if part)
            if not timeline.readable(text):
                continue
            score = self._segment_score(material, segment, text, query)
            if score >= RELEVANT or (score >= RELEVANT_WITH_SHARED_WORD and wanted & _words_in(text)):
                scored.append((score, segment.start, segment.end, segment.on_screen_text))
        # Only the best matches: in a video about one subject every segment is a little relevant.
        best = max((score for score, *_ in scored), default=0.0)
        scored = [row for row in scored if row[0] >= best - ANSWER_MARGIN]
        if not scored:
            about = " or ".join(f"“{word}”" for word in request.content_words[:4])
            return (
                "The video holds nothing relevant to this prompt: none of its speech or on-screen text "
                f"is about {about}."
            )
        quotes: dict[str, tuple[float, float]] = {}
        for _, start, end, shown in sorted(scored, reverse=True)[:ANSWER_SEGMENTS]:
            for sentence in material.sentences:
                # A sentence belongs to the segment holding most of it.
                if min(sentence.end, end) - max(sentence.start, start) >= (sentence.end - sentence.start) / 2:
                    quotes.setdefault(f"“{sentence.text}”", (sentence.start, sentence.end))
            for line in shown.splitlines():
                if timeline.readable(line):
                    quotes.setdefault(f"On screen: “{line.strip()}”", (start, end))
        lines = [f"[{clock(a)}–{clock(b)}] {quote}" for quote, (a, b) in sorted(quotes.items(), key=lambda q: q[1])]
        return "What the video says and shows about this:\n" + "\n".join(lines)

    def _sentence_segments(self, material: Material) -> list[Segment]:
        """Segments for a video stored without any: its sentences and on-screen texts, one each."""
        return [Segment(s.start, s.end, transcript=s.text) for s in material.sentences] + [
            Segment(item.start, item.end, on_screen_text=item.text) for item in material.screen
        ]

    def _segment_score(self, material: Material, segment: Segment, text: str, query: np.ndarray) -> float:
        """Cosine of the prompt with the segment's stored vectors (embedding its text if none fit).

        Vectors of another model (a cloud engine's) have another shape and are not comparable.
        """
        stored = (segment.conversation_vector, segment.text_vector)
        vectors = [v for v in stored if v is not None and v.shape == query.shape]
        if not vectors:
            vectors = [material.vectors([text])[0]]
        return max(float(v @ query) for v in vectors)
