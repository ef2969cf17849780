"""Demo data for a local trial: organisations, staff accounts, a synthetic register and policies.

Loaded by `qiyun seed-demo` (and by `qiyun dev` on an empty database). Refused in
production, where organisations and staff are real and the register is imported.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.enterprise.models import Enterprise
from app.enterprise.reference import District
from app.enterprise.register_import import import_register
from app.enterprise.synthetic import write_register_csv
from app.organisation.models import OrganisationKind
from app.organisation.service import OrganisationSpec, upsert_organisations
from app.staff.models import Staff, StaffRole
from app.staff.service import create_staff

DEMO_SEED = 2017
COORDINATION_OFFICE = "city.coordination"

CITY_DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("city.development-reform", "上海市发展和改革委员会", "市发展改革委"),
    ("city.economy-it", "上海市经济和信息化委员会", "市经济信息化委"),
    ("city.commerce", "上海市商务委员会", "市商务委"),
    ("city.science-tech", "上海市科学技术委员会", "市科委"),
    ("city.human-resources", "上海市人力资源和社会保障局", "市人力资源社会保障局"),
    ("city.market-regulation", "上海市市场监督管理局", "市市场监管局"),
    ("city.taxation", "国家税务总局上海市税务局", "市税务局"),
    ("city.finance", "上海市财政局", "市财政局"),
    ("city.planning-resources", "上海市规划和自然资源局", "市规划资源局"),
    ("city.housing-construction", "上海市住房和城乡建设管理委员会", "市住房城乡建设管理委"),
    ("city.ecology-environment", "上海市生态环境局", "市生态环境局"),
    ("city.financial-regulation", "中共上海市委金融委员会办公室", "市委金融办"),
    ("city.intellectual-property", "上海市知识产权局", "市知识产权局"),
    ("city.customs", "中华人民共和国上海海关", "上海海关"),
)


@dataclass(frozen=True)
class DemoStaff:
    username: str
    display_name: str
    role: StaffRole
    organisation_code: str
    password: str


DEMO_STAFF: tuple[DemoStaff, ...] = (
    DemoStaff("admin", "市协调办管理员", StaffRole.city_admin, COORDINATION_OFFICE, "qiyun-admin-2017"),
    DemoStaff("pudong", "浦东新区管理员", StaffRole.district_admin, "district.310115", "qiyun-pudong-2017"),
    DemoStaff("keji", "市科委承办人", StaffRole.department_handler, "city.science-tech", "qiyun-keji-2017"),
    DemoStaff("shuiwu", "市税务局承办人", StaffRole.department_handler, "city.taxation", "qiyun-shuiwu-2017"),
    DemoStaff("zhengce", "政策编辑", StaffRole.policy_editor, COORDINATION_OFFICE, "qiyun-zhengce-2017"),
    DemoStaff("fuwu", "服务管理员", StaffRole.service_manager, COORDINATION_OFFICE, "qiyun-fuwu-2017"),
    DemoStaff("pinggu", "第三方评估员", StaffRole.evaluator, COORDINATION_OFFICE, "qiyun-pinggu-2017"),
)


def demo_organisations() -> list[OrganisationSpec]:
    specs = [
        OrganisationSpec(
            COORDINATION_OFFICE, "上海市企业服务联席会议办公室", OrganisationKind.coordination_office, "市协调办"
        )
    ]
    specs += [
        OrganisationSpec(code, name, OrganisationKind.city_department, short, parent_code=COORDINATION_OFFICE)
        for code, name, short in CITY_DEPARTMENTS
    ]
    for district in District:
        government = f"district.{district.value}"
        specs.append(
            OrganisationSpec(
                government,
                f"上海市{district.label}人民政府",
                OrganisationKind.district_government,
                district.label,
                district=district,
                parent_code=COORDINATION_OFFICE,
            )
        )
        specs.append(
            OrganisationSpec(
                f"{government}.service-centre",
                f"{district.label}企业服务中心",
                OrganisationKind.district_department,
                f"{district.label}企服中心",
                district=district,
                parent_code=government,
            )
        )
    specs.append(
        OrganisationSpec(
            "social.sme-association",
            "上海市中小企业发展服务中心",
            OrganisationKind.social_organisation,
            "市中小企业服务中心",
            parent_code=COORDINATION_OFFICE,
        )
    )
    return specs


async def seed_demo(
    *, enterprises: int = 2000, seed: int = DEMO_SEED, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Load the demo data; running it again changes nothing that is already there."""
    summary = {"organisations": await upsert_organisations(demo_organisations()), "staff": 0, "enterprises": 0, "policies": 0}
    for member in DEMO_STAFF:
        if not await Staff.filter(username=member.username).exists():
            await create_staff(
                username=member.username,
                display_name=member.display_name,
                password=member.password,
                role=member.role,
                organisation_code=member.organisation_code,
            )
            summary["staff"] += 1
    existing = await Enterprise.all().count()
    if existing < enterprises:
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "demo-register.csv"
            write_register_csv(path, enterprises, seed=seed)
            report = await import_register(
                path=path,
                progress=(lambda done, total: progress("enterprises", done, total)) if progress else None,
            )
        summary["enterprises"] = report.created
    from app.identity.demo import seed_demo_followers
    from app.policy.demo import seed_demo_policies  # late: the policy services import much of the app

    summary["policies"] = await seed_demo_policies()
    summary["followers"] = await seed_demo_followers(seed=seed)
    from app.appeal.demo import seed_demo_appeals  # late: it imports DemoStaff from this module

    summary["appeals"] = await seed_demo_appeals(seed=seed)
    from app.activity.demo import seed_demo_activities
    from app.directory.demo import seed_demo_directory
    from app.engagement.demo import seed_demo_engagements
    from app.provider.demo import seed_demo_providers

    summary["providers"] = await seed_demo_providers(seed=seed)
    summary["engagements"] = await seed_demo_engagements(seed=seed)  # needs the providers' products
    summary["directory"] = await seed_demo_directory(seed=seed)
    summary["activities"] = await seed_demo_activities(seed=seed)
    from app.survey.demo import seed_demo_surveys

    summary["surveys"] = await seed_demo_surveys(seed=seed)
    return summary
