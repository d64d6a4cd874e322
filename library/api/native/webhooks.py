"""/api/v1/webhooks/: owners manage their teams' endpoints and read deliveries and attempts.

Another team's endpoint is 404 (the queryset only holds the caller's teams); a member who is
not an owner gets 403 from the rule table (LibraryCommand.WEBHOOK_MANAGE), for reads too: the
deliveries show payloads and the endpoint's failures.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.auth import request_actor, request_teams
from core.errors import Forbidden
from core.event_types import subscribable_event_types
from core.rules import check
from library.api.compat.schema import HTTP_URL
from library.api.native.views import request_team
from library.commands import LibraryCommand
from library.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from library.webhooks import services


class EndpointSerializer(serializers.ModelSerializer):
    team = serializers.CharField(source="team.name", read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "team", "url", "events", "active", "disabled_reason", "consecutive_failures", "created_at"]
        read_only_fields = fields


class EndpointWriteSerializer(serializers.Serializer):
    team = serializers.CharField(required=False)
    url = serializers.RegexField(HTTP_URL, max_length=2000)  # which hosts may be reached: the service decides
    events = serializers.ListField(child=serializers.CharField(max_length=60), min_length=1)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # The event types are registered when the apps are ready, after this class is defined:
        # the choices (validation and the schema's enum) are read per serializer.
        fields = super().get_fields()
        fields["events"] = serializers.ListField(
            child=serializers.ChoiceField(choices=subscribable_event_types()), min_length=1
        )
        return fields

    active = serializers.BooleanField(required=False)


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["started_at", "latency_ms", "status_code", "response_snippet", "error"]


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.CharField(source="event.id")
    type = serializers.CharField(source="event.type")
    attempts = AttemptSerializer(source="attempt_rows", many=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "event_id", "type", "status", "tries", "next_attempt_at",
            "error_code", "error_message", "created_at", "finished_at", "attempts",
        ]  # fmt: skip


class WebhookEndpointViewSet(viewsets.GenericViewSet):
    serializer_class = EndpointSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return WebhookEndpoint.objects.visible_to(request_teams(self.request)).select_related("team")

    def _owned(self) -> WebhookEndpoint:
        endpoint: WebhookEndpoint = self.get_object()  # 404 for another team's
        check(request_actor(self.request), LibraryCommand.WEBHOOK_MANAGE, endpoint.team_id, what="webhook endpoint")
        return endpoint

    def list(self, request: Request) -> Response:
        actor = request_actor(request)
        teams = request_teams(request)
        endpoints = services.endpoints_for_owner(actor, teams).select_related("team").order_by("id")
        if teams and not any(services.owns(actor, team) for team in teams):
            raise Forbidden("Only a team's owners manage its webhooks.")
        page = self.paginate_queryset(endpoints)
        return self.get_paginated_response(EndpointSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(EndpointSerializer(self._owned()).data)

    @extend_schema(request=EndpointWriteSerializer, responses={201: EndpointSerializer})
    def create(self, request: Request) -> Response:
        payload = EndpointWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(
            actor=request_actor(request),
            team=request_team(request, payload.validated_data.get("team")),
            url=payload.validated_data["url"],
            events=payload.validated_data["events"],
        )
        # The only time the secret is shown.
        return Response(
            {**EndpointSerializer(endpoint).data, "secret": endpoint.secret}, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=EndpointWriteSerializer, responses={200: EndpointSerializer})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self._owned()
        payload = EndpointWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        endpoint = services.webhook_endpoint_update(
            actor=request_actor(request),
            endpoint=endpoint,
            url=data.get("url"),
            events=data.get("events"),
            active=data.get("active"),
        )
        return Response(EndpointSerializer(endpoint).data)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.webhook_endpoint_delete(actor=request_actor(request), endpoint=self._owned())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self._owned()
        secret = services.webhook_secret_rotate(actor=request_actor(request), endpoint=endpoint)
        expires = endpoint.previous_secret_expires_at
        return Response({"secret": secret, "previous_secret_expires_at": expires})

    @action(detail=True, methods=["post"], url_path="test")
    def send_test(self, request: Request, pk: str | None = None) -> Response:
        delivery = services.webhook_test_send(actor=request_actor(request), endpoint=self._owned())
        return Response({"delivery_id": delivery.pk, "event_id": delivery.event_id}, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self._owned()
        rows = (
            WebhookDelivery.objects.filter(endpoint=endpoint)
            .select_related("event")
            .prefetch_related("attempt_rows")
            .order_by("-id")
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)
