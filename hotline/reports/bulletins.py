"""Scheduled reports: the monthly bulletin (调度通报) and the annual progress report (年度工作进展报告).

The plan (吉民发〔2024〕2号, 五(二)) asks for 调度通报 and for every prefecture and county to report its year's
progress before 1 December. The system can give the hotline's side of that honestly: tickets by category and
place, children's matters handled, on-time rates per lead unit (the dashboard's rules, ``unit_figures``),
satisfaction, verification leads and their verdicts (``lead_figures``), overdue items (the one overdue rule of
``clocks`` and ``leads``) and 督办. What only people know (training, funds, activities, children registered) is
listed as 须人工补充, never invented.

A report is computed once, when published, into ``PublishedReport.data`` (JSON: ticket numbers, categories,
places and units only, no personal data); the console and the XLSX render it from there through
:func:`sheets`. Publishing is idempotent per (kind, period). Services flush, never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from hotline.accounts.actor import SYSTEM, Actor
from hotline.accounts.audit import record_audit
from hotline.accounts.models import Role
from hotline.errors import InputError, NotFound
from hotline.notifications.service import notify
from hotline.reports.dashboard import UnitFigures, local_day, overdue, unit_figures
from hotline.reports.models import PublishedReport
from hotline.scheduling.jobs import JobContext
from hotline.sentiment import leads as lead_rules
from hotline.sentiment.desk import RISK_NAMES
from hotline.sentiment.models import Lead, LeadEvent
from hotline.taxonomy import Taxonomy
from hotline.tickets import clocks
from hotline.tickets.lifecycle import TicketStatus
from hotline.tickets.models import Ticket, TicketEvent
from hotline.tickets.queries import visible_tickets
from hotline.timeutil import SHANGHAI, iso_local, local_minute, utcnow

KIND_NAMES = {"bulletin": "调度通报", "annual": "年度工作进展报告"}
#: the overdue lists stop here (the counts do not)
OVERDUE_LIST_LIMIT = 500
#: a children's matter is handled once answered directly, resolved by the unit or closed
HANDLED = frozenset({TicketStatus.ANSWERED, TicketStatus.RESOLVED, TicketStatus.CLOSED})
#: category "other" is not a children's matter (handed back to the general 12345 queue)
NOT_CHILDREN = "other"
UNCLASSIFIED = "未分类"
NO_PLACE, NO_COUNTY = "（地区未确定）", "（县区未确定）"
#: the plan's task measures (三、任务举措) and the ticket categories that belong to each (for reference: a
#: category is where a matter is filed, not a measure of the plan's work)
PLAN_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("三（一）精神素养提升行动", ("mental_health", "family_support")),
    ("三（二）监护提质行动", ("guardianship", "inmate_children", "legal_aid")),
    ("三（三）精准帮扶行动", ("basic_living", "education", "medical", "disability", "household_registration",
                         "parental_employment")),
    ("三（四）安全防护行动", ("personal_safety", "missing_child", "safety_hazard", "online_protection")),
    ("三（五）固本强基行动", ("welfare_institution",)),
)
#: what the annual report must cover and the system cannot fill from its data: (section, content, why)
MANUAL_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("三（一）精神素养提升行动", "法治教育与普法、心理关爱服务、精神文化活动的开展情况和覆盖人数",
     "系统只记录热线诉求，不记录各部门开展的活动"),
    ("三（二）监护提质行动", "监护职责落实、委托照护协议签订、监护干预（含撤销监护资格）、政府兜底监护和儿童福利机构情况",
     "系统只有来电反映的个案，没有委托照护、监护干预和机构的台账"),
    ("三（三）精准帮扶行动", "摸底走访、建档和数据录入的儿童人数，救助保障、教育帮扶、生活关爱和源头帮扶的落实人数与资金",
     "热线不为儿童建档；报告不含个人信息，工单数不等于儿童人数"),
    ("三（四）安全防护行动", "安全教育、安全隐患排查整改、专项执法和网络保护（“清朗”整治）的开展情况",
     "系统不记录各部门的专项行动"),
    ("三（五）16 儿童主任队伍建设", "儿童督导员、儿童主任的配备、实名登记、培训覆盖、津补贴和考评",
     "系统没有儿童督导员、儿童主任的名册和培训记录"),
    ("三（五）17 引导社会力量参与", "社工机构、志愿者、政府购买服务项目和示范性项目的覆盖情况",
     "系统没有社会组织和项目的数据"),
    ("三（五）18 加强数字化建设", "部门间数据共享、每季度数据比对、“跨省通办”办理情况",
     "系统只能提供 12345 热线和舆情核查督办部分（见各表），不掌握部门间数据共享"),
    ("四（三）巩固提升", "工作成效、经验做法、存在的困难问题和改进措施、对突出单位和个人的表扬",
     "须文字总结，不能由统计数字生成"),
    ("五（一）加强组织领导", "列入年度重点工作、部门责任落实、中央和地方财政资金投入",
     "系统没有组织和资金数据"),
    ("五（二）强化督促检查", "目标责任制考评、跟踪监测、座谈调研、第三方评估或督导、优秀案例",
     "系统只能提供已发布的调度通报期数和督办次数（见概况）"),
    ("五（三）广泛宣传引导", "政策宣传解读、宣传教育活动、先进单位和个人的宣传",
     "系统不记录宣传工作"),
)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    kind: str
    #: "2026-11" (bulletin) or "2026" (annual)
    code: str
    #: the period between two Beijing midnights: [start, end)
    start: datetime
    end: datetime

    @property
    def title(self) -> str:
        if self.kind == "bulletin":
            year, month = self.code.split("-")
            return f"{year}年{int(month)}月{KIND_NAMES['bulletin']}"
        return f"{self.code}年度工作进展报告"


def _beijing_midnight(year: int, month: int, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=SHANGHAI)


def parse_period(kind: str, code: str, *, now: datetime) -> Period:
    """A kind and a period as a person or a job names them; refuses a month that has not ended yet and a year
    that has not begun (a published period is never computed again)."""
    if kind not in KIND_NAMES:
        raise InputError("报告类型应为 bulletin（调度通报）或 annual（年度工作进展报告）", code="bad_kind")
    code = (code or "").strip()
    if kind == "bulletin":
        match = _MONTH.match(code)
        if not match or not (2000 <= int(match[1]) and 1 <= int(match[2]) <= 12):
            raise InputError(f"调度通报的期间应为“年-月”，如 2026-11（收到“{code[:20]}”）", code="bad_period")
        year, month = int(match[1]), int(match[2])
        start = _beijing_midnight(year, month)
        end = _beijing_midnight(year + month // 12, month % 12 + 1)
        if end > now:
            raise InputError(f"{year}年{month}月尚未结束，不能生成调度通报", code="period_not_ended")
    else:
        match = _YEAR.match(code)
        if not match or int(match[1]) < 2000:
            raise InputError(f"年度报告的期间应为四位年份，如 2026（收到“{code[:20]}”）", code="bad_period")
        year = int(match[1])
        start, end = _beijing_midnight(year, 1), _beijing_midnight(year + 1, 1)
        if start > now:
            raise InputError(f"{year}年尚未开始，不能生成年度报告", code="period_not_started")
    return Period(kind, code, start.astimezone(SHANGHAI), end.astimezone(SHANGHAI))


def month_before(now: datetime) -> str:
    """The calendar month before NOW's Beijing month, as "2026-11"."""
    first = now.astimezone(SHANGHAI).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def report_link(kind: str, period: str) -> str:
    """The console path of a published report (what notifications link to)."""
    return f"/console/reports/{kind}/{period}"


# --- figures -----------------------------------------------------------------------------------------------


def _grouped(session: Session, period: Period, *columns: Any) -> list[tuple[Any, ...]]:
    """Tickets received in the period, counted per COLUMNS."""
    stmt = (visible_tickets(SYSTEM)
            .where(Ticket.received_at >= period.start, Ticket.received_at < period.end)
            .with_only_columns(*columns, func.count())
            .group_by(*columns))
    return [tuple(row) for row in session.execute(stmt).all()]


def _ticket_figures(session: Session, period: Period, taxonomy: Taxonomy) -> dict[str, Any]:
    rows = _grouped(session, period, Ticket.category, Ticket.status, Ticket.urgency)
    per_category: dict[str | None, list[int]] = {}
    emergency = 0
    for category, status, urgency, n in rows:
        counts = per_category.setdefault(category, [0, 0])
        counts[0] += n
        if status in HANDLED:
            counts[1] += n
        if urgency == "emergency":
            emergency += n
    by_category = [
        {"code": code, "count": n, "handled": handled,
         "name": taxonomy.categories[code].name if code in taxonomy.categories else (code or UNCLASSIFIED)}
        for code, (n, handled) in sorted(per_category.items(), key=lambda kv: (-kv[1][0], kv[0] or "~"))
    ]
    children = [c for c in by_category if c["code"] and c["code"] != NOT_CHILDREN]
    police = session.scalar(
        visible_tickets(SYSTEM)
        .where(Ticket.received_at >= period.start, Ticket.received_at < period.end,
               Ticket.police_notified_at.is_not(None))
        .with_only_columns(func.count()))
    return {
        "received": sum(c["count"] for c in by_category),
        "children": sum(c["count"] for c in children),
        "children_handled": sum(c["handled"] for c in children),
        "other": per_category.get(NOT_CHILDREN, [0])[0],
        "unclassified": per_category.get(None, [0])[0],
        "emergency": emergency,
        "police_notified": police or 0,
        "by_category": by_category,
    }


def _place_figures(session: Session, period: Period) -> dict[str, Any]:
    rows = _grouped(session, period, Ticket.prefecture, Ticket.county)
    prefectures: dict[str, int] = {}
    for prefecture, _, n in rows:
        prefectures[prefecture or NO_PLACE] = prefectures.get(prefecture or NO_PLACE, 0) + n
    by_prefecture = sorted(prefectures.items(), key=lambda kv: (-kv[1], kv[0]))
    rank = {p: i for i, (p, _) in enumerate(by_prefecture)}
    by_county = sorted(
        ((prefecture or NO_PLACE, county or NO_COUNTY, n) for prefecture, county, n in rows),
        key=lambda r: (rank[r[0]], -r[2], r[1]))
    return {"by_prefecture": [{"prefecture": p, "count": n} for p, n in by_prefecture],
            "by_county": [{"prefecture": p, "county": c, "count": n} for p, c, n in by_county]}


def _by_month(session: Session, period: Period, as_of: datetime) -> list[dict[str, Any]]:
    """Tickets received per Beijing month of the year, up to the month of AS_OF."""
    months: dict[str, int] = {}
    for day, n in _grouped(session, period, local_day(session)):
        months[str(day)[:7]] = months.get(str(day)[:7], 0) + n
    year = period.start.astimezone(SHANGHAI).year
    last = as_of.astimezone(SHANGHAI).month if as_of < period.end else 12
    return [{"month": f"{year}-{m:02d}", "count": months.get(f"{year}-{m:02d}", 0)} for m in range(1, last + 1)]


UNIT_FIELDS = ("dispatched", "signed_on_time", "sign_due", "first_feedback_on_time", "first_feedback_due",
               "resolved_on_time", "resolve_due", "satisfied", "rated")


def _unit_rows(session: Session, period: Period, as_of: datetime) -> list[dict[str, Any]]:
    units = unit_figures(session, SYSTEM, period.start, as_of, limit=100_000, until=period.end)
    return [{"unit": u.unit, **{f: getattr(u, f) for f in UNIT_FIELDS}} for u in units]


def _supervision(session: Session, period: Period) -> dict[str, int]:
    """督办 in the period: by a person (supervise) or by the deadline sweep (escalate), on tickets and leads."""
    out = {}
    for prefix, model in (("tickets", TicketEvent), ("leads", LeadEvent)):
        rows = dict(session.execute(
            select(model.action, func.count())
            .where(model.action.in_(("supervise", "escalate")), model.at >= period.start, model.at < period.end)
            .group_by(model.action)).all())
        out[f"{prefix}_manual"], out[f"{prefix}_escalated"] = rows.get("supervise", 0), rows.get("escalate", 0)
    return out


def _overdue_tickets(session: Session, as_of: datetime, taxonomy: Taxonomy) -> tuple[int, list[dict[str, Any]]]:
    total = session.scalar(visible_tickets(SYSTEM).where(clocks.overdue_condition(as_of))
                           .with_only_columns(func.count())) or 0
    listed = []
    for t in overdue(session, SYSTEM, as_of, limit=OVERDUE_LIST_LIMIT):
        missed = clocks.missed(t, as_of)
        listed.append({
            "number": t.number,
            "category": taxonomy.categories[t.category].name if t.category in taxonomy.categories else UNCLASSIFIED,
            "prefecture": t.prefecture, "county": t.county, "unit": t.lead_unit.name if t.lead_unit else None,
            "clocks": "、".join(c.title for c in missed),
            "due": iso_local(min(c.due_at(t) for c in missed)) if missed else None,
            "supervised": t.supervision_count,
        })
    return total, listed


def _overdue_leads(session: Session, as_of: datetime) -> list[dict[str, Any]]:
    """The most overdue leads (``lead_figures`` counts them all)."""
    late = lead_rules.visible_leads(SYSTEM).where(lead_rules.overdue_condition(as_of))
    stmt = late.options(selectinload(Lead.event)).order_by(Lead.due_at).limit(OVERDUE_LIST_LIMIT)
    return [{"number": lead.number, "risk": lead.risk, "prefecture": lead.event.prefecture,
             "county": lead.event.county, "unit": lead.unit.name, "due": iso_local(lead.due_at),
             "supervised": lead.supervision_count} for lead in session.scalars(stmt)]


def build_report(session: Session, period: Period, taxonomy: Taxonomy, *, now: datetime) -> dict[str, Any]:
    """The figures of one period, judged as of NOW or the period's end, whichever is earlier."""
    as_of = min(now, period.end)
    leads = lead_rules.lead_figures(session, SYSTEM, period.start, as_of, until=period.end, listed=0)
    overdue_tickets, listed_tickets = _overdue_tickets(session, as_of, taxonomy)
    listed_leads = _overdue_leads(session, as_of)
    last_day = (period.end.astimezone(SHANGHAI) - timedelta(days=1)).date()
    data: dict[str, Any] = {
        "kind": period.kind, "period": period.code, "title": period.title,
        "first_day": period.start.astimezone(SHANGHAI).date().isoformat(),
        "last_day": min(last_day, as_of.astimezone(SHANGHAI).date()).isoformat(),
        "as_of": iso_local(as_of), "generated_at": iso_local(now),
        "tickets": _ticket_figures(session, period, taxonomy),
        **_place_figures(session, period),
        "units": _unit_rows(session, period, as_of),
        "leads": {k: v for k, v in leads.items() if k != "overdue_ids"},
        "supervision": _supervision(session, period),
        "overdue": {"tickets": overdue_tickets, "leads": leads["overdue_count"] or 0, "ticket_list": listed_tickets,
                    "lead_list": listed_leads},
    }
    if period.kind == "annual":
        by_code = {c["code"]: c for c in data["tickets"]["by_category"]}
        data["by_month"] = _by_month(session, period, as_of)
        data["plan_sections"] = [
            {"section": section, "categories": "、".join(taxonomy.categories[c].name for c in codes),
             "count": sum(by_code.get(c, {}).get("count", 0) for c in codes),
             "handled": sum(by_code.get(c, {}).get("handled", 0) for c in codes)}
            for section, codes in PLAN_SECTIONS
        ]
        data["bulletins_published"] = session.scalar(
            select(func.count()).select_from(PublishedReport)
            .where(PublishedReport.kind == "bulletin", PublishedReport.period.like(f"{period.code}-%"))) or 0
        data["manual"] = [{"section": s, "content": c, "reason": r} for s, c, r in MANUAL_SECTIONS]
    return data


# --- publishing ---------------------------------------------------------------------------------------------


def _find(session: Session, kind: str, period: str) -> PublishedReport | None:
    return session.scalar(select(PublishedReport).where(PublishedReport.kind == kind,
                                                        PublishedReport.period == period))


def publish(session: Session, kind: str, period: str, taxonomy: Taxonomy, *,
            now: datetime | None = None) -> tuple[PublishedReport, bool]:
    """Publish one period's report and tell the supervisors and the dispatchers; (report, created). A period
    already published is returned as it is: nothing is computed or notified again."""
    now = now or utcnow()
    found = parse_period(kind, period, now=now)
    existing = _find(session, kind, found.code)
    if existing is not None:
        return existing, False
    report = PublishedReport(kind=kind, period=found.code, generated_at=now,
                             data=build_report(session, found, taxonomy, now=now))
    try:
        with session.begin_nested():
            session.add(report)
    except IntegrityError:  # published at the same moment by another transaction (the job and an admin)
        existing = _find(session, kind, found.code)
        if existing is None:
            raise
        return existing, False
    ref, link = f"report:{kind}:{found.code}", report_link(kind, found.code)
    for role in (Role.SUPERVISOR, Role.DISPATCHER):
        notify(session, kind="report", title=f"{found.title}已生成", body="请登录系统查看，可下载 Excel。",
               ref=ref, link=link, audience=role, dedupe_key=f"{ref}:{role.value}", now=now)
    return report, True


def publish_now(session: Session, actor: Actor, kind: str, period: str, taxonomy: Taxonomy, *,
                source_ip: str | None = None, now: datetime | None = None) -> tuple[PublishedReport, bool]:
    """An administrator's 立即生成: :func:`publish`, recorded in the audit trail when something was published."""
    report, created = publish(session, kind, period, taxonomy, now=now)
    if created:
        record_audit(session, actor, "publish_report", f"report:{kind}:{report.period}", None, source_ip)
    return report, created


def publish_monthly(ctx: JobContext) -> dict[str, int]:
    """Job ``bulletin``: the 调度通报 of the month before ctx.now's Beijing month."""
    assert ctx.session is not None
    _, created = publish(ctx.session, "bulletin", month_before(ctx.now), ctx.runtime.taxonomy, now=ctx.now)
    return {"reports": int(created)}


def publish_annual(ctx: JobContext) -> dict[str, int]:
    """Job ``annual_report``: the 年度工作进展报告 of ctx.now's Beijing year, as of ctx.now."""
    assert ctx.session is not None
    year = str(ctx.now.astimezone(SHANGHAI).year)
    _, created = publish(ctx.session, "annual", year, ctx.runtime.taxonomy, now=ctx.now)
    return {"reports": int(created)}


def list_reports(session: Session) -> list[PublishedReport]:
    """Every published report, the newest first."""
    stmt = select(PublishedReport).order_by(PublishedReport.generated_at.desc(), PublishedReport.id.desc())
    return list(session.scalars(stmt))


def get_report(session: Session, kind: str, period: str) -> PublishedReport:
    report = _find(session, kind, period) if kind in KIND_NAMES else None
    if report is None:
        raise NotFound(f"{KIND_NAMES.get(kind, '报告')} {period[:20]} 尚未发布", code="report_not_found")
    return report


# --- rendering: the tables the console page and the XLSX both show ----------------------------------------


@dataclass(frozen=True)
class Sheet:
    #: the worksheet's name (at most 31 characters)
    name: str
    title: str
    header: list[str]
    #: cells: str, int, a rate (float 0..1) or None (no figure)
    rows: list[list[Any]] = field(default_factory=list)
    note: str | None = None


def _rate(part: int, whole: int) -> float | None:
    return UnitFigures.rate(part, whole)


def _total(units: list[dict[str, Any]], name: str) -> int:
    return sum(u[name] for u in units)


def _listed_note(total: int, listed: int) -> str | None:
    return f"共 {total} 条，仅列出前 {listed} 条" if total > listed else None


def sheets(report: PublishedReport | dict[str, Any]) -> list[Sheet]:
    """The report's tables, from its stored figures."""
    d = report.data if isinstance(report, PublishedReport) else report
    annual = d["kind"] == "annual"
    t, units, leads, sup, late = d["tickets"], d["units"], d["leads"], d["supervision"], d["overdue"]
    as_of = local_minute(datetime.fromisoformat(d["as_of"]))
    summary = [
        ["报告", d["title"]],
        ["统计区间", f"{d['first_day']} 至 {d['last_day']}（北京时间）"],
        ["数据截至", as_of],
        ["生成时间", local_minute(datetime.fromisoformat(d["generated_at"]))],
        ["受理工单", t["received"]],
        ["其中：涉儿童关爱事项", t["children"]],
        ["其中：非儿童关爱事项（转 12345 综合受理）", t["other"]],
        ["其中：待分类", t["unclassified"]],
        ["涉儿童关爱事项已办结（含直接答复）", t["children_handled"]],
        ["特急工单", t["emergency"]],
        ["已通知公安（强制报告）", t["police_notified"]],
        ["派单", _total(units, "dispatched")],
        ["按时签收率", _rate(_total(units, "signed_on_time"), _total(units, "sign_due"))],
        ["按时首次反馈率", _rate(_total(units, "first_feedback_on_time"), _total(units, "first_feedback_due"))],
        ["按时办结率", _rate(_total(units, "resolved_on_time"), _total(units, "resolve_due"))],
        ["满意率（满意、基本满意 / 已回访）", _rate(_total(units, "satisfied"), _total(units, "rated"))],
        ["下发核查线索", leads["total"]],
        ["核查线索按时报告率", _rate(leads["on_time"] or 0, leads["reported"] or 0)],
        ["人工督办（工单）", sup["tickets_manual"]],
        ["超期升级督办（工单）", sup["tickets_escalated"]],
        ["人工督办（核查线索）", sup["leads_manual"]],
        ["超期升级督办（核查线索）", sup["leads_escalated"]],
        [f"超期工单（截至 {as_of}）", late["tickets"]],
        [f"超期未报告的核查线索（截至 {as_of}）", late["leads"]],
    ]
    if annual:
        summary.append(["本年度已发布调度通报（期）", d["bulletins_published"]])
    out = [Sheet("概况", "概况", ["项目", "数值"], summary,
                 note="按时率：已办理或时限已过的工单中按时的比例；满意率：已回访工单中满意和基本满意的比例。")]
    if annual:
        out.append(Sheet("按月", "按月受理量", ["月份", "工单数"], [[m["month"], m["count"]] for m in d["by_month"]]))
    received = t["received"]
    out.append(Sheet("按分类", "按业务分类", ["业务分类", "工单数", "占比", "已办结（含直接答复）"],
                     [[c["name"], c["count"], _rate(c["count"], received), c["handled"]] for c in t["by_category"]]))
    if annual:
        out.append(Sheet("儿童关爱事项", "涉儿童关爱事项（按三年行动任务举措归口，供参考）",
                         ["任务举措", "对应业务分类", "工单数", "已办结（含直接答复）"],
                         [[s["section"], s["categories"], s["count"], s["handled"]] for s in d["plan_sections"]],
                         note="按工单的业务分类归口，反映群众诉求，不等同于该项任务的工作量。"))
    out.append(Sheet("按市州", "按市（州）", ["市（州）", "工单数", "占比"],
                     [[p["prefecture"], p["count"], _rate(p["count"], received)] for p in d["by_prefecture"]]))
    out.append(Sheet("按县区", "按县（市、区）", ["市（州）", "县（市、区）", "工单数"],
                     [[c["prefecture"], c["county"], c["count"]] for c in d["by_county"]]))
    out.append(Sheet("承办单位", "各主办单位按时签收、首次反馈、办结与满意率（按派单时间统计）",
                     ["主办单位", "派单", "按时签收率", "按时首次反馈率", "按时办结率", "满意率", "已回访"],
                     [[u["unit"], u["dispatched"], _rate(u["signed_on_time"], u["sign_due"]),
                       _rate(u["first_feedback_on_time"], u["first_feedback_due"]),
                       _rate(u["resolved_on_time"], u["resolve_due"]), _rate(u["satisfied"], u["rated"]), u["rated"]]
                      for u in units]))
    lead_rows = [[f"状态：{lead_rules.STATUS_NAMES_ZH[s]}", n] for s, n in leads["by_status"].items()]
    lead_rows += [[f"核查结论：{lead_rules.VERDICTS[v]}", n] for v, n in leads.get("by_verdict", {}).items()]
    out.append(Sheet("核查线索", "舆情核查线索（按下发时间统计）", ["项目", "数值"],
                     [["下发线索", leads["total"]], ["已报告", leads["reported"] or 0],
                      ["按时报告", leads["on_time"] or 0], *lead_rows]))
    out.append(Sheet("超期工单", f"超期工单（截至 {as_of}，签收、首次反馈或办结时限已过）",
                     ["工单编号", "业务分类", "市（州）", "县（市、区）", "主办单位", "超时的时限", "最早超时的时限", "督办次数"],
                     [[r["number"], r["category"], r["prefecture"], r["county"], r["unit"], r["clocks"],
                       local_minute(datetime.fromisoformat(r["due"])) if r["due"] else None, r["supervised"]]
                      for r in late["ticket_list"]],
                     note=_listed_note(late["tickets"], len(late["ticket_list"]))))
    out.append(Sheet("超期线索", f"超期未报告的核查线索（截至 {as_of}）",
                     ["线索编号", "风险", "市（州）", "县（市、区）", "承办单位", "核查时限", "督办次数"],
                     [[r["number"], RISK_NAMES.get(r["risk"], r["risk"]), r["prefecture"], r["county"], r["unit"],
                       local_minute(datetime.fromisoformat(r["due"])), r["supervised"]] for r in late["lead_list"]],
                     note=_listed_note(late["leads"], len(late["lead_list"]))))
    if annual:
        out.append(Sheet("须人工补充", "须人工补充（系统数据无法反映，请各地如实填写）", ["方案条目", "须补充的内容", "原因"],
                         [[m["section"], m["content"], m["reason"]] for m in d["manual"]]))
    return out
