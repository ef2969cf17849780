"""What a report says: the headline figures are the dashboard's (`period_figures`), with the
quarter before beside them, the league table and the common issues of the scope."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from app.reporting.figures import SurveyFigures, period_figures
from app.reporting.report_content import SUMMARY_LINES, _closed_within, compose_report, headline_figures
from app.reporting.scope import CITY, scope_for_organisation
from tests.reporting.report_data import CENTRE, KEJI, NOW, PUDONG, Q2, seed_two_quarters


@pytest.fixture
async def orgs(db, settings):
    return await seed_two_quarters(settings)


async def test_the_summary_is_the_dashboards_figures_for_the_same_period_and_scope(orgs, settings):
    content = await compose_report(scope=CITY, **Q2, settings=settings, now=NOW)
    figures = await period_figures(scope=CITY, **Q2, settings=settings, now=NOW)
    values = {v.line.key: v for v in content.summary}
    assert [v.line.key for v in content.summary] == [line.key for line in SUMMARY_LINES]
    for line in SUMMARY_LINES:  # every headline figure, read the way the dashboard reads it
        assert values[line.key].value == pytest.approx(line.read(figures)), line.key
    # By hand: Q2 has 5 + 5 + 4 closed appeals, 12 of them good.
    assert values["appeals.received"].value == 14 and values["appeals.closed"].value == 14
    assert values["appeals.resolution_rate"].value == pytest.approx(12 / 14)
    assert values["appeals.satisfaction_rate"].value == pytest.approx(12 / 14)
    # The quarter before: 10 appeals, 5 good; the change is this minus that.
    assert (content.previous_start, content.previous_end) == (date(2025, 1, 1), date(2025, 3, 31))
    assert values["appeals.received"].previous == 10 and values["appeals.received"].change == 4
    assert values["appeals.resolution_rate"].previous == pytest.approx(0.5)
    assert values["appeals.resolution_rate"].change == pytest.approx(12 / 14 - 0.5)
    assert values["appeals.overdue_now"].previous is None  # "now" whatever the period: no comparison
    # Changes are coloured by whether they are good news: more resolved is better, slower is worse.
    assert values["appeals.resolution_rate"].trend == "better"
    assert values["appeals.avg_close_days"].line.lower_is_better


async def test_the_league_and_the_common_issues_of_the_period(orgs, settings):
    content = await compose_report(scope=CITY, **Q2, settings=settings, now=NOW)
    assert content.title == "上海市企业服务动态（2025年第二季度）"
    labels = [entry.row.label for entry in content.league.rows]
    assert labels[:2] == ["市科委", "浦东新区企服中心"] or labels[0] == "市科委"
    keji = next(e for e in content.league.rows if e.row.key == orgs[KEJI].id)
    assert keji.row.score == pytest.approx(100.0) and keji.score_change == pytest.approx(100.0)
    [rent] = [issue for issue in content.top_issues if issue.size == 3]
    assert any("租金" in word or "厂房" in word for word in rent.hot_words)
    assert rent.organisations[0][0] == orgs[CENTRE].id


async def test_a_district_report_covers_the_district_only(orgs, settings):
    pudong = await scope_for_organisation(orgs[PUDONG].id)
    content = await compose_report(scope=pudong, **Q2, settings=settings, now=NOW)
    figures = await period_figures(scope=pudong, **Q2, settings=settings, now=NOW)
    assert content.title == "上海市企业服务动态·浦东新区（2025年第二季度）"
    assert [entry.row.label for entry in content.league.rows] == ["浦东新区企服中心"]
    values = {v.line.key: v.value for v in content.summary}
    assert values["appeals.received"] == figures.appeals.received == 4
    assert content.figures.providers is None  # providers are the city's
    assert len(content.top_issues) == 1


async def test_the_kept_figures_are_the_summary(orgs, settings):
    content = await compose_report(scope=CITY, **Q2, settings=settings, now=NOW)
    kept = headline_figures(content)
    assert kept["period"] == ["2025-04-01", "2025-06-30"]
    assert kept["values"]["appeals.received"] == 14 and kept["previous"]["appeals.received"] == 10
    assert set(kept["values"]) == {line.key for line in SUMMARY_LINES}


def test_only_surveys_closed_within_the_period_are_reported():
    def survey(closed_at):
        return SurveyFigures(survey_id=1, title="t", status="closed", closed_at=closed_at, sampled=1, completed=1,
                             response_rate=1.0, overall_score=80.0)

    start, end = Q2["period_start"], Q2["period_end"]
    assert _closed_within(survey(datetime(2025, 6, 30, 15, 59, tzinfo=timezone.utc)), start, end)  # 23:59 Shanghai
    assert not _closed_within(survey(datetime(2025, 6, 30, 16, 0, tzinfo=timezone.utc)), start, end)  # 1 July
    assert not _closed_within(survey(None), start, end)  # still open
