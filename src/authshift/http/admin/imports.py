"""Admin API: bulk import jobs. Upload a file (multipart, or the raw body), follow the job, read
every record's outcome as NDJSON. The server's import runner does the work in the background.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from authshift.accounts.hash_config_store import check_hash_config_names
from authshift.errors import FieldError, InvalidInput
from authshift.http.deps import Admin, State
from authshift.http.openapi import problems
from authshift.http.uploads import ReceivedFile, receive_multipart, receive_raw
from authshift.ids import uuid7
from authshift.migration.formats import FORMATS
from authshift.migration.imports import jobs
from authshift.migration.imports import service as import_job_service
from authshift.migration.imports.plan import IDENTIFIERS, MODES
from authshift.migration.imports.runner import upload_dir, wake_runner
from authshift.migration.imports.source import ImportOptions, check_options, file_hash_configs
from authshift.migration.imports.undo_service import preview_undo, undo_job
from authshift.migration.imports.uploads import receiving
from authshift.state import AppState

router = APIRouter(prefix="/api/admin/v1/imports", tags=["imports"])

PREFIX = "/api/admin/v1/imports"
OPTION_FIELDS = ("format", "identifier", "mode", "dry_run", "hash_config", "hash_config_name", "hash_format", "source")
FILE_FIELDS = {"file", "auth0_password_hashes", "fusionauth_webauthn", "hash_config_file"}
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}

_FILE = {"type": "string", "format": "binary", "minLength": 1}
UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "additionalProperties": False,
                    "properties": {
                        "file": _FILE,
                        "auth0_password_hashes": {**_FILE, "description": "Auth0's password-hash export (only with format auth0)"},
                        "fusionauth_webauthn": {**_FILE, "description": "FusionAuth's passkeys, the /api/webauthn/import "
                                                "body (only with format fusionauth)"},
                        "format": {"enum": list(FORMATS), "default": "native",
                                   "description": "firebase needs the project's hash parameters configured as "
                                                  "[hash_configs.<hash_config>]"},
                        "identifier": {"enum": list(IDENTIFIERS), "default": "email"},
                        "mode": {"enum": list(MODES), "default": "insert"},
                        "dry_run": {"type": "boolean", "default": False},
                        "hash_config": {"type": "string", "default": "default",
                                        "description": "the name of a [hash_configs.<name>] section or of hash "
                                                       "parameters stored by an earlier import (firebase); "
                                                       "same as hash_config_name"},
                        "hash_config_name": {"type": "string", "default": "default"},
                        "hash_config_file": {**_FILE, "description": "a file of hash parameters (firebase)"},
                        "hash_format": {"type": "string", "description": "the hash family of the file's hashes "
                                        "where a shape is ambiguous; see docs/hash-formats.md"},
                        "source": {"type": "string", "description": "the system the users come from "
                                   "(external_id is unique per source); see docs/import-format.md"},
                    },
                }
            },
            "application/octet-stream": {"schema": _FILE},
        },
    }
}


def _options(fields: dict[str, str], hashes: ReceivedFile | None, hash_config: ReceivedFile | None = None,
             webauthn: ReceivedFile | None = None) -> ImportOptions:
    unknown = sorted(set(fields) - set(OPTION_FIELDS))
    if unknown:
        raise InvalidInput("unknown import options", errors=[FieldError(name, "unknown option") for name in unknown])
    dry = fields.get("dry_run", "false").strip().lower()
    if dry not in _TRUE | _FALSE:
        raise InvalidInput("dry_run must be true or false", errors=[FieldError("dry_run", "expected true or false")])
    return ImportOptions(
        format=fields.get("format") or "native",
        identifier=fields.get("identifier") or "email",
        mode=fields.get("mode") or "insert",
        dry_run=dry in _TRUE,
        hash_config=fields.get("hash_config_name") or fields.get("hash_config") or "default",
        hash_config_file=str(hash_config.path) if hash_config else None,
        hash_format=fields.get("hash_format") or None,
        auth0_password_hashes=str(hashes.path) if hashes else None,
        fusionauth_webauthn=str(webauthn.path) if webauthn else None,
        source=fields.get("source") or None,
    )


@router.post("", status_code=202, summary="Upload a file and start an import job", openapi_extra=UPLOAD_DOC,
             responses=problems(409, 413))
async def create_import(request: Request, key: Admin, state: State) -> JSONResponse:
    """multipart/form-data with a ``file`` part (and ``auth0_password_hashes`` or ``fusionauth_webauthn``) plus the options as
    fields, or the raw file as the body with the options as query parameters (``filename`` names it)."""
    view = await accept_upload(request, state, actor=f"admin_key:{key.id}")
    return JSONResponse(view, status_code=202, headers={"Location": f"{PREFIX}/{view['id']}"})


def _chosen(files: dict[str, ReceivedFile]) -> dict[str, ReceivedFile]:
    """The file parts with content: a browser sends an optional file input left empty as a part
    with no name and no bytes, which means "no file"."""
    return {name: f for name, f in files.items() if f.size or f.filename not in ("", name)}


async def accept_upload(request: Request, state: AppState, *, actor: str, audit_details: dict[str, Any] | None = None,
                        check_fields: Callable[[dict[str, str]], None] | None = None) -> dict[str, Any]:
    """Receive an import upload (streamed to the job's upload directory), queue its job, audit it
    under ``actor`` and wake the runner; the job's view. The admin API and the console's upload
    form both come here. ``check_fields`` sees the form fields first (the console checks and
    removes its CSRF field)."""
    cfg = state.settings.imports
    job_id = uuid7()
    directory = upload_dir(state, str(job_id))
    directory.mkdir(parents=True, mode=0o700)
    with receiving(directory):  # its files are swept if this process dies mid-upload
        try:
            content_type = request.headers.get("content-type", "")
            if content_type.startswith("multipart/form-data"):
                upload = await receive_multipart(
                    request.stream(), content_type, directory, file_fields=FILE_FIELDS, limit=cfg.max_upload_bytes
                )
                if check_fields is not None:
                    check_fields(upload.fields)
                files = _chosen(upload.files)
                main = files.get("file")
                if main is None:
                    raise InvalidInput("the form needs a file part", errors=[FieldError("file", "is required")])
                options = _options(upload.fields, files.get("auth0_password_hashes"), files.get("hash_config_file"),
                                   files.get("fusionauth_webauthn"))
            else:
                params = dict(request.query_params)
                filename = params.pop("filename", None) or "upload"
                options = _options(params, None)
                main = await receive_raw(request.stream(), directory, filename=filename, limit=cfg.max_upload_bytes)
            if main.size == 0:
                raise InvalidInput("the uploaded file is empty", errors=[FieldError("file", "is empty")])
            check_options(options, state.accounts.hash_configs)
            await check_hash_config_names(state.engine, state.accounts, file_hash_configs(options))
            async with state.engine.begin() as conn:
                row = await import_job_service.create_import_job(
                    conn, import_job_service.JobFile(path=main.path, name=main.filename, sha256=main.sha256, size=main.size), options,
                    origin="api", actor=actor, audit_details=audit_details, job_id=job_id,
                )
                view = jobs.job_view(row)
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
    wake_runner(state)
    return view


@router.get("", summary="Recent import jobs, newest first")
async def list_imports(_: Admin, state: State, limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    async with state.engine.connect() as conn:
        return {"imports": await jobs.list_jobs(conn, limit=limit)}


@router.get("/{job_id}", summary="An import job: state and live counts")
async def get_import(_: Admin, state: State, job_id: uuid.UUID) -> dict[str, Any]:
    return await import_job_service.import_status(state, job_id)


@router.get("/{job_id}/undo", summary="Preview undoing a job: who would be removed, restored, or kept")
async def preview_import_undo(_: Admin, state: State, job_id: uuid.UUID) -> dict[str, Any]:
    async with state.engine.connect() as conn:
        return await preview_undo(conn, job_id)


@router.post("/{job_id}/undo", summary="Undo a job: remove the users it inserted, restore those it updated")
async def undo_import(key: Admin, state: State, job_id: uuid.UUID, dry_run: bool = False) -> dict[str, Any]:
    """Users who signed in or changed since the job are listed and kept. ``dry_run=true``: the preview."""
    async with state.engine.begin() as conn:
        if dry_run:
            return await preview_undo(conn, job_id)
        return await undo_job(conn, job_id, actor=f"admin_key:{key.id}", ctx=state.accounts)


@router.get(
    "/{job_id}/results",
    summary="Every record's outcome as NDJSON (line, outcome, user_id, errors, warnings)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def import_results(
    _: Admin, state: State, job_id: uuid.UUID,
    outcome: Literal["inserted", "updated", "skipped", "failed", "would_insert", "would_update", "would_skip"] | None = None,
) -> StreamingResponse:
    """A dry run's lines say what would happen (``would_insert`` ..., no id for a user not created)."""
    async with state.engine.connect() as conn:
        dry_run = bool((await jobs.get_job(conn, job_id))["options"].get("dry_run"))

    async def body() -> AsyncIterator[bytes]:
        async for text in jobs.iter_result_lines(state.engine, job_id, outcome=outcome, page=1000, dry_run=dry_run):
            yield text.encode()

    return StreamingResponse(body(), media_type="application/x-ndjson")


@router.post("/{job_id}/cancel", summary="Stop a queued or running job (committed batches stay)",
             responses=problems(409))
async def cancel_import(key: Admin, state: State, job_id: uuid.UUID) -> dict[str, Any]:
    return await import_job_service.cancel_import(state, job_id, actor=f"admin_key:{key.id}")
