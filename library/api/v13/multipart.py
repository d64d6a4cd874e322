"""`/v1.3/assets/multipart-uploads`: create, more chunk URLs, chunk PUTs, completion reports, status.

The chunk PUT route takes no API key: its URL's path carries the signature (library/multipart.py).
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError
from library import multipart as services
from library.api.compat.common import body, reject_unknown
from library.api.v13 import schema
from library.api.v13.common import V13View, iso, page_of
from library.api.v13.representations import chunk_url_json
from library.models import MultipartUpload, UploadChunk, UploadStatus


class UploadListView(V13View):
    @extend_schema(operation_id="v1.3_multipart_list", parameters=schema.PAGING, responses=schema.PAGE)
    def get(self, request: Request) -> Response:
        """Incomplete uploads of the team (still receiving chunks)."""
        uploads = MultipartUpload.objects.visible_to(self.teams()).filter(status=UploadStatus.ACTIVE)
        rows, page_info = page_of(request, uploads.order_by("-created_at", "-pk"))
        data = [
            {
                "upload_id": upload.id,
                "asset_id": upload.asset_id,
                "status": upload.status,
                "total_size": upload.total_size,
                "chunk_size": upload.chunk_size,
                "total_chunks": upload.total_chunks,
                "created_at": iso(upload.created_at),
                "expires_at": iso(upload.expires_at),
            }
            for upload in rows
        ]
        return Response({"data": data, "page_info": page_info})

    @extend_schema(
        operation_id="v1.3_multipart_create",
        request=schema.json_body(schema.MultipartCreateBody),
        responses={201: schema.OBJECT},
    )
    def post(self, request: Request) -> Response:
        data = body(request)
        reject_unknown(data, {"filename", "type", "total_size", "enable_hls", "enable_thumbnail", "user_metadata"})
        upload = services.multipart_create(
            actor=self.actor(),
            team=self.own_team(),
            filename=data.get("filename"),
            total_size=data.get("total_size"),
            file_type=data.get("type"),
            user_metadata=data.get("user_metadata"),
        )
        urls = services.chunk_urls(upload, 1, services.INITIAL_URLS)
        return Response(
            {
                "upload_id": upload.id,
                "asset_id": upload.asset_id,
                "chunk_size": upload.chunk_size,
                "total_chunks": upload.total_chunks,
                "upload_urls": [chunk_url_json(upload, url, request) for url in urls],
                "upload_headers": {"Content-Type": "application/octet-stream"},
                "expires_at": iso(upload.expires_at),
            },
            status=status.HTTP_201_CREATED,
        )


class UploadDetailView(V13View):
    @extend_schema(operation_id="v1.3_multipart_status", parameters=schema.PAGING, responses=schema.OBJECT)
    def get(self, request: Request, upload_id: str) -> Response:
        upload = self.get_upload(upload_id)
        chunks = list(UploadChunk.objects.filter(upload=upload).order_by("chunk_index"))
        completed = [chunk for chunk in chunks if chunk.reported]
        shown, page_info = page_of(request, chunks, default_limit=50, max_limit=100)
        return Response(
            {
                "upload_id": upload.id,
                "asset_id": upload.asset_id,
                "status": upload.status,
                "uploaded_chunks": [
                    {
                        "index": chunk.chunk_index,
                        "status": "completed" if chunk.reported else "pending",
                        "uploaded_at": iso(chunk.uploaded_at),
                        "updated_at": iso(chunk.uploaded_at),
                    }
                    for chunk in shown
                ],
                "chunks_completed": len(completed),
                "chunks_failed": 0,
                "chunks_pending": upload.total_chunks - len(completed),
                "page_info": page_info,
                "total_size": upload.total_size,
                "uploaded_size": sum(chunk.size for chunk in completed),
                "created_at": iso(upload.created_at),
                "updated_at": iso(upload.updated_at),
            }
        )

    @extend_schema(
        operation_id="v1.3_multipart_report",
        request=schema.json_body(schema.ReportChunksBody),
        responses={200: schema.OBJECT},
    )
    def post(self, request: Request, upload_id: str) -> Response:
        """Report finished chunks (any order, in batches); the answer's `url` is set once all are in."""
        upload = self.get_upload(upload_id)
        data = body(request)
        reject_unknown(data, {"completed_chunks"})
        report = services.multipart_report(
            actor=self.actor(), upload=upload, completed_chunks=data.get("completed_chunks")
        )
        asset_url = request.build_absolute_uri(request.path.split("/assets/", 1)[0] + f"/assets/{upload.asset_id}")
        return Response(
            {
                "url": asset_url if report.complete else None,
                "asset_id": upload.asset_id,
                "processed_chunks": report.processed,
                "duplicate_chunks": report.duplicates,
                "total_completed": report.total_completed,
            }
        )


class PresignedUrlsView(V13View):
    @extend_schema(
        operation_id="v1.3_multipart_presigned_urls",
        request=schema.json_body(schema.PresignedUrlsBody),
        responses={200: schema.OBJECT},
    )
    def post(self, request: Request, upload_id: str) -> Response:
        upload = self.get_upload(upload_id)
        data = body(request)
        reject_unknown(data, {"start", "count"})
        urls = services.multipart_urls(
            actor=self.actor(), upload=upload, start=data.get("start"), count=data.get("count")
        )
        return Response(
            {
                "upload_id": upload.id,
                "start_index": data.get("start"),
                "count": len(urls),
                "upload_urls": [chunk_url_json(upload, url, request) for url in urls],
                "generated_at": iso(upload.updated_at),
                "expires_at": iso(urls[0].expires_at) if urls else None,
            }
        )


class RawBytes(BaseParser):
    """A chunk's body as bytes, whatever Content-Type the client sent (S3 ignores it too)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):  # type: ignore[no-untyped-def]
        # One chunk at most; a longer body is refused by its size check without reading more.
        return stream.read(settings.FRAMEWISE_MULTIPART_CHUNK_BYTES + 1) if stream is not None else b""


class ChunkView(V13View):
    """PUT one chunk to its signed URL: no API key (the SDK sends none), the path's token authorises it."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    parser_classes = [RawBytes]

    # Not in the schema: like an S3 presigned URL, a chunk URL is handed out by the API, not composed.
    @extend_schema(exclude=True)
    def put(self, request: Request, upload_id: str, chunk_index: str, token: str) -> Response:
        if not chunk_index.isdigit() or len(chunk_index) > 6:
            raise ApplicationError("The chunk index must be a positive integer.")
        content = request.data if isinstance(request.data, bytes) else b""
        etag = services.chunk_store(upload_id=upload_id, chunk_index=int(chunk_index), token=token, content=content)
        return Response(status=status.HTTP_200_OK, headers={"ETag": f'"{etag}"'})
