"""Generated texts in the native API: a video's stored results, and new ones on request.

    GET  /api/v1/videos/{id}/generations/   stored results (and pending or failed jobs), newest first
    POST /api/v1/videos/{id}/generations/   {kind, types?, prompt?, temperature?, regenerate?}

A POST answers with the stored result of an identical earlier request unless
`regenerate` is true, exactly as the v1.2 endpoints do.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.auth import request_actor, request_teams
from core.errors import NotFound
from engines.generation.base import GIST_TYPES
from library.generation import services
from library.generation.results import GenerationRequest
from library.models import GeneratedText, GenerationKind, Video


class GeneratedTextSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="generation_id", read_only=True)
    video = serializers.CharField(source="video_id", read_only=True)

    class Meta:
        model = GeneratedText
        fields = [
            "id",
            "video",
            "kind",
            "prompt",
            "provider",
            "params",
            "status",
            "text",
            "data",
            "error_code",
            "error_message",
            "generated_at",
            "created_at",
        ]
        read_only_fields = fields


class GenerationCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=GenerationKind.choices)
    types = serializers.ListField(
        child=serializers.ChoiceField(choices=GIST_TYPES), required=False, help_text="For a gist; default: all."
    )
    prompt = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    temperature = serializers.FloatField(required=False, allow_null=True)
    regenerate = serializers.BooleanField(default=False)


def _request(data: dict[str, Any]) -> GenerationRequest:
    kind = data["kind"]
    if kind == GenerationKind.GIST:
        return services.gist_request(types=data.get("types") or list(GIST_TYPES))
    if kind == GenerationKind.TEXT:
        return services.text_request(prompt=data.get("prompt"), temperature=data.get("temperature"))
    return services.summarize_request(kind=kind, prompt=data.get("prompt"), temperature=data.get("temperature"))


class VideoGenerationsView(generics.ListAPIView):
    serializer_class = GeneratedTextSerializer

    def video(self) -> Video:
        video = (
            Video.objects.visible_to(request_teams(self.request))
            .select_related("index")
            .filter(id=self.kwargs["video_id"])
            .first()
        )
        if video is None:
            raise NotFound(f"The video {self.kwargs['video_id']} does not exist.")
        return video

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return GeneratedText.objects.none()  # the schema generator has no video
        return GeneratedText.objects.filter(video=self.video()).order_by("-created_at", "-id")

    @extend_schema(request={"application/json": GenerationCreateSerializer}, responses={200: GeneratedTextSerializer})
    def post(self, request: Request, video_id: str) -> Response:
        payload = GenerationCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        row = services.generation_generate(
            actor=request_actor(request),
            video=self.video(),
            request=_request(payload.validated_data),
            regenerate=payload.validated_data["regenerate"],
        )
        return Response(GeneratedTextSerializer(row).data)


urlpatterns: list[URLPattern] = [
    path("videos/<str:video_id>/generations/", VideoGenerationsView.as_view(), name="native-video-generations"),
]
