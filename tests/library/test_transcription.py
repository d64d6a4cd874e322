"""A video's transcription on both APIs and the video page: JSON with its language, the
English translation marked as such, and SRT/WebVTT files that parse and keep the times."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import srt
import webvtt

from engines.base import MediaProbe, TranscriptLine, VideoAnalysis, Word
from library import subtitles
from tests.generation_data import store_ready_video

pytestmark = pytest.mark.django_db

PROBE = MediaProbe(15.0, 25.0, 640, 360, 1000, "mp4", "h264", "aac", True)


def _words(start: float, text: str, step: float = 0.4) -> tuple[Word, ...]:
    return tuple(Word(start + i * step, start + i * step + 0.3, word) for i, word in enumerate(text.split()))


DOOR = "Por favor, cierra la puerta cuando salgas."
# Two sentences, the second longer than one cue may be.
LONG = (
    "Mi hermano juega al fútbol todos los sábados. El museo está abierto de diez a seis "
    "y el concierto de la orquesta empieza a las ocho de la noche."
)
SPANISH = (
    TranscriptLine(0.5, 3.1, DOOR, _words(0.5, DOOR)),
    TranscriptLine(4.0, 14.0, LONG, _words(4.0, LONG, 0.33)),
)
ENGLISH = (
    TranscriptLine(0.5, 3.1, "Please close the door when you leave."),
    TranscriptLine(4.0, 14.0, "My brother plays football every Saturday. The museum is open from ten to six."),
)


@pytest.fixture
def spanish_video(index: Any, tmp_path: Path) -> Any:
    path = tmp_path / "noticias.mp4"
    path.write_bytes(b"stand-in bytes: the transcription endpoints read the database only")
    analysis = VideoAnalysis(probe=PROBE, transcript=SPANISH, language="es", translation=ENGLISH)
    return store_ready_video(index, path, analysis)


def _url(index: Any, video: Any) -> str:
    return f"/v1.2/indexes/{index.id}/videos/{video.id}/transcription"


def test_json_names_the_language_and_marks_the_translation(api: Any, index: Any, spanish_video: Any) -> None:
    spoken = api.get(_url(index, spanish_video)).json()
    assert spoken["language"] == "es" and spoken["translated"] is False
    assert [line["value"] for line in spoken["data"]] == [line.text for line in SPANISH]
    english = api.get(_url(index, spanish_video), {"language": "en"}).json()
    assert english["language"] == "en" and english["translated"] is True
    assert [(line["start"], line["value"]) for line in english["data"]] == [(t.start, t.text) for t in ENGLISH]
    # The video itself says what it speaks, on both APIs.
    assert api.get(f"/v1.2/indexes/{index.id}/videos/{spanish_video.id}").json()["language"] == "es"
    assert api.get(f"/api/v1/videos/{spanish_video.id}/").json()["language"] == "es"


def test_srt_cues_parse_and_follow_the_words(api: Any, index: Any, spanish_video: Any) -> None:
    response = api.get(_url(index, spanish_video), {"format": "srt"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-subrip")
    assert 'filename="noticias.es.srt"' in response["Content-Disposition"]
    cues = list(srt.parse(response.content.decode()))
    words = [w for line in SPANISH for w in line.words]
    # Sentence ends cut cues: the long line gives at least three (two sentences, one too long).
    assert len(cues) >= 4
    assert cues[0].start == dt.timedelta(seconds=words[0].start) and cues[0].content.endswith("salgas.")
    assert cues[-1].end == dt.timedelta(seconds=round(words[-1].end, 3))
    starts = {round(w.start, 3) for w in words}
    ends = {round(w.end, 3) for w in words}
    for cue in cues:
        assert round(cue.start.total_seconds(), 3) in starts and round(cue.end.total_seconds(), 3) in ends
        assert len(cue.content.replace("\n", " ")) <= subtitles.MAX_CHARS
        assert all(len(row) <= subtitles.LINE_CHARS for row in cue.content.split("\n"))
        assert (cue.end - cue.start).total_seconds() <= subtitles.MAX_SECONDS
    assert " ".join(c.content.replace("\n", " ") for c in cues) == " ".join(line.text for line in SPANISH)


def test_vtt_of_the_translation_parses_within_its_lines(api: Any, spanish_video: Any) -> None:
    response = api.get(f"/api/v1/videos/{spanish_video.id}/transcription/", {"format": "vtt", "language": "en"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/vtt") and response["Content-Language"] == "en"
    captions = list(webvtt.from_string(response.content.decode()))
    assert " ".join(c.text.replace("\n", " ") for c in captions) == " ".join(line.text for line in ENGLISH)
    for caption in captions:
        start, end = _seconds(caption.start), _seconds(caption.end)
        assert any(line.start - 1e-3 <= start < end <= line.end + 1e-3 for line in ENGLISH), (start, end)
    assert captions[0].start == "00:00:00.500"


@pytest.mark.parametrize(
    ("params", "code"),
    [({"format": "docx"}, "parameter_invalid"), ({"language": "fr"}, "parameter_invalid")],
)
def test_bad_requests_are_400_json(api: Any, index: Any, spanish_video: Any, params: dict[str, str], code: str) -> None:
    for url in (_url(index, spanish_video), f"/api/v1/videos/{spanish_video.id}/transcription/"):
        response = api.get(url, params)
        assert response.status_code == 400, response.content
        assert response.json()["code"] == code


def test_another_teams_video_is_404(other_api: Any, index: Any, spanish_video: Any) -> None:
    assert other_api.get(_url(index, spanish_video), {"format": "srt"}).status_code == 404
    assert other_api.get(f"/api/v1/videos/{spanish_video.id}/transcription/").status_code == 404


def test_an_unknown_upload_language_is_refused_and_nothing_stored(api: Any, index: Any, tmp_path: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from library.models import Task

    upload = SimpleUploadedFile("clip.mp4", b"\x00" * 64, content_type="video/mp4")
    response = api.post("/v1.2/tasks", {"index_id": index.id, "video_file": upload, "language": "klingon"})
    assert response.status_code == 400 and response.json()["code"] == "parameter_invalid"
    assert not Task.objects.filter(index=index).exists()


def test_the_video_page_offers_subtitles_and_marks_the_translation(client: Any, spanish_video: Any) -> None:
    client.force_login(_member(spanish_video))
    page = client.get(f"/videos/{spanish_video.id}/").content.decode()
    assert "speech: es" in page
    assert f"/videos/{spanish_video.id}/subtitles.srt" in page and "?language=en" in page
    assert "(translated: Please close the door when you leave.)" in page
    download = client.get(f"/videos/{spanish_video.id}/subtitles.vtt", {"language": "en"})
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert "Please close the door" in download.content.decode()
    assert client.get(f"/videos/{spanish_video.id}/subtitles.txt").status_code == 404


def _seconds(timestamp: str) -> float:
    hours, minutes, seconds = timestamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _member(video: Any) -> Any:
    from tests.factories import MembershipFactory

    return MembershipFactory(team=video.index.team).user
