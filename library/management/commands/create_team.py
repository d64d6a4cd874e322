from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import accounts
from core.models import Role
from core.rules import Actor


class Command(BaseCommand):
    help = "Create a team (idempotent), optionally with an owner who must already exist."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--owner", help="username of the team's owner")
        parser.add_argument("--member", action="append", default=[], help="USERNAME:ROLE (owner|editor|viewer)")

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model().objects
        owner = None
        if options["owner"]:
            owner = users.filter(username=options["owner"]).first()
            if owner is None:
                raise CommandError(f"No user {options['owner']!r}; create it first (manage.py create_user USERNAME).")
        actor = Actor.system("manage.py create_team")
        team = accounts.team_create(actor=actor, name=options["name"], owner=owner)
        for spec in options["member"]:
            username, _, role = spec.partition(":")
            user = users.filter(username=username).first()
            if user is None or role not in Role.values:
                raise CommandError(f"Bad --member {spec!r}: need an existing USERNAME and a role in {Role.values}.")
            accounts.membership_set(actor=actor, team=team, user=user, role=role)
        self.stdout.write(self.style.SUCCESS(f"Team {team.name!r} (id {team.pk}) is ready."))
