"""The API's own documentation: `GET /openapi.json` and a readable page at `GET /docs`."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse, html
from sanic.response import json as json_response

from miniprogram_api.blueprint import API_PREFIX, bp
from miniprogram_api.errors import dumps
from miniprogram_api.openapi import build_document, render_docs_page


def _document(request: Request) -> dict:
    # Routes are fixed once the server runs, so the document is built once per app.
    document = getattr(request.app.ctx, "mp_openapi_document", None)
    if document is None:
        document = build_document(request.app, bp.name)
        request.app.ctx.mp_openapi_document = document
    return document


@bp.get("/openapi.json")
async def openapi_document(request: Request) -> HTTPResponse:
    return json_response(_document(request), dumps=dumps)


@bp.get("/docs")
async def docs_page(request: Request) -> HTTPResponse:
    return html(render_docs_page(_document(request), json_url=f"{API_PREFIX}/openapi.json"))
