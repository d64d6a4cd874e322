"""Editors see v1.3 assets: the admin lists them and the indexes they became videos in; a video page names its asset."""

from __future__ import annotations

from typing import Any

import pytest

from library import assets
from library.models import Asset, Video
from tests.factories import SYSTEM, IndexFactory, MembershipFactory
from tests.permissions.world import make_asset

pytestmark = pytest.mark.django_db


def test_the_admin_lists_assets_and_the_video_page_names_its_asset(client: Any, run_on_commit: Any) -> None:
    editor = MembershipFactory()
    index = IndexFactory(team=editor.team, name="Evening news")
    asset = make_asset(editor.team)
    with run_on_commit(execute=True):
        video = assets.asset_index(actor=SYSTEM, index=index, asset=asset)
    Video.objects.filter(id=video.id).update(title="Pasta night")
    other = make_asset(MembershipFactory().team)
    client.force_login(editor.user)

    listing = client.get("/admin/library/asset/").content.decode()
    assert "matrix.mp4" in listing and "Evening news" in listing
    page = client.get(f"/admin/library/asset/{asset.pk}/change/")
    assert page.status_code == 200
    assert f"/admin/library/video/{video.id}/change/" in page.content.decode()
    assert client.get(f"/admin/library/asset/{other.pk}/change/").status_code == 404  # another team's

    shown = client.get(f"/videos/{video.id}/").content.decode()
    assert f"asset {asset.pk}" in shown

    # Deleting in the admin goes through the service: the indexed video keeps the shared file.
    answer = client.post(f"/admin/library/asset/{asset.pk}/delete/", {"post": "yes"})
    assert answer.status_code == 302
    assert not Asset.objects.filter(pk=asset.pk).exists()
    assert Video.objects.get(id=video.id).asset_id is None
