"""The stored thumbnail nearest to a moment, for shots, search results and label clips (API and pages).

Thumbnails are taken at every cut and every few seconds (engines/local/media.py), so
the nearest one shows the moment's picture closely enough, without decoding video.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable

from django.http import HttpRequest
from rest_framework.request import Request

from library.media import media_url
from library.models import Thumbnail


class ThumbnailFinder:
    """Loads the thumbnails of some videos in one query and answers "nearest to t" lookups."""

    def __init__(self, video_ids: Iterable[str], *, request: HttpRequest | Request | None) -> None:
        self.request = request
        self._times: dict[str, list[float]] = defaultdict(list)
        self._names: dict[str, list[str]] = defaultdict(list)
        rows = (
            Thumbnail.objects.filter(video_id__in=set(video_ids))
            .order_by("video_id", "time")
            .values_list("video_id", "time", "image")
        )
        for video_id, time, image in rows:
            self._times[video_id].append(time)
            self._names[video_id].append(image)

    def url(self, video_id: str, moment: float, end: float | None = None) -> str:
        """The signed URL of the thumbnail nearest `moment` seconds; "" if the video has none.

        For a clip (`end` given), a thumbnail inside the clip is preferred even when one just
        before it is nearer its start: that one shows the previous shot.
        """
        times = self._times.get(video_id)
        if not times:
            return ""
        position = bisect.bisect_left(times, moment)
        if end is not None and position < len(times) and times[position] <= end:
            return media_url(self._names[video_id][position], request=self.request)
        nearest = min(
            (p for p in (position - 1, position) if 0 <= p < len(times)), key=lambda p: abs(times[p] - moment)
        )
        return media_url(self._names[video_id][nearest], request=self.request)
