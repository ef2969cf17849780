"""Benchmark: a stratified sample of 1,000 from a register of 100,000 enterprises.

    python benchmarks/survey_sampling.py                      # a temporary SQLite file
    python benchmarks/survey_sampling.py --enterprises 200000 --size 2000 --reachable-share 0.2
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python benchmarks/survey_sampling.py

Writes a register of --enterprises enterprises spread over the 16 districts, five size
classes and six ownership types (skewed as a real register is: mostly small and micro private
firms), binds a person who follows the account to --reachable-share of them, then times what
staff do on the sample page through `app.survey.sampling`: a preview over the whole register
(district × size × ownership strata, proportional allocation), a draw that writes the sample,
and the same two over the reachable frame only. Checks that two draws with one seed on two
surveys choose the same enterprises, that a third seed chooses others, that each stratum's
rows carry n_h/N_h, and that the sample adds up to --size. Exits with status 1 if a check fails.

With a PostgreSQL URL it creates a scratch database on that server and drops it afterwards;
SQLite always runs on a temporary file (a sqlite:// DATABASE_URL is ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import db  # noqa: E402
from app.enterprise.models import Enterprise  # noqa: E402
from app.enterprise.reference import District, LifecycleStage, Ownership, SizeClass  # noqa: E402
from app.identity.models import EnterpriseBinding, Follower, WeChatUser  # noqa: E402
from app.survey import sampling  # noqa: E402
from app.survey.models import Survey, SurveyKind, SurveySample  # noqa: E402
from benchmarks.support import database_version, drop_database, machine_line, scratch_database  # noqa: E402

SIZES = {SizeClass.large: 1, SizeClass.medium: 4, SizeClass.small: 25, SizeClass.micro: 55, SizeClass.individual: 15}
OWNERSHIPS = {Ownership.private: 80, Ownership.foreign: 7, Ownership.hmt: 4, Ownership.local_soe: 3,
              Ownership.central_soe: 1, Ownership.other: 5}
DISTRICTS = {district: weight for district, weight in zip(District, (3, 5, 3, 5, 4, 3, 4, 10, 7, 8, 20, 3, 7, 6, 6, 6),
                                                           strict=True)}


def _pick(rng: random.Random, weights: dict) -> list:
    return rng.choices(list(weights), weights=list(weights.values()), k=1)[0]


async def make_register(count: int, reachable_share: float) -> None:
    rng = random.Random(7)
    batch: list[Enterprise] = []
    for n in range(count):
        batch.append(Enterprise(
            credit_code=f"9131{n:014d}", name=f"基准测试{n}有限公司", legal_representative="王五",
            district=_pick(rng, DISTRICTS), industry_section="C", industry_division="39", size_class=_pick(rng, SIZES),
            ownership=_pick(rng, OWNERSHIPS), registered_capital=Decimal("100.00"), established_on=date(2015, 1, 1),
            lifecycle_stage=LifecycleStage.growth, tags=[],
        ))
        if len(batch) == 2000:
            await Enterprise.bulk_create(batch, batch_size=2000)
            batch = []
    if batch:
        await Enterprise.bulk_create(batch, batch_size=2000)
    ids = list(await Enterprise.all().order_by("id").values_list("id", flat=True))
    bound = rng.sample(ids, int(len(ids) * reachable_share))
    for start in range(0, len(bound), 2000):
        chunk = bound[start : start + 2000]
        await WeChatUser.bulk_create([WeChatUser(unionid=f"u-bench-sampling-{i}") for i in chunk], batch_size=2000)
        users = dict(await WeChatUser.filter(unionid__in=[f"u-bench-sampling-{i}" for i in chunk]).values_list("unionid", "id"))
        await Follower.bulk_create([Follower(openid=f"o-bench-sampling-{i}", user_id=users[f"u-bench-sampling-{i}"])
                                    for i in chunk], batch_size=2000)
        await EnterpriseBinding.bulk_create([
            EnterpriseBinding(user_id=users[f"u-bench-sampling-{i}"], enterprise_id=i, role="contact", verified_by="bench")
            for i in chunk], batch_size=2000)


async def timed(label: str, body):
    started = time.perf_counter()
    result = await body()
    print(f"  {label:<44} {time.perf_counter() - started:7.2f} s")
    return result


async def run(args: argparse.Namespace) -> int:
    scratch = Path(tempfile.mkdtemp(prefix="qiyun-bench-sampling-"))
    database = None
    if args.database_url and db.backend_name(args.database_url) == "postgres":
        url = database = await scratch_database(args.database_url)
    else:
        url = f"sqlite://{scratch / 'bench.sqlite3'}"
    failures: list[str] = []
    try:
        await db.apply_migrations(url)
        await db.open_database(url)
        try:
            print(f"backend {db.backend_name(url)} ({platform.python_implementation()} {platform.python_version()}): "
                  f"{args.enterprises:,} enterprises, {args.reachable_share:.0%} reachable, sample {args.size:,}")
            await timed(f"writing the register ({args.enterprises:,})", lambda: make_register(args.enterprises,
                                                                                             args.reachable_share))
            surveys = [await Survey.create(title=f"基准测试调查{n}", kind=SurveyKind.annual) for n in range(4)]
            whole = sampling.SampleDesign(size=args.size, seed=args.seed, reachable_only=False)
            shown = await timed("preview, whole register (3 strata variables)", lambda: sampling.preview(design=whole))
            print(f"    {len(shown.strata):,} strata, frame {shown.frame_size:,}")
            first = await timed("draw, whole register", lambda: sampling.draw(staff=None, survey_id=surveys[0].id,
                                                                               design=whole))
            await timed("draw again with the same seed (a redraw)", lambda: sampling.draw(
                staff=None, survey_id=surveys[1].id, design=whole))
            await timed("draw with another seed", lambda: sampling.draw(
                staff=None, survey_id=surveys[2].id, design=sampling.SampleDesign(size=args.size, seed=args.seed + 1,
                                                                                  reachable_only=False)))
            reachable = sampling.SampleDesign(size=args.size, seed=args.seed)
            frame = await timed("preview, reachable enterprises only", lambda: sampling.preview(design=reachable))
            print(f"    frame {frame.frame_size:,}")
            await timed("draw, reachable enterprises only", lambda: sampling.draw(staff=None, survey_id=surveys[3].id,
                                                                                  design=reachable))

            async def chosen(survey):
                return sorted(await SurveySample.filter(survey_id=survey.id).values_list("enterprise_id", flat=True))

            rows = await SurveySample.filter(survey_id=surveys[0].id).values_list("stratum", "inclusion_probability")
            table = {row.key: row for row in first.strata}
            per_stratum = Counter(stratum for stratum, _ in rows)
            checks = [
                (f"{args.size:,} rows written", len(rows) == args.size, len(rows)),
                ("the preview is what was drawn", sorted(shown.enterprise_ids) == await chosen(surveys[0]), ""),
                ("same seed, same enterprises", await chosen(surveys[0]) == await chosen(surveys[1]), ""),
                ("another seed, other enterprises", await chosen(surveys[0]) != await chosen(surveys[2]), ""),
                ("rows per stratum = n_h", all(per_stratum[key] == row.allocated for key, row in table.items()), ""),
                ("probability = n_h/N_h", all(abs(p - table[s].allocated / table[s].population) < 1e-9 for s, p in rows), ""),
                ("reachable sample only from bound enterprises", len(await chosen(surveys[3])) == args.size, ""),
            ]
            for label, ok, seen in checks:
                print(f"  {'ok ' if ok else 'FAIL'} {label}" + ("" if ok else f"  (found: {seen})"))
                if not ok:
                    failures.append(label)
            print(machine_line(await database_version(url)))
        finally:
            await db.close_database()
    finally:
        if database:
            await drop_database(database)
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--reachable-share", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
