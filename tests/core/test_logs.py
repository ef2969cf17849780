"""Log lines are JSON, carry the request id, and never contain a configured secret."""

import json
import logging

from app.logs import AddRequestId, JsonFormatter, RedactSecrets, request_id_var


def render(record_args: dict, secrets: list[str]) -> dict:
    record = logging.LogRecord("qiyun.test", logging.INFO, __file__, 1, record_args.pop("msg"), record_args.pop("args", None), None)
    for key, value in record_args.items():
        setattr(record, key, value)
    RedactSecrets(secrets).filter(record)
    AddRequestId().filter(record)
    return json.loads(JsonFormatter().format(record))


def test_secret_in_message_and_in_extra_fields_is_redacted():
    line = render(
        {"msg": "token is %s", "args": ("s3cret-token-value",), "url": "https://x/?access_token=s3cret-token-value"},
        ["s3cret-token-value"],
    )
    assert "s3cret-token-value" not in json.dumps(line)
    assert line["msg"] == "token is ***"
    assert line["url"].endswith("=***")


def test_request_id_comes_from_the_context():
    token = request_id_var.set("req-12345678")
    try:
        line = render({"msg": "hello"}, [])
    finally:
        request_id_var.reset(token)
    assert line["request_id"] == "req-12345678"
    assert line["level"] == "INFO" and line["logger"] == "qiyun.test"


def test_chinese_is_written_readably():
    line = JsonFormatter().format(logging.LogRecord("q", logging.INFO, __file__, 1, "企业诉求", None, None))
    assert "企业诉求" in line
