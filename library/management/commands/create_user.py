"""Create a login from the command line: `manage.py create_user alice --email alice@example.com`."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import accounts
from core.errors import ApplicationError
from core.rules import Actor


class Command(BaseCommand):
    help = "Create a user; prints a generated password unless --password-from-stdin is given."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-from-stdin", action="store_true", help="read the password from the first line of stdin"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = sys.stdin.readline().rstrip("\r\n") if options["password_from_stdin"] else None
        try:
            user, generated = accounts.user_create(
                actor=Actor.system("manage.py create_user"),
                username=options["username"],
                email=options["email"],
                password=password,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(f"User {user.get_username()!r} created."))
        if generated:
            self.stdout.write(f"Password (shown once): {generated}")
