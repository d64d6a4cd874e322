from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import ApplicationError
from core.models import Team
from core.rules import command_actor
from taxonomy import iab_import
from taxonomy.iab import guess_version


class Command(BaseCommand):
    help = (
        "Import (or refresh) an IAB Tech Lab Content Taxonomy TSV into a team. Idempotent: nodes are "
        "matched by IAB id, prompts an editor changed are kept, nodes gone from the file are deactivated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the TSV file, e.g. 'Content Taxonomy 3.1.tsv'")
        parser.add_argument("--team", required=True, help="the team's name")
        parser.add_argument("--name", help="the taxonomy's name (default: 'IAB Content Taxonomy <version>')")
        parser.add_argument(
            "--taxonomy-version", dest="taxonomy_version", help="default: from the file name or title row"
        )
        parser.add_argument("--as-user", help="act as this user (their role decides); default: the system")

    def handle(self, *args: Any, **options: Any) -> None:
        team = Team.objects.filter(name=options["team"]).first()
        if team is None:
            raise CommandError(f"No team {options['team']!r}; create it with manage.py create_team.")
        path = Path(options["path"])
        try:
            data = path.open("rb")  # streamed by the parser, which stops at its size limit
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        with data:
            version = options["taxonomy_version"] or guess_version(path.name, data)
            name = options["name"] or f"IAB Content Taxonomy {version}".strip()
            try:
                actor = command_actor(username=options["as_user"], command="import_taxonomy")
                report = iab_import.taxonomy_import_iab(actor=actor, team=team, data=data, name=name, version=version)
            except LookupError as error:
                raise CommandError(str(error)) from None
            except ApplicationError as error:
                raise CommandError(error.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.taxonomy.name!r} (id {report.taxonomy.pk}): {report.created} created, {report.updated} "
                f"updated, {report.unchanged} unchanged, {report.deactivated} deactivated."
            )
        )
