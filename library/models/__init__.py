from library.models.assets import Asset, AssetMethod, AssetStatus, MultipartUpload, UploadChunk, UploadStatus
from library.models.common import new_object_id
from library.models.generation import GeneratedText, GenerationKind, GenerationStatus
from library.models.indexes import Index, Segment, Thumbnail, Video
from library.models.jobs import JobRow
from library.models.ratelimit import RateCounter
from library.models.tasks import Task, TaskStatus, WorkerHeartbeat
from library.models.teams import ApiKey, Membership, Role, Team
from library.models.webhooks import (
    DeliveryStatus,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "ApiKey",
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
    "JobRow",
    "Membership",
    "RateCounter",
    "Role",
    "Segment",
    "Task",
    "TaskStatus",
    "Team",
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
