"""The plan's definitions the register works with: categories, guardianship assessments and how often each
is visited (item 8), the special-concern situations, guardians' relations and situations — with the
Chinese every page, export and message uses."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hotline.children.models import Assessment, Category, GuardianStatus

CATEGORY_NAMES = {
    Category.LEFT_BEHIND.value: "留守儿童",
    Category.FAMILY_HARDSHIP.value: "家庭困境儿童",
    Category.SELF_HARDSHIP.value: "自身困境儿童",
    Category.GUARDIANSHIP_HARDSHIP.value: "监护困境儿童",
}
ASSESSMENT_NAMES = {
    Assessment.GOOD.value: "较好",
    Assessment.FAIR.value: "一般",
    Assessment.CONCERN.value: "重点关注",
}
#: 监护状况较好的每三个月、一般的每个月入户走访一次；重点关注的加大走访频次（每两周）
#: (months, days) after the last visit
VISIT_INTERVALS: dict[str, tuple[int, int]] = {
    Assessment.GOOD.value: (3, 0),
    Assessment.FAIR.value: (1, 0),
    Assessment.CONCERN.value: (0, 14),
}
VISIT_INTERVAL_NAMES = {Assessment.GOOD.value: "每三个月", Assessment.FAIR.value: "每月",
                        Assessment.CONCERN.value: "每两周"}
#: the plan's list of children to be given special concern (重点关注), item 8
CONCERNS = {
    "poor_family": "家庭贫困",
    "scattered_orphan": "社会散居孤儿（含参照孤儿保障）",
    "de_facto_unsupported": "事实无人抚养",
    "hiv": "艾滋病病毒感染",
    "parent_prison_rehab": "服刑或戒毒人员的未成年子女",
    "private_adoption": "私自收养",
    "rural_single_parent": "农村单亲家庭",
    "no_hukou": "无户籍",
    "out_of_school": "失学辍学",
    "seriously_ill": "重病",
    "disabled": "残疾",
    "vagrancy": "有流浪经历",
}
RELATION_NAMES = {"father": "父亲", "mother": "母亲", "grandparent": "祖父母/外祖父母", "relative": "其他亲属",
                  "other": "其他"}
GUARDIAN_STATUS_NAMES = {
    GuardianStatus.NORMAL.value: "正常履责",
    GuardianStatus.AWAY.value: "外出务工",
    GuardianStatus.IMPRISONED.value: "服刑在押",
    GuardianStatus.DRUG_REHAB.value: "强制隔离戒毒",
    GuardianStatus.DECEASED.value: "死亡",
    GuardianStatus.MISSING.value: "失踪、失联",
    GuardianStatus.SERIOUSLY_ILL.value: "重病",
    GuardianStatus.DISABLED.value: "重残",
    GuardianStatus.OTHER.value: "其他",
}
GENDER_NAMES = {"male": "男", "female": "女"}


def next_visit_due(assessment: str, since: date) -> date:
    """The day the next home visit is due, counted from the last visit (or the registration)."""
    months, days = VISIT_INTERVALS[assessment]
    return add_months(since, months) + timedelta(days=days)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_on(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))

