"""Open311 GeoReport v2 under /open311/v2 (see docs/partner-api.md and `app.appeal.open311`).

Paths end in `.json` or `.xml` (anything else is 404): `discovery`, `services`,
`services/<code>`, `requests` (GET lists, POST files; form-encoded), `requests/<id>`.
Discovery and services are public; filing and reading requests need `api_key`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sanic import Request
from sanic.response import HTTPResponse

from app.appeal import open311
from partner_api.auth import open311_client
from partner_api.blueprint import open311_bp
from app.appeal.checks import TextCheck
from partner_api.render import FORMATS, open311_response

View = Callable[[Request, str], Awaitable[HTTPResponse]]


def _split(request: Request, document: str) -> tuple[str, str]:
    """("services", "json") for "services.json"; 404 for a format we do not speak."""
    name, _, fmt = document.rpartition(".")
    if not name or fmt not in FORMATS:
        raise open311.Open311Error(404, f"{document}: not found (paths end in .json or .xml)")
    request.ctx.open311_format = fmt
    return name, fmt


def _reader(request: Request) -> tuple[str, bool]:
    settings = request.app.ctx.resources.settings
    client = open311_client(request.args.get("api_key", ""), settings=settings)
    return client, client in settings.open311_read_all_clients


async def _discovery(request: Request, fmt: str) -> HTTPResponse:
    return open311_response(fmt, "discovery", open311.discovery(settings=request.app.ctx.resources.settings))


async def _services(request: Request, fmt: str) -> HTTPResponse:
    return open311_response(fmt, "services", open311.services())


async def _requests(request: Request, fmt: str) -> HTTPResponse:
    client, read_all = _reader(request)
    query = open311.RequestQuery(**{name: request.args.get(name, "") for name in open311.RequestQuery.__dataclass_fields__})
    appeals = await open311.find_requests(client=client, read_all=read_all, query=query)
    records = await open311.request_records(appeals, settings=request.app.ctx.resources.settings,
                                            extensions=request.args.get("extensions", "") == "true")
    return open311_response(fmt, "service_requests", records)


_DOCUMENTS: dict[str, View] = {"discovery": _discovery, "services": _services, "requests": _requests}


@open311_bp.get("/<document:str>")
async def get_document(request: Request, document: str) -> HTTPResponse:
    name, fmt = _split(request, document)
    view = _DOCUMENTS.get(name)
    if view is None:
        raise open311.Open311Error(404, f"{document}: not found")
    return await view(request, fmt)


@open311_bp.post("/<document:str>")
async def post_request(request: Request, document: str) -> HTTPResponse:
    name, fmt = _split(request, document)
    if name != "requests":
        raise open311.Open311Error(404 if name not in _DOCUMENTS else 405, f"{document}: cannot POST here")
    resources = request.app.ctx.resources
    form = request.form or {}
    fields = {key: form.get(key) or "" for key in form}
    client = open311_client(fields.pop("api_key", "") or request.args.get("api_key", ""), settings=resources.settings)
    check = TextCheck(resources.miniprogram)
    filed = await open311.create_request(client=client, fields=fields, settings=resources.settings,
                                         check_text=check)
    answer = [{"service_request_id": filed.appeal.number, "service_notice": filed.service_notice, "account_id": None}]
    return open311_response(fmt, "service_requests", answer, status=201 if filed.created else 200)


@open311_bp.get("/services/<document:str>")
async def get_service_definition(request: Request, document: str) -> HTTPResponse:
    code, fmt = _split(request, document)
    return open311_response(fmt, "service_definition", open311.service_definition(service_code=code))


@open311_bp.get("/requests/<document:str>")
async def get_request(request: Request, document: str) -> HTTPResponse:
    number, fmt = _split(request, document)
    client, read_all = _reader(request)
    appeal = await open311.get_request(client=client, read_all=read_all, service_request_id=number)
    records = await open311.request_records([appeal], settings=request.app.ctx.resources.settings,
                                            extensions=request.args.get("extensions", "") == "true")
    return open311_response(fmt, "service_requests", records)
