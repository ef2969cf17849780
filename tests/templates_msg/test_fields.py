"""WeChat's value rules per field type, and how values are made to fit them:
shortened deliberately where that keeps the meaning, refused before sending where not."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from app.simulator.fields import subscribe_value_ok
from templates_msg.fields import FieldType, FieldValueError, clean_text, fit_value, is_valid, wechat_len


def fit(kind: str, value, *, template: bool = False):
    return fit_value(FieldType(kind), value, template_message=template)


# -- thing: at most 20 characters, cut with an ellipsis --------------------------------


def test_a_thing_of_twenty_characters_is_sent_unchanged():
    text = "一二三四五六七八九十一二三四五六七八九十"
    assert len(text) == 20
    assert fit("thing", text).text == text and not fit("thing", text).shortened


def test_a_longer_thing_is_cut_to_twenty_with_an_ellipsis_and_says_so():
    fitted = fit("thing", "浦东新区关于支持科技型中小企业研发投入的若干措施")
    assert fitted.text == "浦东新区关于支持科技型中小企业研发投入…"
    assert len(fitted.text) == 20 and fitted.shortened and "20" in fitted.note


def test_the_cut_does_not_leave_punctuation_before_the_ellipsis():
    assert fit("thing", "您好，贵公司的租金补贴申请已通过初审，预计六月底前拨付").text == "您好，贵公司的租金补贴申请已通过初审…"


def test_the_cut_does_not_end_inside_a_bracket_just_opened():
    fitted = fit("thing", "研发费用加计扣除政策解读与申报指引（2024年版）")
    assert fitted.text == "研发费用加计扣除政策解读与申报指引…"
    assert fit("thing", "关于《上海市促进中小企业发展条例》的实施细则").text == "关于《上海市促进中小企业发展条例》的实…"


def test_line_breaks_and_runs_of_whitespace_become_one_space():
    fitted = fit("thing", "第一行\r\n第二行\n\n  第三行\t结束")
    assert fitted.text == "第一行 第二行 第三行 结束"
    assert not fitted.shortened and fitted.note


def test_emoji_and_control_characters_are_removed():
    assert clean_text("申报成功🎉\u200d✅\x07啦") == "申报成功啦"


def test_characters_outside_the_bmp_count_twice_as_wechat_counts_them():
    assert wechat_len("𠮷") == 2
    fitted = fit("thing", "𠮷" * 15)
    assert wechat_len(fitted.text) <= 20 and fitted.text.endswith("…")


# -- template messages: 20 characters for every field, no line breaks -------------------


def test_a_template_message_caps_a_character_string_at_twenty():
    code = "SQ2024050100012345678901"
    assert fit("character_string", code).text == code  # a subscribe message allows 32
    fitted = fit("character_string", code, template=True)
    assert fitted.text == "SQ202405010001234..." and len(fitted.text) == 20 and fitted.shortened


def test_a_value_that_cannot_be_cut_is_refused_for_a_template_message():
    with pytest.raises(FieldValueError, match="20"):
        fit("number", "1" * 25, template=True)


# -- phrase: at most 5 Chinese characters, never cut -----------------------------------


def test_a_phrase_is_five_chinese_characters_at_most():
    assert fit("phrase", "资金补贴").text == "资金补贴"
    for bad in ("资金补贴与扶持", "OK", "已受理!", "资金 补贴x"):
        with pytest.raises(FieldValueError, match="phrase"):
            fit("phrase", bad)


# -- character_string: letters, digits, ASCII symbols ----------------------------------


def test_a_character_string_loses_spaces_keeps_symbols_and_refuses_chinese():
    assert fit("character_string", " SQ-2024 05/01#7 ").text == "SQ-202405/01#7"
    with pytest.raises(FieldValueError, match="character_string"):
        fit("character_string", "沪SQ001")
    fitted = fit("character_string", "A" * 40)
    assert fitted.text == "A" * 29 + "..." and fitted.shortened


# -- numbers and amounts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(42, "42"), (Decimal("12.50"), "12.5"), ("1,200", "1200"), (-3.25, "-3.25"), (Decimal("1E+3"), "1000")],
)
def test_numbers_are_plain_digits(value, expected):
    assert fit("number", value).text == expected


def test_what_is_not_a_number_is_refused():
    for bad in ("abc", True, float("nan"), "1" * 33):
        with pytest.raises(FieldValueError):
            fit("number", bad)


@pytest.mark.parametrize(
    ("value", "expected"), [(Decimal("1200"), "1200元"), (Decimal("99.5"), "99.50元"), ("¥35.8", "¥35.8"), (7, "7元")]
)
def test_amounts_are_digits_with_a_currency(value, expected):
    assert fit("amount", value).text == expected


def test_an_amount_of_more_than_ten_digits_is_refused():
    with pytest.raises(FieldValueError, match="10 digits"):
        fit("amount", Decimal("12345678901"))


# -- time and date ---------------------------------------------------------------------


def test_times_are_shown_in_shanghai_time_with_their_date():
    assert fit("time", datetime(2024, 5, 1, 1, 30, tzinfo=UTC)).text == "2024年5月1日 09:30"
    assert fit("time", datetime(2024, 12, 31, 23, 59)).text == "2024年12月31日 23:59"
    assert fit("time", time(8, 5)).text == "08:05"
    assert fit("time", "2024-05-01 15:01").text == "2024年5月1日 15:01"
    assert fit("time", "2024年5月1日 15:01").text == "2024年5月1日 15:01"


def test_a_time_field_refuses_a_bare_date_or_free_text():
    for bad in (date(2024, 5, 1), "明天下午", "25:00"):
        with pytest.raises(FieldValueError, match="time"):
            fit("time", bad)


def test_dates_are_year_month_day_and_keep_a_time_of_day_when_there_is_one():
    assert fit("date", date(2024, 6, 30)).text == "2024年6月30日"
    assert fit("date", "2024-06-30").text == "2024年6月30日"
    assert fit("date", datetime(2024, 6, 29, 16, 0, tzinfo=UTC)).text == "2024年6月30日"  # midnight in Shanghai
    assert fit("date", datetime(2024, 6, 30, 9, 0, tzinfo=UTC)).text == "2024年6月30日 17:00"
    with pytest.raises(FieldValueError, match="date"):
        fit("date", "下周")


# -- the rest --------------------------------------------------------------------------


def test_names_are_cut_without_an_ellipsis():
    assert fit("name", "张三").text == "张三"
    fitted = fit("name", "阿卜杜热合曼·买买提艾力江")
    assert len(fitted.text) == 10 and fitted.shortened and not fitted.text.endswith("…")
    assert fit("name", "Alexander Hamilton-Smith Jr").text == "Alexander Hamilton-S"


def test_phone_numbers_symbols_letters_and_car_numbers_keep_their_rules():
    assert fit("phone_number", "+86-021-12345678").text == "+86-021-12345678"
    with pytest.raises(FieldValueError):
        fit("phone_number", "请拨打12345")
    assert fit("letter", "ABC").text == "ABC"
    with pytest.raises(FieldValueError):
        fit("letter", "A1")
    assert fit("symbol", "※#").text == "※#"
    assert fit("car_number", "沪A 12345").text == "沪A12345"
    with pytest.raises(FieldValueError):
        fit("car_number", "沪A123456789")


def test_an_empty_value_is_never_sent():
    for kind in ("thing", "character_string", "name"):
        with pytest.raises(FieldValueError, match="empty"):
            fit(kind, " \n ")


# -- agreement with the simulated WeChat -----------------------------------------------


def test_whatever_fits_the_simulated_wechat_accepts_for_subscribe_and_template_messages():
    rng = random.Random(20240501)
    alphabet = "企业服务云政策申报补贴研发 \n\tABCxyz0123456789，。-_/#:😀𠮷"
    samples = {
        FieldType.thing: lambda: "".join(rng.choices(alphabet, k=rng.randint(1, 60))),
        FieldType.character_string: lambda: "".join(rng.choices("ABCxyz0123456789-_/# ", k=rng.randint(1, 60))),
        FieldType.number: lambda: rng.choice([rng.randint(-10**6, 10**6), Decimal(rng.randint(0, 10**8)) / 100]),
        FieldType.time: lambda: datetime(2024, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                                         rng.randint(0, 59), tzinfo=UTC),
        FieldType.date: lambda: date(2024, rng.randint(1, 12), rng.randint(1, 28)),
        FieldType.amount: lambda: Decimal(rng.randint(0, 10**9)) / 100,
        FieldType.name: lambda: "".join(rng.choices("张王李赵欧阳司马", k=rng.randint(1, 15))),
    }
    for field_type, sample in samples.items():
        for _ in range(200):
            value = sample()
            if not clean_text(value):
                continue  # refused as empty, tested above
            for template in (False, True):
                text = fit_value(field_type, value, template_message=template).text
                assert is_valid(field_type, text, template_message=template), (field_type, value, text)
                assert subscribe_value_ok(field_type.value, text), (field_type, value, text)
                if template:
                    assert len(text) <= 20 and "\n" not in text
