"""Editors' decisions on labels: confirm, reject, reset, or add one by hand.

Later runs keep these decisions (taxonomy/runs.py refreshes a decided label's evidence, never
its decision or origin), so each command is one short write to the label's row, with no job.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import ApplicationError
from core.rules import Actor, check
from library.models import Video
from taxonomy.commands import TaxonomyCommand
from taxonomy.models import Decision, LabelOrigin, TaxonomyNode, VideoLabel


def _team_of(label: VideoLabel) -> int:
    return int(label.video.index.team_id)


def _decide(label: VideoLabel, decision: str, actor: Actor) -> VideoLabel:
    label.decision = decision
    label.decided_by = actor.recorded_user
    label.decided_at = timezone.now()
    label.save(update_fields=["decision", "decided_by", "decided_at", "updated_at"])
    return label


def label_confirm(*, actor: Actor, label: VideoLabel) -> VideoLabel:
    check(actor, TaxonomyCommand.LABEL_CONFIRM, _team_of(label), what="label")
    return _decide(label, Decision.CONFIRMED, actor)


def label_reject(*, actor: Actor, label: VideoLabel) -> VideoLabel:
    """The label stays (hidden from the library) so a re-run cannot bring it back."""
    check(actor, TaxonomyCommand.LABEL_REJECT, _team_of(label), what="label")
    return _decide(label, Decision.REJECTED, actor)


def label_reset(*, actor: Actor, label: VideoLabel) -> VideoLabel | None:
    """Forget the editor's decision; a hand-added label without model evidence goes away."""
    check(actor, TaxonomyCommand.LABEL_RESET, _team_of(label), what="label")
    if label.origin == LabelOrigin.EDITOR and label.score is None:
        label.delete()
        return None
    if label.origin == LabelOrigin.EDITOR:
        label.origin = LabelOrigin.MODEL
    label.decision, label.decided_by, label.decided_at = Decision.NONE, None, None
    label.save(update_fields=["origin", "decision", "decided_by", "decided_at", "updated_at"])
    return label


def label_add(*, actor: Actor, video: Video, node: TaxonomyNode) -> VideoLabel:
    """An editor labels a video by hand; an existing (even rejected) label becomes confirmed."""
    check(actor, TaxonomyCommand.LABEL_ADD, video.index.team_id, what="video")
    if node.taxonomy.team_id != video.index.team_id:
        raise ApplicationError("The node and the video belong to different teams.", code="team_mismatch")
    with transaction.atomic():
        try:
            with transaction.atomic():
                label = VideoLabel.objects.create(video=video, node=node, origin=LabelOrigin.EDITOR)
        except IntegrityError:
            label = VideoLabel.objects.select_for_update().get(video=video, node=node)
        return _decide(label, Decision.CONFIRMED, actor)
