"""Webhook endpoints in the admin: owners only (LibraryCommand.WEBHOOK_MANAGE), with their deliveries.

The secret is shown once, as a message after creating or rotating; the form never has it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin.base import TeamScopedAdmin, rule_action
from core.errors import ApplicationError
from core.event_types import subscribable_event_types
from core.rules import may_somewhere
from core.scoping import visible
from library.commands import LibraryCommand
from library.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from library.webhooks import services


def _event_choices() -> list[tuple[str, str]]:
    return [(event, event) for event in subscribable_event_types()]


class EndpointForm(forms.ModelForm):
    # A receiver typed without a scheme is an https one (Django 6's default, said now).
    url = forms.URLField(max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(choices=_event_choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ["team", "url", "events", "active"]

    def clean_url(self) -> str:
        # The service's own check, run while the form can still say what is wrong with the URL
        # (a host that does not resolve, an internal address); the service checks again on save.
        try:
            return services.webhook_url_clean(self.cleaned_data["url"])
        except ApplicationError as error:
            raise forms.ValidationError(error.message, code=error.code) from None


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    columns = (
        "event",
        "status",
        "tries",
        "next_attempt_at",
        "error_code",
        "error_message",
        "finished_at",
        "last_attempt",
    )
    fields = readonly_fields = columns
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-id"]

    @admin.display(description="last attempt")
    def last_attempt(self, delivery: WebhookDelivery) -> str:
        attempt: WebhookAttempt | None = delivery.attempt_rows.order_by("-started_at").first()
        if attempt is None:
            return "-"
        latency = f"{attempt.latency_ms:.0f} ms" if attempt.latency_ms is not None else ""
        return f"{attempt.status_code or attempt.error} {latency} {attempt.response_snippet[:80]}".strip()


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TeamScopedAdmin):
    form = EndpointForm
    list_display = ["url", "team", "active", "disabled_reason", "consecutive_failures", "created_at"]
    list_filter = ["active", "team"]
    readonly_fields = ["disabled_reason", "consecutive_failures"]
    inlines = [DeliveryInline]
    actions = ["send_test_event", "rotate_secret"]
    add_command = LibraryCommand.WEBHOOK_MANAGE
    change_command = LibraryCommand.WEBHOOK_MANAGE
    delete_command = LibraryCommand.WEBHOOK_MANAGE

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        actor = self.actor(request)
        return visible(super().get_queryset(request), actor.teams_allowing(LibraryCommand.WEBHOOK_MANAGE))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # An endpoint never moves to another team: its deliveries and their payloads are that team's.
        fields = list(super().get_readonly_fields(request, obj))
        return ["team", *fields] if obj is not None else fields

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_somewhere(self.actor(request), LibraryCommand.WEBHOOK_MANAGE)

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool) -> None:
        actor, data = self.actor(request), form.cleaned_data
        if change:
            services.webhook_endpoint_update(
                actor=actor, endpoint=obj, url=data["url"], events=data["events"], active=data["active"]
            )
            return
        created = services.webhook_endpoint_create(
            actor=actor, team=data["team"], url=data["url"], events=data["events"]
        )
        obj.pk = created.pk
        messages.warning(request, f"Signing secret (copy it now, it is not shown again): {created.secret}")

    def delete_with_service(self, actor: Any, obj: WebhookEndpoint) -> None:
        services.webhook_endpoint_delete(actor=actor, endpoint=obj)

    @rule_action(LibraryCommand.WEBHOOK_MANAGE, description="Send a test event")
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        actor = self.actor(request)
        endpoints = list(queryset)
        for endpoint in endpoints:
            services.webhook_test_send(actor=actor, endpoint=endpoint)
        self.message_user(request, f"Test event queued for {len(endpoints)} endpoint(s); see its deliveries.")

    @rule_action(LibraryCommand.WEBHOOK_MANAGE, description="Rotate the signing secret (old one valid 24 h)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        actor = self.actor(request)
        for endpoint in queryset:
            secret = services.webhook_secret_rotate(actor=actor, endpoint=endpoint)
            messages.warning(request, f"New secret for {endpoint.url} (not shown again): {secret}")
