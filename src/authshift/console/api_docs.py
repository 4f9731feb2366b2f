"""The API page: the admin API's OpenAPI document (``/api/admin/openapi.json``) browsed with
Swagger UI, for operators.

Swagger UI is vendored (``console/vendor/swagger-ui``, npm ``swagger-ui-dist`` at
``SWAGGER_UI_VERSION``, Apache-2.0): committed, so the page works offline and on a fresh clone
with no install step. It runs under the console's CSP (``script-src 'self'``): the bundle and a
small init file (``static/api-docs.js``), no inline script. FastAPI's own ``/api/admin/docs``
loads Swagger UI from a CDN with an inline script, so it works neither offline nor under that CSP.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from authshift.console.access import CurrentOperator
from authshift.console.rendering import render

SWAGGER_UI_VERSION = "5.35.0"
VENDOR_DIR = Path(__file__).parent / "vendor" / "swagger-ui"
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}
ASSET_PREFIX = f"/console/vendor/swagger-ui-{SWAGGER_UI_VERSION}"

router = APIRouter(include_in_schema=False)


@router.get("/console/api")
async def api_page(request: Request, operator: CurrentOperator) -> Response:
    return render(request, "api.html", operator=operator, title="Admin API", active="api",
                  assets=ASSET_PREFIX, openapi_url=request.app.openapi_url)


@router.get(ASSET_PREFIX + "/{name}")
async def swagger_asset(name: str) -> Response:
    """The two Swagger UI files (public code, like any static file); the version in the path lets
    browsers keep them for a long time."""
    if name not in ASSETS:
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(VENDOR_DIR / name, media_type=ASSETS[name], headers={
        "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"})
