"""政策找人: facts in a ticket (parents away / in prison / dead, illness, disability, schooling …) matched
against the plan's definitions and relief projects; every hint links to the knowledge-base passage that
defines it. A hint is a prompt for the operator, not a decision: eligibility is confirmed locally."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    benefit: str
    #: every pattern must match somewhere in the text
    patterns: tuple[re.Pattern[str], ...]
    passage_id: str
    why: str

    @property
    def article_id(self) -> str:
        return self.passage_id.split("#")[0]


def _r(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


_AWAY = r"(外出|在外|外地|出去|外省).{0,6}(务工|打工|干活|挣钱)|(务工|打工)在外"
_PRISON = r"服刑|坐牢|蹲监狱|判刑|在押|进去了|关进去|强制隔离戒毒|戒毒所"
_DEAD = r"去世|死了|过世|病故|没了|身亡|失踪"
_ILL = r"重病|大病|癌|白血病|尿毒症|瘫痪|卧床|病得很重|重残|残疾"
_CHILD_ILL = r"(孩子|娃|儿子|女儿|小孩).{0,10}(白血病|先心病|先天性心脏病|重病|大病|癌|肿瘤|尿毒症)"
_CHILD_DISABLED = r"(孩子|娃|儿子|女儿|小孩).{0,10}(残疾|脑瘫|自闭症|孤独症|听力|聋|盲|智力障碍|智障)"

RULES: tuple[Rule, ...] = (
    Rule("留守儿童关爱服务", _r(_AWAY), "jilin-action-plan-2024#二(一)",
         "父母外出务工：孩子不满16周岁、父母双方外出（或一方外出另一方无监护能力）可认定为留守儿童"),
    Rule("监护困境儿童保障", _r(_PRISON), "jilin-action-plan-2024#二(二)3",
         "父母服刑在押或强制隔离戒毒：可能属于监护困境儿童"),
    Rule("服刑人员未成年子女帮扶（情暖高墙）", _r(r"服刑|坐牢|蹲监狱|判刑|在押|监狱"), "script-082",
         "父母在监狱服刑：省监狱管理局“情暖高墙”“合力关爱·帮育成长”项目"),
    Rule("孤儿基本生活费 / 事实无人抚养儿童生活补贴", _r(_DEAD), "script-017",
         "父母死亡或失踪：核实是否符合孤儿或事实无人抚养儿童保障条件"),
    Rule("家庭困境儿童保障", _r(r"(父母|爸|妈|父亲|母亲).{0,8}(" + _ILL + ")"), "jilin-action-plan-2024#二(二)1",
         "父母重病或重残：可能属于家庭困境儿童"),
    Rule("“点燃希望”困难家庭儿童重大疾病救助", _r(_CHILD_ILL), "script-025", "孩子患重大疾病：省慈善总会“点燃希望”项目"),
    Rule("“生命之光”先心病救助", _r(r"先心病|先天性心脏病"), "script-026", "孩子患先天性心脏病：“生命之光”项目"),
    Rule("残疾儿童康复救助", _r(_CHILD_DISABLED), "script-035", "孩子残疾：残联残疾儿童康复救助"),
    Rule("自身困境儿童保障", _r(_CHILD_DISABLED + "|" + _CHILD_ILL), "jilin-action-plan-2024#二(二)2",
         "孩子自身残疾或重病：可能属于自身困境儿童"),
    Rule("控辍保学与教育资助", _r(r"辍学|不上学|不去上学|退学|上不起学|没钱上学|交不起学费"), "script-075",
         "上学困难或辍学：劝返复学、教育资助和助学项目"),
    Rule("低保 / 临时救助", _r(r"低保|没钱|吃不上饭|生活困难|家里困难|没有收入|揭不开锅"), "script-019",
         "家庭生活困难：核实低保、临时救助条件"),
    Rule("家庭暴力求助与人身安全保护令", _r(r"打孩子|家暴|被打|虐待|打得"), "script-088",
         "孩子遭受家庭暴力：告诫书、人身安全保护令、强制报告"),
)


@dataclass(frozen=True)
class Hint:
    benefit: str
    why: str
    passage_id: str
    article_id: str


def eligibility_hints(text: str, rules: tuple[Rule, ...] = RULES) -> list[Hint]:
    """The benefits whose facts the text mentions, in the rules' order (no duplicates)."""
    return [Hint(r.benefit, r.why, r.passage_id, r.article_id) for r in rules if all(p.search(text) for p in r.patterns)]
