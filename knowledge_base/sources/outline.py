"""Outline documents (一、 / (一) / 1.): the seed plan and official texts without articles; shared
helpers of the text splitters."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .numerals import CN_NUM

OUTLINE_1 = re.compile(rf"^([{CN_NUM}]+)、\s*(.*)$")
OUTLINE_2 = re.compile(rf"^[(（]([{CN_NUM}]+)[)）]\s*(.*)$")
OUTLINE_3 = re.compile(r"^(\d{1,2})[.．、]\s*(.*)$")
SENTENCE_PUNCT = re.compile(r"[。；;，,：:、？?！!]")
_HEADING_PUNCT = re.compile(r"[。；;，,：:？?！!]")  # a heading may contain 、 ("特殊、优先保护原则")


def squeeze(text: str) -> str:
    """Drop spaces between CJK characters (``总 则`` → ``总则``), keep one elsewhere."""
    text = re.sub(r"[\s\u3000]+", " ", text.strip())
    return re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", text)


@dataclass(slots=True)
class RawPassage:
    section: str
    context: tuple[str, ...]
    lines: list[str]
    heading: str = ""


def split_outline(body: str) -> list[RawPassage]:
    """Split an outline document (一、 / (一) / 1.) into passages.

    Section ids follow the content README: ``一``, ``二(一)``, ``二(二)3``, ``三(五)18``.  A level-1 or
    level-2 node takes the paragraphs that follow it; a numbered item (1. 2. …) is exactly one
    paragraph, so an unnumbered paragraph after the last item goes back to the enclosing node (the
    plan's "要重点关注…农村单亲家庭儿童" closes 二(二), it is not part of item 3).  Nodes with a heading but
    no text of their own (三、任务举措) produce no passage; their headings are context for the children.
    """
    out: list[RawPassage] = []
    nodes: dict[str, RawPassage] = {}
    l1 = l2 = ""
    h1 = h2 = ""
    current: RawPassage | None = None
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        m1, m2, m3 = OUTLINE_1.match(line), OUTLINE_2.match(line), OUTLINE_3.match(line)
        if m1:
            l1, l2, h1, h2 = m1[1], "", squeeze(line), ""
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


def _node(out: list[RawPassage], nodes: dict[str, RawPassage], section: str, ctx: tuple[str, ...], heading: str) -> RawPassage:
    node = RawPassage(section=section, context=ctx, lines=[], heading=heading)
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
