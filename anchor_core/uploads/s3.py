"""Multipart uploads straight to S3: the browser PUTs each part to a presigned URL; S3's own
part list is the authority for what is stored (so a resumed client asks S3, not us)."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from ..errors import AnchorError, ValidationError
from ..store.s3 import S3Store
from .model import StoredPart, Upload


class S3Multipart:
    name = "s3"

    def __init__(self, store: S3Store) -> None:
        self.store = store

    def begin(self, key: str, size_bytes: int, content_type: str) -> str:
        r = self.store.client.create_multipart_upload(Bucket=self.store.bucket, Key=self.store._k(key),
                                                      ContentType=content_type)
        return str(r["UploadId"])

    def part_url(self, upload: Upload, number: int, *, expires_s: int) -> str:
        params = {"Bucket": self.store.bucket, "Key": self.store._k(upload.object_key),
                  "UploadId": upload.backend_id, "PartNumber": number}
        return str(self.store.client.generate_presigned_url("upload_part", Params=params, ExpiresIn=int(expires_s)))

    def stored_parts(self, upload: Upload) -> list[StoredPart]:
        out: list[StoredPart] = []
        kwargs: dict[str, Any] = {"Bucket": self.store.bucket, "Key": self.store._k(upload.object_key),
                                  "UploadId": upload.backend_id}
        while True:
            try:
                r = self.store.client.list_parts(**kwargs)
            except Exception as exc:
                raise self.store._errors(upload.object_key, exc) from exc
            out += [StoredPart(int(p["PartNumber"]), int(p["Size"]), str(p["ETag"])) for p in r.get("Parts", [])]
            if not r.get("IsTruncated"):
                return out
            kwargs["PartNumberMarker"] = r["NextPartNumberMarker"]

    def complete(self, upload: Upload, parts: list[StoredPart], *, sha256: str | None = None) -> None:
        """Complete from S3's own part list; with `sha256`, read the object back and delete it
        when it differs (S3's ETag of a multipart object is not a content hash)."""
        try:
            self.store.client.complete_multipart_upload(
                Bucket=self.store.bucket, Key=self.store._k(upload.object_key), UploadId=upload.backend_id,
                MultipartUpload={"Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in parts]})
        except Exception as exc:
            raise AnchorError(f"S3 refused to complete the upload of {upload.object_key}: {exc}") from exc
        if sha256:
            digest = hashlib.sha256()
            body = self.store.client.get_object(Bucket=self.store.bucket, Key=self.store._k(upload.object_key))["Body"]
            for block in iter(lambda: body.read(1 << 20), b""):
                digest.update(block)
            if not hmac.compare_digest(digest.hexdigest(), sha256.lower()):
                self.store.delete(upload.object_key)
                raise ValidationError(f"the uploaded file's sha256 is {digest.hexdigest()}, not {sha256}: "
                                      "it was damaged on the way; upload it again")

    def abort(self, upload: Upload) -> None:
        from botocore.exceptions import ClientError

        try:
            self.store.client.abort_multipart_upload(Bucket=self.store.bucket, Key=self.store._k(upload.object_key),
                                                     UploadId=upload.backend_id)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) != "NoSuchUpload":
                raise self.store._errors(upload.object_key, exc) from exc

    def ensure_lifecycle(self, *, days: int = 1) -> None:
        """A bucket rule that makes S3 itself drop incomplete multipart uploads under our prefix
        after `days` (a second line of defence behind the janitor; other rules are kept)."""
        from botocore.exceptions import ClientError

        rule_id = f"anchor-abort-incomplete-{self.store.prefix.strip('/') or 'all'}"
        try:
            rules = self.store.client.get_bucket_lifecycle_configuration(Bucket=self.store.bucket).get("Rules", [])
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) != "NoSuchLifecycleConfiguration":
                raise self.store._errors("lifecycle", exc) from exc
            rules = []
        rules = [r for r in rules if r.get("ID") != rule_id]
        rules.append({"ID": rule_id, "Status": "Enabled", "Filter": {"Prefix": self.store.prefix},
                      "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": int(days)}})
        self.store.client.put_bucket_lifecycle_configuration(Bucket=self.store.bucket,
                                                            LifecycleConfiguration={"Rules": rules})

    def ensure_cors(self, origins: list[str], *, max_age_s: int = 3600) -> dict[str, Any]:
        """The bucket CORS rule a browser needs to PUT parts straight to S3 from these origins
        and read each part's ETag (without ExposeHeaders the browser hides it and completion
        fails). Our rule is replaced, other rules are kept; returns the rule."""
        from botocore.exceptions import ClientError

        for origin in origins:
            if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", origin):
                raise ValidationError(f"origin {origin!r}: give scheme, host and port only, such as "
                                      "https://anchor.example.com or http://127.0.0.1:2718")
        rule_id = f"anchor-uploads-{self.store.prefix.strip('/') or 'all'}"
        try:
            rules = self.store.client.get_bucket_cors(Bucket=self.store.bucket).get("CORSRules", [])
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) != "NoSuchCORSConfiguration":
                raise self.store._errors("cors", exc) from exc
            rules = []
        rule = {"ID": rule_id, "AllowedOrigins": sorted(set(origins)), "AllowedMethods": ["PUT", "GET", "HEAD"],
                "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": int(max_age_s)}
        rules = [r for r in rules if r.get("ID") != rule_id] + [rule]
        self.store.client.put_bucket_cors(Bucket=self.store.bucket, CORSConfiguration={"CORSRules": rules})
        return rule

    def pending(self) -> list[tuple[str, str, Any]]:
        """(key, upload id, initiated) of every multipart upload S3 holds under our prefix."""
        out = []
        kwargs: dict[str, Any] = {"Bucket": self.store.bucket, "Prefix": self.store.prefix}
        while True:
            r = self.store.client.list_multipart_uploads(**kwargs)
            out += [(str(u["Key"])[len(self.store.prefix):], str(u["UploadId"]), u["Initiated"])
                    for u in r.get("Uploads", [])]
            if not r.get("IsTruncated"):
                return out
            kwargs.update(KeyMarker=r["NextKeyMarker"], UploadIdMarker=r["NextUploadIdMarker"])
