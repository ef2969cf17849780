"""Response rates of a sampled survey, by the AAPOR Standard Definitions.

The American Association for Public Opinion Research, *Standard Definitions: Final
Dispositions of Case Codes and Outcome Rates for Surveys* (10th ed., 2023), §"Response
Rates" (and its establishment-survey section), with the case counts

    I  complete                      (Disposition.complete)
    P  partial                       (Disposition.partial)
    R  refusal and break-off         (Disposition.refusal; opt-outs are refusals)
    NC non-contact                   (Disposition.non_contact)
    O  other eligible non-interview  (none in a register survey: always 0)
    UH/UO unknown eligibility        (Disposition.unknown, and `pending` while the survey runs)
    NE not eligible                  (Disposition.ineligible: closed, moved)

    RR1   = I / ((I+P) + (R+NC+O) + (UH+UO))
    RR2   = (I+P) / ((I+P) + (R+NC+O) + (UH+UO))
    RR3   = I / ((I+P) + (R+NC+O) + e(UH+UO))
    COOP1 = I / ((I+P) + R + O)

`e`, the estimated share of the unknown-eligibility cases that are eligible, is the
survey's `eligibility_rate` when staff set one, else AAPOR's proportional estimate from the
cases whose eligibility is known, (I+P+R+NC+O) / (I+P+R+NC+O+NE), computed over the whole
sample (strata are too small to estimate it each) — 1.0 while nothing is known, which
makes RR3 = RR1. Ineligible cases are out of every denominator. A rate whose denominator
is 0 is None (shown as "—"). Only `SurveySample` is read: rates never touch the answers.
(Checked against /work/shared/reference/government.md §2.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.enterprise.reference import District, Ownership, SizeClass
from app.survey.errors import SurveyNotFound
from app.survey.models import Disposition, Survey, SurveySample

__all__ = ["GROUPINGS", "Counts", "RateRow", "RateTable", "eligibility_estimate", "response_rates", "stratum_label"]

GROUPINGS: dict[str, str] = {
    "stratum": "分层",
    "district": "区",
    "size_class": "规模",
    "ownership": "所有制",
}
"""`by` -> its Chinese heading; None = overall only."""

_COLUMNS = {
    "stratum": "stratum",
    "district": "enterprise__district",
    "size_class": "enterprise__size_class",
    "ownership": "enterprise__ownership",
}


@dataclass
class Counts:
    """AAPOR case counts of a set of sampled enterprises."""

    I: int = 0  # noqa: E741 - AAPOR's name
    P: int = 0
    R: int = 0
    NC: int = 0
    O: int = 0  # noqa: E741
    UH: int = 0
    """Unknown eligibility: `unknown`, plus `pending` while the survey runs."""
    NE: int = 0
    pending: int = 0
    """Of UH, those still pending (not answered yet, survey running)."""

    def add(self, disposition: Disposition | str) -> None:
        d = Disposition(disposition)
        if d is Disposition.complete:
            self.I += 1
        elif d is Disposition.partial:
            self.P += 1
        elif d is Disposition.refusal:
            self.R += 1
        elif d is Disposition.non_contact:
            self.NC += 1
        elif d is Disposition.ineligible:
            self.NE += 1
        else:
            self.UH += 1
            if d is Disposition.pending:
                self.pending += 1

    @property
    def total(self) -> int:
        return self.I + self.P + self.R + self.NC + self.O + self.UH + self.NE

    @property
    def known_eligible(self) -> int:
        return self.I + self.P + self.R + self.NC + self.O


def eligibility_estimate(counts: Counts) -> float:
    """AAPOR's proportional e: eligible share of the cases whose eligibility is known (1.0 if none)."""
    known = counts.known_eligible + counts.NE
    return counts.known_eligible / known if known else 1.0


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


@dataclass(frozen=True)
class RateRow:
    """One line of the table: a group (or the whole sample) with its counts and rates."""

    key: str
    label: str
    counts: Counts
    e: float

    @property
    def rr1(self) -> float | None:
        c = self.counts
        return _ratio(c.I, (c.I + c.P) + (c.R + c.NC + c.O) + c.UH)

    @property
    def rr2(self) -> float | None:
        c = self.counts
        return _ratio(c.I + c.P, (c.I + c.P) + (c.R + c.NC + c.O) + c.UH)

    @property
    def rr3(self) -> float | None:
        c = self.counts
        return _ratio(c.I, (c.I + c.P) + (c.R + c.NC + c.O) + self.e * c.UH)

    @property
    def coop1(self) -> float | None:
        c = self.counts
        return _ratio(c.I, (c.I + c.P) + c.R + c.O)


@dataclass(frozen=True)
class RateTable:
    survey_id: int
    by: str | None
    e: float
    e_estimated: bool
    """True when e is estimated from the sample (the survey sets no eligibility rate)."""
    overall: RateRow
    groups: list[RateRow] = field(default_factory=list)


def _label(by: str, key: str) -> str:
    if by == "stratum":
        return stratum_label(key)
    enum = {"district": District, "size_class": SizeClass, "ownership": Ownership}[by]
    try:
        return enum(key).label
    except ValueError:
        return key or "（未知）"


def stratum_label(stratum: str) -> str:
    """`310115|small|private` -> `浦东新区 · 小型 · 民营` (parts that are not codes stay as they are)."""
    if not stratum:
        return "（未分层）"
    labels = []
    for part in stratum.split("|"):
        for enum in (District, SizeClass, Ownership):
            try:
                labels.append(enum(part).label)
                break
            except ValueError:
                continue
        else:
            labels.append(part)
    return " · ".join(labels)


def _value(raw: object) -> str:
    return str(getattr(raw, "value", raw) or "")


async def response_rates(*, survey_id: int, by: str | None = None) -> RateTable:
    """RR1, RR2, RR3 and COOP1 for the whole sample and, with `by` (a key of GROUPINGS),
    one row per stratum / district / size class / ownership, largest group first."""
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    survey = await Survey.get_or_none(id=survey_id)
    if survey is None:
        raise SurveyNotFound()
    columns = ["disposition"] + ([_COLUMNS[by]] if by else [])
    rows: Iterable[tuple] = await SurveySample.filter(survey_id=survey_id).values_list(*columns)
    overall = Counts()
    groups: dict[str, Counts] = {}
    for row in rows:
        overall.add(row[0])
        if by:
            groups.setdefault(_value(row[1]), Counts()).add(row[0])
    estimated = survey.eligibility_rate is None
    e = eligibility_estimate(overall) if estimated else float(survey.eligibility_rate)
    return RateTable(
        survey_id=survey_id, by=by, e=e, e_estimated=estimated,
        overall=RateRow("", "全部样本", overall, e),
        groups=[RateRow(key, _label(by, key), counts, e)
                for key, counts in sorted(groups.items(), key=lambda item: (-item[1].total, item[0]))] if by else [],
    )
