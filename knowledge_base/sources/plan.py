"""The seed plan (``jilin-action-plan-2024.txt``, a copy of the government web page): split by its own
outline 一、 / (一) / 1. into passages whose ids follow the content README, e.g. ``二(二)3``."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from .catalog import catalog, citation, dedupe, doc_categories, plan_categories, short_title, title_for
from .model import Article, Passage
from .numerals import CN_DATE
from .outline import OUTLINE_1, RawPassage, split_outline

PLAN_KEY = "jilin-action-plan-2024"


_PLAN_META = {"标题": "page_title", "发文字号": "doc_number", "成文日期": "date", "发文机关": "issuer"}


def parse_plan_page(text: str) -> tuple[dict[str, str], str, str]:
    """Metadata, notice text and plan body of the seed page (吉民发〔2024〕2号).

    The page is kept verbatim; page chrome (navigation, "扫一扫…") is dropped here.
    """
    meta: dict[str, str] = {}
    lines = text.splitlines()
    for line in lines:
        for label, key in _PLAN_META.items():
            spaced = r"\s*".join(label)
            m = re.match(rf"^\s*{spaced}\s*:\s*(.+?)\s*$", line)
            if m and key not in meta:
                meta[key] = re.split(r"\s+\S{2,6}\s*:", m[1])[0].strip()
    m = re.search(r"《(.+?)》", meta.get("page_title", ""))
    meta["title"] = m[1] if m else meta.get("page_title", "")
    stripped = [ln.strip() for ln in lines]
    # the plan starts at its preamble "为进一步…制定本方案。" before "一、"; the notice starts after the doc number line
    try:
        first_l1 = next(i for i, ln in enumerate(stripped) if OUTLINE_1.match(ln))
    except StopIteration:
        return meta, "", text
    start = first_l1
    while start > 0 and not stripped[start - 1].startswith("为"):
        start -= 1
    start = start - 1 if start > 0 else first_l1
    notice_from = next((i + 1 for i, ln in enumerate(stripped) if ln == meta.get("doc_number")), 0)
    notice_to = start
    # the notice ends before the repeated plan title (two lines) above the preamble
    title = meta["title"]
    while notice_to > notice_from and (not stripped[notice_to - 1] or stripped[notice_to - 1] in title):
        notice_to -= 1
    end = next((i for i, ln in enumerate(stripped) if ln.startswith("扫一扫")), len(lines))
    notice = "\n".join(ln for ln in stripped[notice_from:notice_to] if ln)
    body = "\n".join(stripped[start:end])
    return meta, notice, body


def parse_plan(path: Path, key: str, text: str) -> Article:
    meta, notice, body = parse_plan_page(text)
    if key != PLAN_KEY and "吉民发〔2024〕2号" in text:
        key = PLAN_KEY
    entry = catalog().get(key, {})
    doc_title = meta.get("title") or key
    short = short_title(key, doc_title)
    doc_number = meta.get("doc_number", "")
    m = CN_DATE.search(meta.get("date", ""))
    eff = dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None
    raws = split_outline(body)
    pre: list[RawPassage] = []
    if notice:
        pre.append(RawPassage(section="通知", context=(), lines=notice.splitlines(), ))
    preamble = [ln for ln in body.splitlines() if ln.strip()]
    if preamble and not OUTLINE_1.match(preamble[0]):
        pre.append(RawPassage(section="前言", context=(), lines=[preamble[0]]))
    passages = []
    for i, raw in enumerate(pre + raws):
        passages.append(
            Passage(
                id=f"{key}#{raw.section}",
                article_id=key,
                type=entry.get("type", "policy"),
                title=title_for(short, raw.section, raw.context, raw.heading),
                section=raw.section,
                section_path=(*raw.context, raw.section),
                text="\n".join(raw.lines),
                doc_title=doc_title,
                source=citation(doc_title, doc_number, f"{raw.section} {raw.heading}".strip()),
                effective=eff,
                categories=dedupe(doc_categories(key) + plan_categories(key, raw.section)),
                ordinal=i,
            )
        )
    return Article(
        id=key,
        title=doc_title,
        type=entry.get("type", "policy"),
        categories=doc_categories(key),
        source=citation(doc_title, doc_number, ""),
        effective=eff,
        version=eff.isoformat() if eff else "1",
        issuer=meta.get("issuer", ""),
        doc_number=doc_number,
        completeness="full text of the web page (notice and plan 一–五); page chrome dropped",
        path=str(path),
        passages=tuple(passages),
    )
