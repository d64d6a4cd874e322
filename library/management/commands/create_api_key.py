from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import accounts
from core.errors import ApplicationError
from core.models import Team
from core.rules import Actor


class Command(BaseCommand):
    help = "Create an API key for a team member and print it once (only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", required=True, help="team name")
        parser.add_argument("--user", required=True, help="username (a member of the team)")
        parser.add_argument("--name", default="", help="a label to recognise the key by")

    def handle(self, *args: Any, **options: Any) -> None:
        team = Team.objects.filter(name=options["team"]).first()
        user = get_user_model().objects.filter(username=options["user"]).first()
        if team is None or user is None:
            raise CommandError("Unknown team or user.")
        try:
            # The operator mints it; the key still acts with the user's current role only.
            key, raw = accounts.api_key_create(
                actor=Actor.system("manage.py create_api_key"), team=team, user=user, name=options["name"]
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stderr.write(f"Key {key.prefix}… for {user} in {team}. Store it now; it cannot be shown again.")
        self.stdout.write(raw)
