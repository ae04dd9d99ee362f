"""``hotline init``: migrate, load regions and units, and optionally demo users, tickets and sentiment items."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from hotline.accounts.actor import SYSTEM, Actor
from hotline.accounts.models import Role, User
from hotline.accounts.passwords import generate_password
from hotline.accounts.users import create_user
from hotline.children import register
from hotline.children.matching import check_digit
from hotline.children.models import Child, Place
from hotline.children.places import find_place, import_places
from hotline.config import make_private_dir
from hotline.directory.units import seed_reference_data
from hotline.knowledge.content import ImportReport, import_articles, load_kb_content
from hotline.migrate import upgrade
from hotline.runtime import Runtime
from hotline.sentiment.models import SentimentItem
from hotline.sentiment.pipeline import ingest_batch
from hotline.tickets import actions, intake
from hotline.tickets.models import Ticket
from hotline.timeutil import utcnow

#: one demo account per role: (username, role, unit code, display name, places looked after)
DEMO_USERS = [
    ("demo_operator", Role.OPERATOR, None, "演示话务员", ()),
    ("demo_dispatcher", Role.DISPATCHER, None, "演示调度员", ()),
    ("demo_agency", Role.AGENCY_STAFF, "civil_affairs:长春市/农安县", "农安县民政局（演示）", ()),
    ("demo_supervisor", Role.SUPERVISOR, None, "演示督导", ()),
    ("demo_admin", Role.ADMIN, None, "演示管理员", ()),
    ("demo_township", Role.CHILD_SUPERVISOR, None, "合隆镇儿童督导员（演示）", ("长春市/农安县/合隆镇",)),
    ("demo_director", Role.CHILD_DIRECTOR, None, "陈家店村儿童主任（演示）",
     ("长春市/农安县/合隆镇/陈家店村", "长春市/农安县/合隆镇/合隆村")),
]
DEMO_PLACES = Path(__file__).with_name("data") / "demo_places.csv"
#: fabricated children (no real people): (name, 18-digit ID without its check digit, village, category,
#: assessment, concerns, guardians as (relation, name, status, phone))
DEMO_CHILDREN = [
    ("王小雨", "22012220160412002", "陈家店村", "left_behind", "fair", (),
     (("father", "王建军", "away", "13600000001"), ("grandparent", "王桂兰", "normal", "13600000002"))),
    ("刘思源", "22012220130905003", "陈家店村", "guardianship_hardship", "concern", ("parent_prison_rehab",),
     (("father", "刘志刚", "imprisoned", None), ("mother", "张丽", "missing", None),
      ("grandparent", "刘德福", "normal", "13600000003"))),
    ("陈佳怡", "22012220180121004", "合隆村", "self_hardship", "concern", ("disabled",),
     (("mother", "陈秀梅", "normal", "13600000004"),)),
    ("李浩然", "22012220150630005", "合隆村", "left_behind", "good", (),
     (("mother", "赵晓红", "away", "13600000005"), ("grandparent", "李成", "normal", "13600000006"))),
    ("孙梦琪", "22012220170818006", "哈拉海村", "family_hardship", "fair", ("poor_family",),
     (("father", "孙强", "seriously_ill", "13600000007"),)),
]

# Fabricated demo calls (no real people). (text, category, kind, urgency, prefecture, county, action plan)
DEMO_TICKETS = [
    (
        "来电人反映，农安县某村一名7岁儿童父母均在外地务工，爷爷住院，孩子独自在家两天，无人照料。",
        "guardianship",
        "report",
        "emergency",
        "长春市",
        "农安县",
        ["dispatch", "sign"],
    ),
    (
        "市民咨询孤儿基本生活费的申请条件和办理地点。",
        "basic_living",
        "consult",
        "normal",
        "长春市",
        "农安县",
        ["answer"],
    ),
    (
        "来电人称孩子在校被同学多次索要钱财并推搡，已向班主任反映但未处理，希望教育部门介入。",
        "personal_safety",
        "complaint",
        "urgent",
        "长春市",
        "农安县",
        ["dispatch"],
    ),
    (
        "来电人称孩子父亲去年去世，母亲重病卧床，家里没有收入，想申请事实无人抚养儿童生活补贴。",
        "basic_living",
        "help",
        "normal",
        "长春市",
        "农安县",
        ["dispatch", "sign", "progress", "resolve"],
    ),
    (
        "家长反映孩子患先天性心脏病，家庭困难，想了解“生命之光”救助项目如何申请。",
        "medical",
        "help",
        "normal",
        "长春市",
        "农安县",
        ["dispatch"],
    ),
    (
        "来电人建议在村里儿童之家增加课后作业辅导志愿者。",
        "family_support",
        "suggestion",
        "normal",
        "长春市",
        "农安县",
        [],
    ),
]


@dataclass
class InitReport:
    reference_rows: int = 0
    kb: ImportReport | None = None
    demo_credentials: list[tuple[str, str, str]] = field(default_factory=list)
    demo_tickets: int = 0
    demo_sentiment: int = 0
    demo_children: int = 0


def initialise(state: Runtime, *, demo: bool = False) -> InitReport:
    make_private_dir(state.settings.instance_path)
    with state.db.connect() as connection:
        upgrade(connection, cipher=state.cipher)  # 0014 seals the tickets' existing personal data
    report = InitReport()
    with state.db.transaction() as session:
        report.reference_rows = seed_reference_data(session, state.taxonomy)
    with state.db.transaction() as session:
        report.kb = import_articles(session, load_kb_content(state.taxonomy.categories))
    if not demo:
        return report
    with state.db.transaction() as session:
        existing = set(session.scalars(select(User.username)))
        import_places(session, DEMO_PLACES.read_text(encoding="utf-8"))
        for username, role, unit, display, paths in DEMO_USERS:
            if username not in existing:
                password = generate_password()  # an initial password: changed at first login, void after 24 h
                create_user(session, username, role, password, unit_code=unit, display_name=display,
                            places=[find_place(session, p) for p in paths], must_change=True, by="system:init")
                report.demo_credentials.append((username, role.value, password))
    with state.db.transaction() as session:
        if (session.scalar(select(func.count(Child.id))) or 0) == 0:
            report.demo_children = _demo_children(session, state)
    with state.db.transaction() as session:
        if (session.scalar(select(func.count(Ticket.id))) or 0) == 0:
            report.demo_tickets = _demo_tickets(session, state)
    with state.db.transaction(readonly=True) as session:
        has_items = (session.scalar(select(func.count(SentimentItem.id))) or 0) > 0
    if not has_items:
        report.demo_sentiment = _demo_sentiment(state)
    return report


#: fabricated 舆情 items (six stories: posts, reposts, rewrites, official follow-ups); their times are squeezed
#: into the three days before the last hour, so that the desk's default period (7 days) shows them all
DEMO_SENTIMENT = Path(__file__).with_name("data") / "demo_sentiment.jsonl"
DEMO_SPAN = timedelta(days=3)


def _demo_sentiment(state: Runtime) -> int:
    rows = [json.loads(line) for line in DEMO_SENTIMENT.read_text(encoding="utf-8").splitlines() if line.strip()]
    moments = [datetime.fromisoformat(row["published_at"]) for row in rows]
    first, last, end = min(moments), max(moments), utcnow() - timedelta(hours=1)
    scale = min(1.0, DEMO_SPAN / (last - first)) if last > first else 1.0
    for row, moment in zip(rows, moments, strict=True):
        row["published_at"] = (end - (last - moment) * scale).isoformat()
    return sum(outcome.status == "accepted" for outcome in ingest_batch(state, rows))


def _demo_children(session, state: Runtime) -> int:  # noqa: ANN001
    director = session.scalar(select(User).where(User.username == "demo_director"))
    actor = Actor("user", "demo_director", Role.CHILD_DIRECTOR, None, director.id if director else None,
                  places=frozenset(p.id for p in director.places) if director else frozenset())
    villages = {p.name: p for p in session.scalars(select(Place))}
    now = utcnow()
    for name, first17, village, category, assessment, concerns, guardians in DEMO_CHILDREN:
        values = {f.name: None for f in register.CHILD_SPEC.fields}
        values.update(name=name, id_number=first17 + check_digit(first17), residence_place=villages[village].id,
                      category=category, assessment=assessment, concerns=list(concerns))
        people = [{"relation": r, "name": n, "status": st, "phone": ph, "id_number": None, "birth_date": None}
                  for r, n, st, ph in guardians]
        who = actor if villages[village].id in actor.places else SYSTEM
        register.create_child(session, who, values, people, cipher=state.cipher, now=now)
    return len(DEMO_CHILDREN)


def _demo_tickets(session, state: Runtime) -> int:  # noqa: ANN001
    desk = Actor("user", "demo_operator", Role.OPERATOR)
    agency = session.scalar(select(User).where(User.username == "demo_agency"))
    staff = Actor("user", "demo_agency", Role.AGENCY_STAFF, agency.unit_id if agency else None)
    start = utcnow() - timedelta(hours=3)
    for i, (text, category, kind, urgency, prefecture, county, steps) in enumerate(DEMO_TICKETS):
        req = intake.IntakeRequest(channel="phone", text=text, received_at=start + timedelta(minutes=20 * i))
        ticket, _ = intake.intake(session, req, SYSTEM if not steps else desk)
        labels = {"category": category, "kind": kind, "urgency": urgency, "prefecture": prefecture, "county": county}
        # an emergency is dispatched only once the police are told (强制报告)
        police = {"police_notified": True, "police_note": "县公安局指挥中心（演示）"} if urgency == "emergency" else {}
        payloads = {
            "answer": {
                **labels,
                "answer": "已告知申请条件：向户籍所在地乡镇（街道）提出申请，县级民政部门审核；金额以当地现行标准为准。",
            },
            "dispatch": {**labels, **police},
            "sign": {},
            "progress": {"note": "已联系家长，正在核实情况。"},
            "resolve": {"result": "已协助家长提交救助申请材料。"},
        }
        if not steps:
            actions.perform_action(
                session, ticket.number, "triage", desk, labels, policy=state.policy, taxonomy=state.taxonomy
            )
        for step in steps:
            actor = staff if step in ("sign", "progress", "resolve") else desk
            actions.perform_action(
                session, ticket.number, step, actor, payloads[step], policy=state.policy, taxonomy=state.taxonomy
            )
    return len(DEMO_TICKETS)
