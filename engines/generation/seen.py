"""What a video shows, for generators: its dominant visual concepts (objects and scenes).

The concept track (engines/local/concepts.py) names ImageNet classes per stretch of
video, with the highest probability each reached. A concept is dominant when it was
seen with some confidence for a real share of the video: its seconds weighted by its
confidence, at least `MIN_SHARE` of the duration. Gist topics and hashtags include the
dominant ones, so a silent video of a cat is tagged #tabby, not left without topics.
"""

from __future__ import annotations

from engines.generation.base import VideoContext

# A concept must cover this share of the video, weighted by confidence (a 0.5-confident
# label on 40% of the video counts 0.2): enough to be what the video shows, not a glimpse.
MIN_SHARE = 0.15


def dominant_concepts(video: VideoContext, count: int) -> list[str]:
    """Up to `count` concept names, most present first."""
    if video.duration <= 0:
        return []
    weight: dict[str, float] = {}
    for span in video.concepts:
        weight[span.value] = weight.get(span.value, 0.0) + max(0.0, span.end - span.start) * span.confidence
    ranked = sorted(weight.items(), key=lambda item: (-item[1], item[0]))
    return [name for name, seconds in ranked if seconds >= MIN_SHARE * video.duration][:count]
