"""The official SDK's classify.videos, classify.index and classify.by_page_token against a live server."""

from __future__ import annotations

from typing import Any

import pytest
from twelvelabs import TwelveLabs
from twelvelabs.exceptions import NotFoundError

from tests.taxonomy.conftest import CLASSES

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

OPTIONS = ["conversation", "text_in_video"]


@pytest.fixture
def client(live_server: Any, team_key: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> TwelveLabs:
    monkeypatch.setenv("TWELVELABS_BASE_URL", live_server.url)
    return TwelveLabs(api_key=team_key[1])


def test_the_sdk_classifies_an_index_and_pages_through_it(
    client: TwelveLabs, index: Any, library: dict[str, str]
) -> None:
    names = {video_id: name for name, video_id in library.items()}
    first = client.classify.index(
        index.id, OPTIONS, CLASSES, page_limit=2, include_clips=True, show_detailed_score=True,
        threshold={"min_duration_ratio": 0.3},
    )  # fmt: skip
    assert first.page_info.limit_per_page == 2 and first.page_info.total_results == 6
    seen = [[names[video.video_id] for video in first.data]]
    seen += [[names[video.video_id] for video in page] for page in first]  # iterating fetches by page token
    assert [len(page) for page in seen] == [2, 2, 2]
    flat = [name for page in seen for name in page]
    assert sorted(flat) == sorted(name for name in library if name != "mostly-weather.mp4")

    top = first.data[0].classes[0]
    assert top.clips and top.clips[0].thumbnail_url and top.clips[0].option in OPTIONS
    assert top.detailed_scores.max_score >= top.score

    again = client.classify.index(index.id, OPTIONS, CLASSES, page_limit=2, threshold={"min_duration_ratio": 0.3})
    second = client.classify.by_page_token(again.page_info.next_page_token)
    assert [names[video.video_id] for video in second.data] == seen[1]
    assert second.data[0].classes[0].clips is None and second.data[0].classes[0].detailed_scores is None
    with pytest.raises(NotFoundError):
        client.classify.by_page_token("unknown-1")


def test_the_sdk_classifies_chosen_videos(client: TwelveLabs, index: Any, library: dict[str, str]) -> None:
    chosen = [library["cooking.mp4"], library["fashion.mp4"], library["mostly-weather.mp4"]]
    result = client.classify.videos(chosen, OPTIONS, CLASSES)
    assert {video.video_id: video.classes[0].name for video in result.data} == {
        library["cooking.mp4"]: "Cooking",
        library["fashion.mp4"]: "Fashion",
    }
    assert result.page_info.next_page_token == ""
    # Visual alone now answers (the concept classifier): these generated backgrounds show
    # nothing ImageNet names, so no class reaches the thresholds on what is seen alone.
    seen = client.classify.videos(chosen, ["visual"], CLASSES)
    assert all(cls.score >= 75 for video in seen.data for cls in video.classes)
