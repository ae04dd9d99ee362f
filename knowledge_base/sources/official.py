"""Official texts (``content/sources/*.txt``, copies of ``shared/kb-sources``): a header block
(``title``, ``issuer``, ``doc_number``, ``date``, ``source``, ``completeness``) up to a ``---`` line, then
the text. Laws are split into one passage per article (第X条) with the chapter / section (第X章 / 第X节,
or "一、…" headings in judicial interpretations) kept as context in the passage title; documents
without articles (the 2015 DV shelter guidance) are split by their outline (一、 / （一）).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from .catalog import catalog, chapter_categories, citation, dedupe, doc_categories, short_title, title_for
from .model import Article, Passage
from .numerals import CN_DATE, CN_NUM, cn_to_int, int_to_cn
from .outline import OUTLINE_1, SENTENCE_PUNCT, RawPassage, split_outline, squeeze

HEADER_FIELDS = ("title", "issuer", "doc_number", "date", "source", "completeness")
ARTICLE = re.compile(rf"^第([{CN_NUM}]+)条(?:[\s\u3000]+|(?=[^\s\u3000]))(.*)$")
CHAPTER = re.compile(rf"^第([{CN_NUM}]+)([编章节])[\s\u3000]*(.*)$")
SOURCE_NOTE = re.compile(r"^[（(]据.*[）)]$")


def parse_header(text: str) -> tuple[dict[str, str], str]:
    """Split a kb-sources file into its header fields and the document text after ``---``."""
    lines = text.splitlines()
    header: dict[str, str] = {}
    for i, line in enumerate(lines):
        if line.strip() == "---":
            return header, "\n".join(lines[i + 1 :])
        key, sep, value = line.partition(":")
        if sep and key.strip() in HEADER_FIELDS:
            header[key.strip()] = value.strip()
        elif line.strip():
            break
    return {}, text


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def effective_date(date_field: str) -> dt.date | None:
    """The date a text applies from: the later of the header date and a stated 施行 date."""
    dates: list[dt.date] = []
    m = _ISO_DATE.search(date_field)
    if m:
        dates.append(dt.date(int(m[1]), int(m[2]), int(m[3])))
    for m in CN_DATE.finditer(date_field):
        tail = date_field[m.end() : m.end() + 6]
        if "施行" in tail:
            dates.append(dt.date(int(m[1]), int(m[2]), int(m[3])))
    return max(dates) if dates else None


def clean_doc_number(value: str) -> str:
    """``中华人民共和国主席令第三十七号 (not in the retrieved text …, verify)`` → ``…第三十七号（文号待核实）``."""
    value = (value or "").strip()
    if not value or value.lower().startswith("none"):
        return ""
    number, _, note = value.partition(" (")
    number = re.sub(r"\s+", "", number)
    if "verify" in note or "not in the retrieved text" in note:
        number += "（文号待核实）"
    return number


_SUPERSEDED = re.compile(r"superseded by ([a-z0-9][a-z0-9-]*)")


def superseded_by(key: str, header: dict[str, str]) -> str | None:
    entry = catalog().get(key, {})
    if entry.get("superseded_by"):
        return str(entry["superseded_by"])
    for name in ("completeness", "date", "title"):
        m = _SUPERSEDED.search(header.get(name, ""))
        if m:
            return m[1]
    return None




def split_articles(body: str) -> list[RawPassage]:
    """One raw passage per 第X条 with its 编/章/节 context.

    An article line must continue the numbering (the previous article + 1; the first may start
    anywhere, e.g. 第二十六条 for an extract), so that a paragraph quoting "第X条…" is not taken for a
    new article.  Preamble lines before the first article are dropped; so is a trailing source note
    like "（据2020年6月20日《吉林日报》）".
    """
    out: list[RawPassage] = []
    levels: dict[str, str] = {}  # 编 / 章 / 节 → heading
    last_num: int | None = None
    chapter_no = 0
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        m = ARTICLE.match(line)
        if m:
            num = cn_to_int(m[1])
            if last_num is None or num == last_num + 1:
                last_num = num
                ctx = tuple(levels[k] for k in ("编", "章", "节") if k in levels)
                out.append(RawPassage(section=f"第{m[1]}条", context=ctx, lines=[line]))
                continue
        m = CHAPTER.match(line)
        if m and len(m[3]) <= 30 and not SENTENCE_PUNCT.search(m[3]):
            kind = m[2]
            levels[kind] = f"第{m[1]}{kind} {squeeze(m[3])}".strip()
            if kind == "章":
                chapter_no = cn_to_int(m[1])
                levels.pop("节", None)
            elif kind == "编":
                levels.pop("章", None)
                levels.pop("节", None)
            continue
        m = OUTLINE_1.match(line)
        if m and len(m[2]) <= 15 and not SENTENCE_PUNCT.search(m[2]):
            levels["章"] = squeeze(line)
            levels.pop("节", None)
            continue
        plain = squeeze(line)
        if out and len(plain) <= 12 and not SENTENCE_PUNCT.search(plain) and not plain.startswith(("（", "(")):
            # a bare chapter heading ("网络素养促进" in the online-protection regulations)
            if chapter_no:
                chapter_no += 1
                plain = f"第{int_to_cn(chapter_no)}章 {plain}"
            levels["章"] = plain
            levels.pop("节", None)
            continue
        if out:
            if SOURCE_NOTE.match(line):
                continue
            out[-1].lines.append(line)
    return out




def parse_official_text(path: Path, key: str, header: dict[str, str], body: str) -> Article:
    """An official text (header already split off) → an Article with one passage per article or outline node."""
    doc_title = header.get("title", key)
    entry = catalog().get(key, {})
    doc_number = clean_doc_number(header.get("doc_number", ""))
    eff = effective_date(header.get("date", ""))
    sup = superseded_by(key, header)
    short = short_title(key, doc_title, sup is not None)
    cite_title = entry.get("cite_title") or doc_title
    raws = split_articles(body)
    if not raws:
        raws = split_outline(body)
    passages = []
    for i, raw in enumerate(raws):
        section = raw.section
        label = f"{section} {raw.heading}".strip()  # articles have no heading: "第四十三条"
        path_ = (*raw.context, section)
        title = title_for(short, section, raw.context, raw.heading)
        passages.append(
            Passage(
                id=f"{key}#{section}",
                article_id=key,
                type=entry.get("type", "law"),
                title=title,
                section=section,
                section_path=path_,
                text="\n".join(raw.lines),
                doc_title=doc_title,
                source=citation(cite_title, doc_number, label),
                effective=eff,
                superseded=sup is not None,
                categories=dedupe(doc_categories(key) + chapter_categories(key, raw.context)),
                ordinal=i,
            )
        )
    return Article(
        id=key,
        title=doc_title,
        type=entry.get("type", "law"),
        categories=doc_categories(key),
        source=citation(cite_title, doc_number, ""),
        effective=eff,
        version=(_ISO_DATE.search(header.get("date", "")) or [None])[0] or "1",
        issuer=header.get("issuer", ""),
        doc_number=doc_number,
        completeness=header.get("completeness", ""),
        superseded_by=sup,
        path=str(path),
        passages=tuple(passages),
    )
