"""Who sees what on the pages: everything is looked up through the user's teams.

Another team's id answers 404, never 403, so ids cannot be probed for existence.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from library.accounts import teams_for_user, user_can_edit
from library.models import Index, Team, Video
from library.selectors import indexes_for_teams

User = AbstractBaseUser | AnonymousUser


def user_teams(user: User) -> list[Team]:
    return list(teams_for_user(user).order_by("name"))


def visible_indexes(user: User) -> QuerySet[Index]:
    return indexes_for_teams(user_teams(user)).select_related("team").order_by("team__name", "name")


def index_for_user(user: User, index_id: str) -> Index:
    index = visible_indexes(user).filter(id=index_id).first()
    if index is None:
        raise Http404("No such index.")
    return index


def video_for_user(user: User, video_id: str) -> Video:
    video = Video.objects.select_related("index__team").filter(id=video_id, index__team__in=user_teams(user)).first()
    if video is None:
        raise Http404("No such video.")
    return video


def user_can_edit_team(user: User, team: Team) -> bool:
    """Owners and editors change the library; viewers only read it."""
    return user_can_edit(user=user, team=team)
