from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.models import User

from core import accounts
from core.models import ApiKey, Membership, Role, Team
from core.rules import Actor
from library.models import Index

# Fixtures set the scene as the operator would; the tests' requests act as real users.
SYSTEM = Actor.system("tests")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-12345-long")
    # Editors work in the admin, which requires staff status.
    is_staff = True


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.EDITOR


class IndexFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Index

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"index {n}")
    engines = factory.LazyFunction(
        lambda: [
            {"engine_name": "marengo2.6", "engine_options": ["visual", "conversation", "text_in_video", "logo"]},
            {"engine_name": "pegasus1.1", "engine_options": ["visual", "conversation"]},
        ]
    )
    addons = factory.LazyFunction(lambda: ["thumbnail"])


class ApiKeyFactory:
    """Keys are made by the service (it hashes and returns the raw key once)."""

    @staticmethod
    def create_with_raw(**kwargs: Any) -> tuple[ApiKey, str]:
        membership = MembershipFactory(**kwargs)
        return accounts.api_key_create(actor=SYSTEM, team=membership.team, user=membership.user, name="test")
