"""Resumable multipart uploads: one protocol over S3 (presigned part URLs) and the local store
(HMAC-signed part URLs served by `anchor serve`), with the state in the catalog."""

from .api import (
    UploadStatus,
    abort_stale,
    abort_upload,
    accept_local_part,
    begin_upload,
    complete_upload,
    open_multipart,
    part_targets,
    upload_status,
)
from .model import PartTarget, StoredPart, Upload, part_size
from .store import list_uploads

__all__ = ["PartTarget", "StoredPart", "Upload", "UploadStatus", "abort_stale", "abort_upload", "accept_local_part",
           "begin_upload", "complete_upload", "list_uploads", "open_multipart", "part_size", "part_targets",
           "upload_status"]
