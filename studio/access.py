"""Who sees what on the pages: everything is looked up through the user's teams.

Another team's id answers 404, never 403, so ids cannot be probed for existence.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.http import Http404

from core.models import Team
from core.rules import Actor, may
from library.models import Index, Video
from library.selectors import indexes_for_teams

AnyUser = User | AnonymousUser


def user_teams(user: AnyUser) -> list[Team]:
    return list(Actor.for_session(user).teams().order_by("name"))


def visible_indexes(user: AnyUser) -> QuerySet[Index]:
    return indexes_for_teams(user_teams(user)).select_related("team").order_by("team__name", "name")


def index_for_user(user: AnyUser, index_id: str) -> Index:
    index = visible_indexes(user).filter(id=index_id).first()
    if index is None:
        raise Http404("No such index.")
    return index


def video_for_user(user: AnyUser, video_id: str) -> Video:
    video = Video.objects.visible_to(user_teams(user)).select_related("index__team").filter(id=video_id).first()
    if video is None:
        raise Http404("No such video.")
    return video


def may_in_team(user: AnyUser, command: str, team: Team) -> bool:
    """Whether to offer a button: the rule table (core/rules.py) decides, the service checks again."""
    return may(Actor.for_session(user), command, team)
