from library.models.assets import Asset, AssetMethod, AssetStatus, MultipartUpload, UploadChunk, UploadStatus
from library.models.common import new_object_id
from library.models.generation import GeneratedText, GenerationKind, GenerationStatus
from library.models.indexes import Index, Segment, Thumbnail, Video
from library.models.tasks import Task, TaskStatus, WorkerHeartbeat
from library.models.webhooks import (
    DeliveryStatus,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "Asset",
    "AssetMethod",
    "AssetStatus",
    "MultipartUpload",
    "UploadChunk",
    "UploadStatus",
    "GeneratedText",
    "GenerationKind",
    "GenerationStatus",
    "Index",
    "Segment",
    "Task",
    "TaskStatus",
    "Thumbnail",
    "Video",
    "WorkerHeartbeat",
    "DeliveryStatus",
    "EventType",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "new_object_id",
]
