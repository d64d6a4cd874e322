"""Classification results, taxonomy trees and labels on the pages, against a real classification run."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.test import Client

from taxonomy.models import VideoLabel
from taxonomy.selectors import export_rows

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def api_labels(client: Client, **params: str) -> list[dict]:
    body = client.get("/api/v1/labels/", {"page_size": 100, **params}).json()
    assert body["next"] is None
    return body["results"]


def result_blocks(page: str) -> dict[str, str]:
    return dict(
        re.findall(
            r'<li class="class-result" id="result-(\w+)"(.*?)</li>\s*(?=<li class="class-result"|</ol>)', page, re.S
        )
    )


def bars(block: str) -> list[tuple[str, str, str, str]]:
    """(class name, score bar value, score bar width, duration bar width) per class row."""
    rows = re.findall(
        r'<span class="class-title">([^<]+)</span>'
        r'.*?data-bar="score" data-value="([^"]*)"[^>]*><span style="width: ([^"]+)">'
        r'.*?data-bar="duration" data-value="[^"]*"[^>]*><span style="width: ([^"]+)">',
        block,
        re.S,
    )
    return rows


def test_results_show_each_videos_top_classes_with_the_apis_numbers_and_clips(editor, labeled):
    client = logged_in(editor)
    page = client.get("/classification/").content.decode()
    blocks = result_blocks(page)
    assert set(blocks) == {labeled["cooking"].id, labeled["two_shots"].id}

    for video_id, block in blocks.items():
        expected = sorted(api_labels(client, video=video_id), key=lambda label: -(label["score"] or 0))[:3]
        shown = bars(block)
        assert [name for name, *_ in shown] == [label["node"]["name"] for label in expected]
        for (_, value, score_width, duration_width), label in zip(shown, expected, strict=True):
            assert float(value) == pytest.approx(label["score"])
            assert float(score_width.rstrip("%")) == pytest.approx(label["score"], abs=0.01)
            assert float(duration_width.rstrip("%")) == pytest.approx(label["duration_ratio"] * 100, abs=0.01)
        # Sample clips: the best clip of each distinct prompt, each playing exactly its range.
        clips = re.findall(
            r'data-player="player-(\w+)" data-seek="([\d.]+)" data-end="([\d.]+)".*?'
            r'class="clip-prompt">([^<]+)<',
            block,
            re.S,
        )
        evidence = [clip for label in expected for clip in label["clips"]]
        assert clips and len({prompt for *_, prompt in clips}) == len(clips) <= 3
        for player, start, end, prompt in clips:
            assert player == video_id
            best = max((c for c in evidence if c["prompt"] == prompt), key=lambda c: c["score"])
            assert (float(start), float(end)) == pytest.approx((best["start"], best["end"]), abs=0.001)


def test_results_filter_by_node_subtree_and_export_the_same_labels_as_csv(editor, labeled):
    client = logged_in(editor)
    pasta_videos = set(VideoLabel.objects.filter(node=labeled["pasta"]).values_list("video_id", flat=True))
    assert pasta_videos, "the run should label at least one video with Pasta"

    page = client.get("/classification/", {"node": labeled["food"].id}).content.decode()
    blocks = result_blocks(page)
    food_tree = {labeled["food"].id, labeled["pasta"].id}
    food_videos = set(VideoLabel.objects.filter(node__in=food_tree).values_list("video_id", flat=True))
    assert set(blocks) == food_videos
    for block in blocks.values():
        assert {name for name, *_ in bars(block)} <= {"Food", "Pasta"}

    export = client.get("/classification/export.csv", {"node": labeled["food"].id})
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    expected = VideoLabel.objects.filter(node__in=food_tree).exclude(decision="rejected")
    assert sorted((row["video_id"], row["node_name"], float(row["score"])) for row in rows) == sorted(
        (label.video_id, label.node.name, label.score) for label in expected
    )

    everything = list(
        csv.DictReader(io.StringIO(b"".join(client.get("/classification/export.csv").streaming_content).decode()))
    )
    index = labeled["cooking"].index
    assert everything == [
        {key: "" if value is None else str(value) for key, value in {**row, "clips": json.dumps(row["clips"])}.items()}
        for row in export_rows(index=index)
    ]


def test_the_taxonomy_tree_counts_labels_per_node_and_lists_a_subtrees_videos(editor, labeled):
    client = logged_in(editor)
    taxonomy = labeled["taxonomy"]
    page = client.get(f"/taxonomies/{taxonomy.id}/").content.decode()
    shown = {
        int(node): int(count)
        for node, count in re.findall(
            r'href="\?node=(\d+)"[^>]*>[^<]+</a>\s*<span class="count[^"]*"[^>]*>(\d+)<', page
        )
    }
    api = client.get("/api/v1/labels/counts/", {"index": labeled["cooking"].index_id, "taxonomy": taxonomy.id}).json()
    assert shown == {row["node_id"]: row["videos"] for row in api}
    assert shown[labeled["food"].id] >= shown[labeled["pasta"].id] >= 1

    food = client.get(f"/taxonomies/{taxonomy.id}/", {"node": labeled["food"].id}).content.decode()
    listed = set(re.findall(r'<h3 class="card-title"><a href="/videos/(\w+)/"', food))
    assert listed == set(
        VideoLabel.objects.filter(node__in=[labeled["food"], labeled["pasta"]]).values_list("video_id", flat=True)
    )
    assert 'aria-current="true">Food</a>' in food
    assert "Shows" in client.get("/taxonomies/").content.decode()


def test_the_video_page_shows_labels_with_bars_and_a_button_per_evidence_clip(editor, labeled):
    video = labeled["cooking"]
    page = logged_in(editor).get(f"/videos/{video.id}/").content.decode()
    for label in VideoLabel.objects.filter(video=video).select_related("node"):
        assert f'data-bar="score" data-value="{label.score}"' in page
        for clip in label.clips:
            assert f'data-player="player" data-seek="{clip["start"]:.3f}" data-end="{clip["end"]:.3f}"' in page


def test_the_index_page_filters_by_label_subtree(editor, labeled):
    index_id = labeled["cooking"].index_id
    client = logged_in(editor)
    page = client.get(f"/indexes/{index_id}/", {"label": labeled["food"].id}).content.decode()
    food_videos = set(
        VideoLabel.objects.filter(node__in=[labeled["food"], labeled["pasta"]]).values_list("video_id", flat=True)
    )
    assert set(re.findall(r'id="card-(\w+)"', page)) == food_videos
    assert f'<option value="{labeled["pasta"].id}"' in page


def test_another_team_sees_no_labels_taxonomies_or_export_rows(labeled, outsider):
    client = logged_in(outsider)
    assert result_blocks(client.get("/classification/").content.decode()) == {}
    assert client.get(f"/taxonomies/{labeled['taxonomy'].id}/").status_code == 404
    assert "Shows" not in client.get("/taxonomies/").content.decode()
    rows = b"".join(client.get("/classification/export.csv").streaming_content).decode().strip().splitlines()
    assert len(rows) == 1  # the header only
    # Their own node ids in the query do not leak the other team's labels either.
    assert result_blocks(client.get("/classification/", {"node": labeled["food"].id}).content.decode()) == {}


def test_results_page_through_the_whole_library_best_first_keeping_filters(editor, labeled, monkeypatch):
    monkeypatch.setattr("studio.views.classification.VIDEOS_PER_PAGE", 1)
    client = logged_in(editor)
    taxonomy = labeled["taxonomy"].id
    first = client.get("/classification/", {"taxonomy": taxonomy}).content.decode()
    second = client.get("/classification/", {"taxonomy": taxonomy, "page": 2}).content.decode()
    assert f'href="?taxonomy={taxonomy}&amp;page=2" rel="next"' in first
    best = {
        video_id: max(VideoLabel.objects.filter(video_id=video_id).values_list("score", flat=True))
        for video_id in (labeled["cooking"].id, labeled["two_shots"].id)
    }
    order = sorted(best, key=lambda video_id: -best[video_id])
    assert [list(result_blocks(first)), list(result_blocks(second))] == [[order[0]], [order[1]]]
