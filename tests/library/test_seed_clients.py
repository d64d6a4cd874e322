"""The seeds' `requests` code, unchanged, run as client processes against a live Framewise server.

tests/seed_clients/ holds the seeds' notebook cells verbatim; the few lines that give
INDEX_ID or the video URL their values are marked "Framewise:" (seed 000 pastes the id
its create-index cell printed; seed 003's YouTube URL becomes a local one, as there is
no network). notebook.py runs a list of cells in one namespace as a Jupyter kernel
would, with `time.sleep` capped. The clients get API_URL, API_KEY (and INDEX_ID,
VIDEO_URL) through the environment, as the seeds' `%env` lines do. What the cells
`pprint` is a Python literal, so the tests read it back with `ast.literal_eval`.
"""

from __future__ import annotations

import ast
import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from library.models import Index, Task, TaskStatus, Video

if TYPE_CHECKING:
    from tests.conftest import InlineWorker
    from tests.library.conftest import StaticHost

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

CELLS = Path(__file__).resolve().parents[1] / "seed_clients"


def run_cells(cells: list[str], *, cwd: Path, env: dict[str, str]) -> list[str]:
    """Run the cells in one client process; return what each cell printed, in order."""
    completed = subprocess.run(
        [sys.executable, str(CELLS / "notebook.py"), *(str(CELLS / cell) for cell in cells)],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    outputs = [chunk.partition("\n")[2] for chunk in completed.stdout.split("### cell ")[1:]]
    assert len(outputs) == len(cells), completed.stdout
    return outputs


def test_seed_000_uploads_a_folder_monitors_it_and_lists_the_videos(
    live_server: Any,
    team_key: tuple[Any, str],
    worker: InlineWorker,
    short_clips: dict[str, Path],
    tmp_path: Path,
) -> None:
    folder = tmp_path / "classify"
    folder.mkdir()
    for name, path in short_clips.items():
        shutil.copy(path, folder / name)
    (folder / "notes.txt").write_text("not a video, skipped by the seed")

    # The upload cell runs a second time at the end: its duplicate check must find every file.
    _, created, first_upload, monitored, listed, second_upload = run_cells(
        [
            "seed000_1_setup.py",
            "seed000_2_create_index.py",
            "seed000_3_upload.py",
            "seed000_4_monitor.py",
            "seed000_5_list_videos.py",
            "seed000_3_upload.py",
        ],
        cwd=tmp_path,
        env={"API_URL": f"{live_server.url}/v1.1", "API_KEY": team_key[1]},
    )

    # The v1.1 body {engine_id, index_options} made an index.
    index = Index.objects.get(team=team_key[0].team)
    assert index.name == "insta+tiktok"
    assert index.engines == [
        {"engine_name": "marengo2.5", "engine_options": ["visual", "conversation", "text_in_video", "logo"]}
    ]
    assert "Status code: 201 - The request was successful and a new index was created." in created
    assert f"Created index IDs: {index.id}" in created

    assert first_upload.count("Status code: 201 - The request was successful and a new resource was created.") == 3
    assert sorted(re.findall(r"File name: (\w+\.mp4)", first_upload)) == sorted(short_clips)
    assert "already exists" not in first_upload and "task pending" not in first_upload

    tasks = Task.objects.filter(index=index)
    assert sorted(tasks.values_list("filename", flat=True)) == sorted(short_clips)
    assert set(tasks.values_list("status", flat=True)) == {TaskStatus.READY}

    assert "Starting to monitor..." in monitored and "Monitoring finished" in monitored
    with open(tmp_path / "upload_status.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Task ID", "Status"]
    assert sorted(rows[1:]) == sorted([task.id, "ready"] for task in tasks)

    # The cell pprints the response, then video_id_name_list.
    response_text, _, names_text = listed.partition("\n[")
    response = ast.literal_eval(response_text)
    page_info = response["page_info"]
    assert page_info.pop("total_duration") == pytest.approx(4.0 + 4.5 + 4.0, abs=0.2)
    assert page_info == {"limit_per_page": 20, "page": 1, "total_page": 1, "total_results": 3}
    assert all(row["metadata"]["engine_id"] == "marengo2.5" for row in response["data"])
    videos = Video.objects.filter(index=index)
    assert sorted(ast.literal_eval("[" + names_text), key=lambda row: row["video_id"]) == [
        {"video_id": video.id, "video_name": video.filename} for video in videos.order_by("id")
    ]

    # The second run created nothing: each file was reported as already indexed. (The seed prints
    # from several threads, so lines may interleave: match the messages, not whole lines.)
    assert sorted(re.findall(r"Video '(\w+\.mp4)' already exists in index (\w{24})", second_upload)) == sorted(
        (name, index.id) for name in short_clips
    )
    assert tasks.count() == 3


def test_seed_003_creates_an_index_uploads_by_url_and_lists(
    live_server: Any,
    team_key: tuple[Any, str],
    worker: InlineWorker,
    short_clips: dict[str, Path],
    static_host: StaticHost,
    tmp_path: Path,
) -> None:
    env = {
        "API_URL": f"{live_server.url}/v1.2",
        "API_KEY": team_key[1],
        "VIDEO_URL": static_host.publish(short_clips["forest.mp4"], "forest.mp4"),
    }
    _, _, created, uploaded, monitored, video_cell = run_cells(
        [
            "seed003_1_imports.py",
            "seed003_2_read_env.py",
            "seed003_3_create_index.py",
            "seed003_4_external_provider.py",
            "seed003_5_monitor.py",
            "seed003_6_video_id.py",
        ],
        cwd=tmp_path,
        env=env,
    )
    index = Index.objects.get(team=team_key[0].team)
    assert (index.name, index.addons, index.engine_names) == ("Ads Videos", ["thumbnail"], ["marengo2.5", "pegasus1"])
    assert created == f"Status code: 201\n{{'_id': '{index.id}'}}\n"

    task = Task.objects.get(index=index)
    assert uploaded == f"Status code: 201\n{{'_id': '{task.id}'}}\n"
    assert "Status code: ready\nFinish uploading video" in monitored
    video = Video.objects.get(index=index)
    assert (task.status, task.video_id, video.filename) == (TaskStatus.READY, video.id, "forest.mp4")
    id_line, _, task_text = video_cell.partition("\n")
    assert id_line == f"VIDEO ID: {video.id}"
    task_body = ast.literal_eval(task_text)
    assert (task_body["_id"], task_body["status"], task_body["type"]) == (task.id, "ready", "index_task_info")
    assert task_body["hls"]["status"] == "COMPLETE" and task_body["hls"]["thumbnail_urls"]

    # The notebook then switches to an existing index through %env INDEX_ID.
    _, _, indexes, listed = run_cells(
        ["seed003_1_imports.py", "seed003_2_read_env.py", "seed003_7_list_indexes.py", "seed003_8_list_videos.py"],
        cwd=tmp_path,
        env={**env, "INDEX_ID": index.id},
    )
    status_line, _, indexes_text = indexes.partition("\n")
    assert status_line == "Status code: 200"
    rows = ast.literal_eval(indexes_text)["data"]
    assert [(row["_id"], row["index_name"], row["video_count"], row["addons"]) for row in rows] == [
        (index.id, "Ads Videos", 1, ["thumbnail"])
    ]
    assert rows[0]["engines"] == [
        {"engine_name": "marengo2.5", "engine_options": ["visual", "conversation", "text_in_video", "logo"]},
        {"engine_name": "pegasus1", "engine_options": ["visual", "conversation"]},
    ]
    printed_id, status_line, videos_text = listed.split("\n", 2)
    assert (printed_id, status_line) == (index.id, "Status code: 200")
    rows = ast.literal_eval(videos_text)["data"]
    assert [(row["_id"], row["metadata"]["filename"]) for row in rows] == [(video.id, "forest.mp4")]
    assert rows[0]["metadata"]["engine_ids"] == ["marengo2.5", "pegasus1"]
