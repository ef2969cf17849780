"""The Open311 GeoReport v2 API: our categories as services, appeals as service requests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree

import pytest

from app.appeal import service
from app.appeal.categories import CATEGORIES
from app.appeal.models import Appeal, AppealChannel
from tests.appeal.factories import make_cast
from tests.partner_api.conftest import OPEN311_KEYS, Open311Client

pytestmark = pytest.mark.usefixtures("db")

KEY = OPEN311_KEYS["district-portal"]
OTHER_KEY = OPEN311_KEYS["city-12345"]


def a_request(**fields: str) -> dict[str, str]:
    return {
        "api_key": KEY,
        "service_code": "technology",
        "description": "研发费用加计扣除政策在申报系统中无法选择，请协助说明办理口径。",
        "address_string": "徐汇区漕河泾开发区宜山路 700 号",
        "attribute[enterprise_name]": "上海示例科技有限公司",
        "attribute[district]": "310104",
        "first_name": "小明",
        "last_name": "李",
        "phone": "13912345678",
        "email": "li@example.com",
        **fields,
    }


async def test_discovery_and_services_list_our_categories(open311: Open311Client):
    discovery = await open311.get("/discovery.json")
    assert discovery.status == 200
    assert discovery.json["endpoints"][0]["url"].endswith("/open311/v2")

    services = await open311.get("/services.json")
    assert services.status == 200
    assert [s["service_code"] for s in services.json] == list(CATEGORIES)
    tax = next(s for s in services.json if s["service_code"] == "tax")
    assert (tax["service_name"], tax["metadata"], tax["type"]) == ("税费办理", True, "realtime")

    xml = await open311.get("/services.xml")
    assert xml.headers["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(xml.text.encode())
    assert root.tag == "services" and [e.findtext("service_code") for e in root] == list(CATEGORIES)

    definition = await open311.get("/services/tax.json")
    attributes = {a["code"]: a for a in definition.json["attributes"]}
    assert attributes["enterprise_name"]["datatype"] == "string"
    assert attributes["credit_code"]["datatype"] == "string"
    assert {"key": "310115", "name": "浦东新区"} in attributes["district"]["values"]
    assert not any(a["required"] for a in attributes.values())

    unknown = await open311.get("/services/parking.json")
    assert unknown.status == 404 and unknown.json[0]["code"] == 404
    assert (await open311.get("/services.csv")).status == 404


async def test_filing_needs_an_api_key(open311: Open311Client):
    await make_cast()
    without = await open311.post("/requests.json", {k: v for k, v in a_request().items() if k != "api_key"})
    assert without.status == 403
    assert without.json == [{"code": 403, "description": "api_key: required"}]
    wrong = await open311.post("/requests.json", a_request(api_key="guessed-key"))
    assert wrong.status == 403 and wrong.json[0]["description"] == "api_key: not a valid key"
    assert await Appeal.all().count() == 0

    filed = await open311.post("/requests.json", a_request())
    assert filed.status == 201, filed.text
    [answer] = filed.json
    assert answer["service_request_id"].startswith("SQ") and answer["account_id"] is None
    assert "1 个工作日内受理" in answer["service_notice"]
    appeal = await Appeal.get(number=answer["service_request_id"])
    assert (appeal.channel, appeal.source_client) == (AppealChannel.open311, "district-portal")
    assert (appeal.contact_name, appeal.contact_phone, appeal.district.value) == ("李小明", "13912345678", "310104")


async def test_resubmitting_with_an_external_id_returns_the_same_request(open311: Open311Client):
    await make_cast()
    first = await open311.post("/requests.json", a_request(**{"attribute[external_id]": "WO-77"}))
    again = await open311.post("/requests.json", a_request(**{"attribute[external_id]": "WO-77"}))
    assert (first.status, again.status) == (201, 200)
    assert again.json[0]["service_request_id"] == first.json[0]["service_request_id"]
    other_client = await open311.post("/requests.json", a_request(api_key=OTHER_KEY, **{"attribute[external_id]": "WO-77"}))
    assert other_client.json[0]["service_request_id"] != first.json[0]["service_request_id"]
    plain = [await open311.post("/requests.json", a_request()) for _ in range(2)]
    assert plain[0].json[0]["service_request_id"] != plain[1].json[0]["service_request_id"]
    assert await Appeal.all().count() == 4
    assert await Appeal.get(number=first.json[0]["service_request_id"]).values_list("external_id", flat=True) == \
        "district-portal:WO-77"


@pytest.mark.parametrize(
    ("change", "description"),
    [
        ({"service_code": "parking"}, "service_code: no service 'parking' (see services.json)"),
        ({"address_string": ""}, "location: required (lat and long, address_string or address_id)"),
        ({"lat": "31.2"}, "lat, long: give both or neither"),
        ({"description": ""}, "description: required (what the enterprise asks for)"),
        ({"description": "太慢了"}, "description: 请把诉求描述清楚（至少 5 个字）"),
        ({"attribute[colour]": "red"}, "attribute[colour]: unknown attribute (see services/technology.json)"),
        ({"attribute[credit_code]": "123"}, "attribute[credit_code]: not a valid unified social credit code (GB 32100)"),
    ],
)
async def test_bad_requests_are_refused_as_an_open311_error_list(open311: Open311Client, change, description):
    await make_cast()
    reply = await open311.post("/requests.json", a_request(**change))
    assert reply.status == 400
    assert reply.json == [{"code": 400, "description": description}]
    assert await Appeal.all().count() == 0


async def test_a_request_is_open_until_the_service_closes_it(open311: Open311Client, settings):
    cast = await make_cast()
    number = (await open311.post("/requests.json", a_request(lat="31.17", long="121.40"))).json[0]["service_request_id"]
    appeal = await Appeal.get(number=number)

    [record] = (await open311.get(f"/requests/{number}.json", api_key=KEY)).json
    assert (record["status"], record["status_notes"], record["agency_responsible"]) == ("open", "已提交", None)
    assert (record["service_code"], record["service_name"], record["lat"], record["long"]) == (
        "technology", "科技创新", 31.17, 121.40)
    assert record["expected_datetime"] is None

    await service.accept(appeal_id=appeal.id, staff=cast.dispatcher)
    await service.dispatch(appeal_id=appeal.id, staff=cast.dispatcher,
                           lead_organisation_id=cast.orgs["city.science-tech"].id, settings=settings)
    await service.add_note(appeal_id=appeal.id, staff=cast.keji, text="内部：需与税务局会商")
    [record] = (await open311.get(f"/requests/{number}.json", api_key=KEY)).json
    lead = cast.orgs["city.science-tech"].name
    assert (record["status"], record["agency_responsible"], record["status_notes"]) == ("open", lead, f"分派至{lead}")
    appeal = await Appeal.get(id=appeal.id)
    assert datetime.fromisoformat(record["expected_datetime"]) == appeal.resolve_due_at.replace(microsecond=0)

    await service.start(appeal_id=appeal.id, staff=cast.keji)
    await service.reply(appeal_id=appeal.id, staff=cast.keji, settings=settings, text="可在系统中选择其他类别后补充说明")
    await service.close_overdue_confirmations(now=datetime.now(timezone.utc) + timedelta(days=settings.appeal_confirm_days + 1))
    [record] = (await open311.get(f"/requests/{number}.json", api_key=KEY)).json
    appeal = await Appeal.get(id=appeal.id)
    assert record["status"] == "closed"
    assert record["updated_datetime"] == appeal.closed_at.astimezone(datetime.fromisoformat(
        record["updated_datetime"]).tzinfo).isoformat(timespec="seconds")

    xml = await open311.get(f"/requests/{number}.xml", api_key=KEY)
    request = ElementTree.fromstring(xml.text.encode()).find("request")
    assert (request.findtext("service_request_id"), request.findtext("status")) == (number, "closed")


async def test_reading_requests_is_private_to_the_client_that_filed_them(open311: Open311Client, partner):
    await make_cast()
    mine = (await open311.post("/requests.json", a_request())).json[0]["service_request_id"]
    theirs = (await open311.post("/requests.json", a_request(api_key=OTHER_KEY))).json[0]["service_request_id"]

    assert (await open311.get("/requests.json")).status == 403
    listed = await open311.get("/requests.json", api_key=KEY)
    assert [r["service_request_id"] for r in listed.json] == [mine]
    hidden = await open311.get(f"/requests/{theirs}.json", api_key=KEY)
    assert hidden.status == 404 and hidden.json[0]["code"] == 404

    partner(open311_read_all_clients=["city-12345"])
    everything = await open311.get("/requests.json", api_key=OTHER_KEY)
    assert [r["service_request_id"] for r in everything.json] == [theirs, mine]
    by_id = await open311.get("/requests.json", api_key=OTHER_KEY, service_request_id=f"{mine},SQ-none")
    assert [r["service_request_id"] for r in by_id.json] == [mine]
    assert (await open311.get("/requests.json", api_key=OTHER_KEY, status="closed")).json == []
    assert len((await open311.get("/requests.json", api_key=OTHER_KEY, status="open", service_code="technology")).json) == 2


async def test_date_ranges_are_limited_to_ninety_days(open311: Open311Client):
    await make_cast()
    await open311.post("/requests.json", a_request())
    now = datetime.now(timezone.utc)
    too_long = await open311.get("/requests.json", api_key=KEY, start_date=(now - timedelta(days=91)).isoformat(),
                                 end_date=now.isoformat())
    assert too_long.status == 400
    assert too_long.json == [{"code": 400, "description": "start_date, end_date: the range may not exceed 90 days"}]
    naive = await open311.get("/requests.json", api_key=KEY, start_date="2024-05-01T00:00:00")
    assert naive.status == 400 and naive.json[0]["description"].startswith("start_date: must be")
    last_week = await open311.get("/requests.json", api_key=KEY, start_date=(now - timedelta(days=7)).isoformat())
    assert len(last_week.json) == 1
    long_ago = await open311.get("/requests.json", api_key=KEY, end_date=(now - timedelta(days=30)).isoformat())
    assert long_ago.json == []


async def test_xml_is_spoken_too_and_unknown_paths_answer_in_the_api_format(open311: Open311Client):
    await make_cast()
    filed = await open311.post("/requests.xml", a_request(**{"media_url": "https://files.example.com/a/photo1.jpg"}))
    assert filed.status == 201 and filed.headers["Content-Type"].startswith("text/xml")
    request = ElementTree.fromstring(filed.text.encode()).find("request")
    number = request.findtext("service_request_id")
    assert number.startswith("SQ") and request.findtext("account_id") == ""  # an empty element for null
    [record] = (await open311.get(f"/requests/{number}.json", api_key=KEY)).json
    assert record["media_url"] == "https://files.example.com/a/photo1.jpg"

    refused = await open311.post("/requests.xml", a_request(api_key=""))
    errors = ElementTree.fromstring(refused.text.encode())
    assert (refused.status, errors.tag, errors.find("error").findtext("code")) == (403, "errors", "403")

    for path in ("/tokens/abc.json", "/requests.csv", "/"):
        missing = await open311.get(path)
        assert missing.status == 404 and missing.json[0]["code"] == 404, path
    wrong_method = await open311.post("/services/tax.json", {})
    assert wrong_method.status == 405 and wrong_method.json[0]["code"] == 405
