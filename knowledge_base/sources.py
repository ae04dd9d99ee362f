"""Knowledge-base content → articles → passages.

Three kinds of input, all plain files:

* official texts (``content/sources/*.txt``, copies of ``shared/kb-sources``): a header block
  (``title``, ``issuer``, ``doc_number``, ``date``, ``source``, ``completeness``) up to a ``---`` line,
  then the text.  Laws are split into one passage per article (第X条) with the chapter / section
  (第X章 / 第X节, or "一、…" headings in judicial interpretations) kept as context in the passage title.
  Documents without articles (the 2015 DV shelter guidance) are split by their outline (一、 / （一）).
* the seed plan (``jilin-action-plan-2024.txt``, a copy of the government web page): split by its own
  outline 一、 / (一) / 1. into passages whose ids follow the content README, e.g. ``二(二)3``.
* answer scripts and agency directory files (``content/{scripts,directory}/*.md``): YAML front matter
  and a Markdown body, one passage each.

A passage id is its citation form: ``<doc_key>#<section>`` (``minors-protection-law-2024#第四十三条``,
``jilin-action-plan-2024#二(二)3``); a script or directory passage has the article id (``script-001``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_CONTENT_DIR = PACKAGE_DIR / "content"
DATA_DIR = PACKAGE_DIR / "data"
DOCUMENTS_PATH = DATA_DIR / "documents.yaml"
PLAN_KEY = "jilin-action-plan-2024"

ARTICLE_TYPES = ("law", "policy", "script", "directory")
HEADER_FIELDS = ("title", "issuer", "doc_number", "date", "source", "completeness")

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "零〇一二两三四五六七八九十百千"


def cn_to_int(text: str) -> int:
    """Chinese numeral → int: ``一百零八`` → 108, ``十二`` → 12, ``一千零八十四`` → 1084."""
    total, digit = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (digit or 1) * _CN_UNITS[ch]
            digit = 0
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + digit


def int_to_cn(n: int) -> str:
    """int (1..9999) → Chinese numeral as laws write it: 12 → 十二, 108 → 一百零八."""
    if n <= 0:
        raise ValueError(n)
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n - 10] if n > 10 else "")
    out, zero = [], False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        q, n = divmod(n, value)
        if q:
            if zero:
                out.append("零")
            out.append(digits[q] + unit)
            zero = False
        elif out:
            zero = True
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Passage:
    """The unit that is indexed, ranked and shown.  ``id`` is the citation form."""

    id: str
    article_id: str
    type: str  # law / policy / script / directory (the article's type)
    title: str  # display title, e.g. "未成年人保护法（2024）第四十三条 · 第三章 学校保护"
    section: str  # "第四十三条", "二(二)3"; "" for a script / directory file
    section_path: tuple[str, ...]  # headings from the top, e.g. ("第三章 学校保护", "第四十三条")
    text: str  # the passage in full, as written in the source
    doc_title: str
    source: str  # citation string: document title + doc number + section
    effective: dt.date | None = None
    superseded: bool = False
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    cites: tuple[str, ...] = ()  # scripts / directory files: the passage ids they rely on
    ordinal: int = 0  # position in its document


@dataclass(frozen=True, slots=True)
class Article:
    """A document of the knowledge base and its metadata; its passages carry the text."""

    id: str  # doc key (file stem) for sources, front-matter id for scripts / directory files
    title: str
    type: str
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    source: str = ""
    effective: dt.date | None = None
    review_by: dt.date | None = None
    version: str = "1"
    issuer: str = ""
    doc_number: str = ""
    completeness: str = ""
    superseded_by: str | None = None
    cites: tuple[str, ...] = ()
    path: str = ""
    passages: tuple[Passage, ...] = field(default=(), repr=False)

    @property
    def superseded(self) -> bool:
        return self.superseded_by is not None


# --------------------------------------------------------------------------------------------
# document catalog (short titles, types, default categories)


@lru_cache(maxsize=4)
def _catalog(path: str = str(DOCUMENTS_PATH)) -> dict[str, dict]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return {str(k): dict(v or {}) for k, v in data.items()}


def _short_title(key: str, title: str, superseded: bool = False) -> str:
    entry = _catalog().get(key, {})
    if entry.get("short"):
        return entry["short"]
    short = re.sub(r"^中华人民共和国", "", title)
    short = re.sub(r"[（(].*?[）)]", "", short).strip() or key
    return short + ("（已被取代）" if superseded else "")


# --------------------------------------------------------------------------------------------
# header block


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
_CN_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def effective_date(date_field: str) -> dt.date | None:
    """The date a text applies from: the later of the header date and a stated 施行 date."""
    dates: list[dt.date] = []
    m = _ISO_DATE.search(date_field)
    if m:
        dates.append(dt.date(int(m[1]), int(m[2]), int(m[3])))
    for m in _CN_DATE.finditer(date_field):
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
    entry = _catalog().get(key, {})
    if entry.get("superseded_by"):
        return str(entry["superseded_by"])
    for name in ("completeness", "date", "title"):
        m = _SUPERSEDED.search(header.get(name, ""))
        if m:
            return m[1]
    return None


def citation(doc_title: str, doc_number: str, section: str) -> str:
    out = f"《{doc_title}》"
    if doc_number:
        out += f"（{doc_number}）"
    return f"{out}{section}" if section else out


# --------------------------------------------------------------------------------------------
# law texts: 章 / 节 / 条

_ARTICLE = re.compile(rf"^第([{_CN_NUM}]+)条(?:[\s\u3000]+|(?=[^\s\u3000]))(.*)$")
_CHAPTER = re.compile(rf"^第([{_CN_NUM}]+)([编章节])[\s\u3000]*(.*)$")
_OUTLINE_1 = re.compile(rf"^([{_CN_NUM}]+)、\s*(.*)$")
_OUTLINE_2 = re.compile(rf"^[(（]([{_CN_NUM}]+)[)）]\s*(.*)$")
_OUTLINE_3 = re.compile(r"^(\d{1,2})[.．、]\s*(.*)$")
_SENTENCE_PUNCT = re.compile(r"[。；;，,：:、？?！!]")
_SOURCE_NOTE = re.compile(r"^[（(]据.*[）)]$")
_HEADING_PUNCT = re.compile(r"[。；;，,：:？?！!]")  # a heading may contain 、 ("特殊、优先保护原则")


def _squeeze(text: str) -> str:
    """Drop spaces between CJK characters (``总 则`` → ``总则``), keep one elsewhere."""
    text = re.sub(r"[\s\u3000]+", " ", text.strip())
    return re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", text)


@dataclass(slots=True)
class _RawPassage:
    section: str
    context: tuple[str, ...]
    lines: list[str]
    heading: str = ""


def split_articles(body: str) -> list[_RawPassage]:
    """One raw passage per 第X条 with its 编/章/节 context.

    An article line must continue the numbering (the previous article + 1; the first may start
    anywhere, e.g. 第二十六条 for an extract), so that a paragraph quoting "第X条…" is not taken for a
    new article.  Preamble lines before the first article are dropped; so is a trailing source note
    like "（据2020年6月20日《吉林日报》）".
    """
    out: list[_RawPassage] = []
    levels: dict[str, str] = {}  # 编 / 章 / 节 → heading
    last_num: int | None = None
    chapter_no = 0
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        m = _ARTICLE.match(line)
        if m:
            num = cn_to_int(m[1])
            if last_num is None or num == last_num + 1:
                last_num = num
                ctx = tuple(levels[k] for k in ("编", "章", "节") if k in levels)
                out.append(_RawPassage(section=f"第{m[1]}条", context=ctx, lines=[line]))
                continue
        m = _CHAPTER.match(line)
        if m and len(m[3]) <= 30 and not _SENTENCE_PUNCT.search(m[3]):
            kind = m[2]
            levels[kind] = f"第{m[1]}{kind} {_squeeze(m[3])}".strip()
            if kind == "章":
                chapter_no = cn_to_int(m[1])
                levels.pop("节", None)
            elif kind == "编":
                levels.pop("章", None)
                levels.pop("节", None)
            continue
        m = _OUTLINE_1.match(line)
        if m and len(m[2]) <= 15 and not _SENTENCE_PUNCT.search(m[2]):
            levels["章"] = _squeeze(line)
            levels.pop("节", None)
            continue
        plain = _squeeze(line)
        if out and len(plain) <= 12 and not _SENTENCE_PUNCT.search(plain) and not plain.startswith(("（", "(")):
            # a bare chapter heading ("网络素养促进" in the online-protection regulations)
            if chapter_no:
                chapter_no += 1
                plain = f"第{int_to_cn(chapter_no)}章 {plain}"
            levels["章"] = plain
            levels.pop("节", None)
            continue
        if out:
            if _SOURCE_NOTE.match(line):
                continue
            out[-1].lines.append(line)
    return out


def split_outline(body: str) -> list[_RawPassage]:
    """Split an outline document (一、 / (一) / 1.) into passages.

    Section ids follow the content README: ``一``, ``二(一)``, ``二(二)3``, ``三(五)18``.  A level-1 or
    level-2 node takes the paragraphs that follow it; a numbered item (1. 2. …) is exactly one
    paragraph, so an unnumbered paragraph after the last item goes back to the enclosing node (the
    plan's "要重点关注…农村单亲家庭儿童" closes 二(二), it is not part of item 3).  Nodes with a heading but
    no text of their own (三、任务举措) produce no passage; their headings are context for the children.
    """
    out: list[_RawPassage] = []
    nodes: dict[str, _RawPassage] = {}
    l1 = l2 = ""
    h1 = h2 = ""
    current: _RawPassage | None = None
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        m1, m2, m3 = _OUTLINE_1.match(line), _OUTLINE_2.match(line), _OUTLINE_3.match(line)
        if m1:
            l1, l2, h1, h2 = m1[1], "", _squeeze(line), ""
            heading, rest = _split_heading(m1[2])
            current = _node(out, nodes, l1, (), heading)
            h1 = f"{l1}、{heading}" if heading else h1
            if rest:
                current.lines.append(line)
            continue
        if m2 and l1:
            l2 = m2[1]
            heading, rest = _split_heading(m2[2])
            h2 = f"({l2}){heading}" if heading else f"({l2})"
            current = _node(out, nodes, f"{l1}({l2})", (h1,), heading)
            if rest:
                current.lines.append(line)
            continue
        if m3 and l1:
            heading = _defined_term(m3[2]) or _split_heading(m3[2])[0]
            ctx = (h1, h2) if h2 else (h1,)
            section = f"{l1}({l2}){m3[1]}" if l2 else f"{l1}{m3[1]}"
            item = _node(out, nodes, section, ctx, heading)
            item.lines.append(line)
            # the item is one paragraph: what follows belongs to the enclosing node again
            current = nodes.get(f"{l1}({l2})" if l2 else l1)
            continue
        if current is not None:
            current.lines.append(line)
    return [p for p in out if p.lines]


def _node(out: list[_RawPassage], nodes: dict[str, _RawPassage], section: str, ctx: tuple[str, ...], heading: str) -> _RawPassage:
    node = _RawPassage(section=section, context=ctx, lines=[], heading=heading)
    nodes[section] = node
    out.append(node)
    return node


def _split_heading(rest: str) -> tuple[str, str]:
    """``加强组织领导。各相关部门…`` → (``加强组织领导``, ``各相关部门…``); a bare heading → (heading, "")."""
    rest = rest.strip()
    if not rest:
        return "", ""
    m = re.match(r"^(.{2,24}?)[。.]", rest)
    if m and not _HEADING_PUNCT.search(m[1]):
        return m[1], rest[m.end() :].strip()
    m = re.match(r"^([\u4e00-\u9fff]{2,8})[(（]", rest)
    if m:
        return m[1], rest
    if len(rest) <= 24 and not _HEADING_PUNCT.search(rest):
        return rest, ""
    return "", rest


def _defined_term(text: str) -> str:
    """``家庭困境儿童主要指…`` → ``家庭困境儿童`` (a definition item's subject), else ""."""
    m = re.match(r"^([\u4e00-\u9fff]{2,12}?)(?:主要是指|主要指|是指|包括)", text)
    return m[1] if m else ""


# --------------------------------------------------------------------------------------------
# the seed plan (a government web page)

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
        first_l1 = next(i for i, ln in enumerate(stripped) if _OUTLINE_1.match(ln))
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


# --------------------------------------------------------------------------------------------
# loading


def _doc_categories(key: str) -> tuple[str, ...]:
    return tuple(_catalog().get(key, {}).get("categories") or ())


def _chapter_categories(key: str, context: Sequence[str]) -> tuple[str, ...]:
    by_chapter = _catalog().get(key, {}).get("chapter_categories") or {}
    cats: list[str] = []
    for heading in context:
        for name, codes in by_chapter.items():
            if name in heading:
                cats.extend(codes)
    return tuple(cats)


def _title_for(short: str, section: str, context: Sequence[str], heading: str = "") -> str:
    sep = "" if short.endswith(("）", ")", "》")) else " "
    head = f"{short}{sep}{section}" + (f" {heading}" if heading else "")
    ctx = [c for c in context if c]
    return head + (" · " + " · ".join(ctx) if ctx else "")


def parse_source_file(path: Path | str) -> Article:
    """One kb-sources ``.txt`` file (or the seed plan page) → an Article with its passages."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    key = path.stem
    header, body = parse_header(text)
    if not header:
        return _parse_plan(path, key, text)
    doc_title = header.get("title", key)
    entry = _catalog().get(key, {})
    doc_number = clean_doc_number(header.get("doc_number", ""))
    eff = effective_date(header.get("date", ""))
    sup = superseded_by(key, header)
    short = _short_title(key, doc_title, sup is not None)
    cite_title = entry.get("cite_title") or doc_title
    raws = split_articles(body)
    if not raws:
        raws = split_outline(body)
    passages = []
    for i, raw in enumerate(raws):
        section = raw.section
        label = f"{section} {raw.heading}".strip()  # articles have no heading: "第四十三条"
        path_ = (*raw.context, section)
        title = _title_for(short, section, raw.context, raw.heading)
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
                categories=_dedupe(_doc_categories(key) + _chapter_categories(key, raw.context)),
                ordinal=i,
            )
        )
    return Article(
        id=key,
        title=doc_title,
        type=entry.get("type", "law"),
        categories=_doc_categories(key),
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


def _parse_plan(path: Path, key: str, text: str) -> Article:
    meta, notice, body = parse_plan_page(text)
    if key != PLAN_KEY and "吉民发〔2024〕2号" in text:
        key = PLAN_KEY
    entry = _catalog().get(key, {})
    doc_title = meta.get("title") or key
    short = _short_title(key, doc_title)
    doc_number = meta.get("doc_number", "")
    m = _CN_DATE.search(meta.get("date", ""))
    eff = dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None
    raws = split_outline(body)
    pre: list[_RawPassage] = []
    if notice:
        pre.append(_RawPassage(section="通知", context=(), lines=notice.splitlines(), ))
    preamble = [ln for ln in body.splitlines() if ln.strip()]
    if preamble and not _OUTLINE_1.match(preamble[0]):
        pre.append(_RawPassage(section="前言", context=(), lines=[preamble[0]]))
    passages = []
    for i, raw in enumerate(pre + raws):
        passages.append(
            Passage(
                id=f"{key}#{raw.section}",
                article_id=key,
                type=entry.get("type", "policy"),
                title=_title_for(short, raw.section, raw.context, raw.heading),
                section=raw.section,
                section_path=(*raw.context, raw.section),
                text="\n".join(raw.lines),
                doc_title=doc_title,
                source=citation(doc_title, doc_number, f"{raw.section} {raw.heading}".strip()),
                effective=eff,
                categories=_dedupe(_doc_categories(key) + _plan_categories(key, raw.section)),
                ordinal=i,
            )
        )
    return Article(
        id=key,
        title=doc_title,
        type=entry.get("type", "policy"),
        categories=_doc_categories(key),
        source=citation(doc_title, doc_number, ""),
        effective=eff,
        version=eff.isoformat() if eff else "1",
        issuer=meta.get("issuer", ""),
        doc_number=doc_number,
        completeness="full text of the web page (notice and plan 一–五); page chrome dropped",
        path=str(path),
        passages=tuple(passages),
    )


def _plan_categories(key: str, section: str) -> tuple[str, ...]:
    by_section = _catalog().get(key, {}).get("section_categories") or {}
    return tuple(by_section.get(section) or ())


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


_FRONT = re.compile(r"^---\s*\n(.*?)\n---\s*\n?(.*)$", re.DOTALL)


def _as_date(value) -> dt.date | None:  # noqa: ANN001
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def parse_markdown_article(path: Path | str) -> Article:
    """An answer script or directory file (YAML front matter + Markdown) → an Article with one passage."""
    path = Path(path)
    m = _FRONT.match(path.read_text(encoding="utf-8"))
    if not m:
        raise ValueError(f"{path}: no YAML front matter")
    meta = yaml.safe_load(m[1]) or {}
    body = m[2].strip()
    art_id = str(meta.get("id") or path.stem)
    kind = str(meta.get("type") or ("directory" if path.parent.name == "directory" else "script"))
    cats = tuple(str(c) for c in meta.get("categories") or ())
    tags = tuple(str(t) for t in meta.get("tags") or ())
    cites = tuple(str(c) for c in meta.get("cites") or ())
    title = str(meta.get("title") or art_id)
    source = str(meta.get("source") or "")
    eff = _as_date(meta.get("effective"))
    passage = Passage(
        id=art_id,
        article_id=art_id,
        type=kind,
        title=title,
        section="",
        section_path=(),
        text=body,
        doc_title=title,
        source=source,
        effective=eff,
        categories=cats,
        tags=tags,
        cites=cites,
    )
    return Article(
        id=art_id,
        title=title,
        type=kind,
        categories=cats,
        tags=tags,
        source=source,
        effective=eff,
        review_by=_as_date(meta.get("review_by")),
        version=str(meta.get("version") or "1"),
        cites=cites,
        path=str(path),
        passages=(passage,),
    )


def load_sources(sources_dir: Path | str, plan_path: Path | str | None = None) -> list[Article]:
    """Every ``*.txt`` in ``sources_dir`` (sorted) plus the seed plan.

    The plan is ``sources_dir/jilin-action-plan-2024.txt`` when present, else ``plan_path``, else the
    copy in this package, so ``load_sources("../shared/kb-sources")`` still includes it.
    """
    sources_dir = Path(sources_dir)
    files = sorted(sources_dir.glob("*.txt"))
    articles = [parse_source_file(f) for f in files]
    if not any(a.id == PLAN_KEY for a in articles):
        plan = Path(plan_path) if plan_path else DEFAULT_CONTENT_DIR / "sources" / f"{PLAN_KEY}.txt"
        if plan.exists():
            articles.append(parse_source_file(plan))
    return articles


def load_articles(content_dir: Path | str | None = None, sources_dir: Path | str | None = None) -> list[Article]:
    """All articles: official texts and the plan, then answer scripts and directory files.

    ``content_dir`` defaults to the package's ``content/``; ``sources_dir`` to ``content_dir/sources``
    (the app may pass ``../shared/kb-sources``).  A source passage without categories of its own
    inherits the categories of the scripts that cite it.
    """
    content = Path(content_dir) if content_dir else DEFAULT_CONTENT_DIR
    src = Path(sources_dir) if sources_dir else content / "sources"
    articles = load_sources(src)
    for sub in ("scripts", "directory"):
        articles.extend(parse_markdown_article(p) for p in sorted((content / sub).glob("*.md")))
    return _inherit_categories(articles)


def _inherit_categories(articles: list[Article]) -> list[Article]:
    cited: dict[str, list[str]] = {}
    for art in articles:
        if art.type == "script":
            for c in art.cites:
                cited.setdefault(c, []).extend(art.categories)
    out = []
    for art in articles:
        if art.type in ("law", "policy"):
            passages = tuple(
                replace(p, categories=_dedupe((*p.categories, *cited.get(p.id, ())))) if p.id in cited else p
                for p in art.passages
            )
            art = replace(art, passages=passages)
        out.append(art)
    return out


def all_passages(articles: Iterable[Article]) -> list[Passage]:
    return [p for a in articles for p in a.passages]


def validate(articles: Sequence[Article], categories: Iterable[str] | None = None) -> list[str]:
    """Problems in the content, as readable lines; empty when everything is consistent.

    Checks: unique ids; known types; every ``cites`` entry resolves to a passage id; scripts do not
    cite a superseded text; categories are taxonomy codes (when ``categories`` is given); every
    script / directory file has a title, at least one category list entry or an explicit ``[]``,
    and a review-by date.
    """
    problems: list[str] = []
    known = set(categories) if categories is not None else None
    ids: dict[str, str] = {}
    passages: dict[str, Passage] = {}
    for art in articles:
        if art.type not in ARTICLE_TYPES:
            problems.append(f"{art.id}: unknown type {art.type!r}")
        for p in art.passages:
            if p.id in ids:
                problems.append(f"{p.id}: duplicate id (in {ids[p.id]} and {art.path or art.id})")
            ids[p.id] = art.path or art.id
            passages[p.id] = p
            if not p.text.strip():
                problems.append(f"{p.id}: empty text")
    for art in articles:
        for c in art.cites:
            target = passages.get(c)
            if target is None:
                problems.append(f"{art.id}: cites {c!r}, which is not a passage id")
            elif target.superseded:
                problems.append(f"{art.id}: cites {c!r} from a superseded text")
        if art.type in ("script", "directory"):
            if not art.title:
                problems.append(f"{art.id}: no title")
            if art.review_by is None:
                problems.append(f"{art.id}: no review_by date")
            if art.type == "script" and not art.cites:
                problems.append(f"{art.id}: a script must cite at least one passage")
        if known is not None:
            for c in art.categories:
                if c not in known:
                    problems.append(f"{art.id}: unknown category {c!r}")
    return problems
