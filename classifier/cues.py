"""Emergency cues: deterministic patterns for "a child is in danger NOW" (taxonomy urgency
``emergency``, boundary rule 12).  They can only raise urgency, never lower it.

Each pattern belongs to a family (missing, trafficking, hurt, alone, abandoned, self_harm,
online_contact, hazard).  A match is discarded when

* it is negated right before the match ("没有打", "不是走丢", "并没有走丢", "防溺水"),
* its clause is in the past ("以前走丢过", "去年", "上礼拜", "前天", "…过") and that clause has no
  present-time marker,
* its clause is hypothetical, preventive or a question about rules ("担心会不会", "万一", "如果",
  "防拐", "宣传", "请问"),
* the item thanks or praises someone (a past matter: 表扬, 感谢, 点赞),
* or, for missing / online contact, the text then says the child is back ("已经找到了", "回家了").

Families marked ``needs_now`` also need a present-time marker in the same sentence (正在, 刚才, 还在,
今晚, "现在在…", "快来人", "打了110" …; for a child left alone also a duration such as "两天了", "天都
黑了"): "他爸经常打他" stays urgent, "他爸现在正在打他" is an emergency.  Dramatic words alone
("急死了", "救命啊" about a payment) are not cues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CHILD = (
    r"(?:孩子|孩儿|娃|儿子|闺女|女儿|姑娘|丫头|孙子|孙女|外孙女?|外甥女?|侄子|侄女|男孩|女孩|小孩|小男孩|小女孩|"
    r"学生|初中生|小学生|高中生|宝宝|婴儿|弟弟|妹妹|小子)"
)
_PARENT = r"(?:父母|爸妈|爹妈|大人|家长|他爸|他妈|她爸|她妈|爸爸|妈妈|孩子爸|孩子妈|孩子他爸|孩子他妈|小两口|两口子|儿媳妇?|媳妇|老公|丈夫|对象|前夫|前妻)"

_NOW = re.compile(
    r"正在|刚才|刚刚|刚(收到|接到|接诊|看见|发|送|拉|给|打|吃|从)|此刻|这会儿?|今晚|今天晚上|今夜|今儿晚上|夜里|还在|眼下|"
    r"现在(就|正|在|站|坐|拿|手里|人在|躲|锁|趴|关|吃)|我现在|"
    r"快来人|快点来人|快派人|赶紧派人|赶紧来人|马上派人|赶紧找人|快找人|马上处理|请求立即|立即|尽快派人|派人过来|急需.{0,6}来人|"
    r"正往|在往.{0,8}(赶|走|送)|打了110|打110|120|分钟前|小时前|劝着呢|在劝|正劝|"
    r"(电话|手机)(也)?(关机|打不通|不接|没人接)|(她|他|也|都)不接|再打就不接|就不回了|不回消息"
)
_DURATION = re.compile(
    r"(两|三|四|五|好几|好多|几|一整)(天|宿|夜)(了|没)|[两三四五六七八九十几]晚|这几天|一上午|一下午|一晚上|天都黑了|天黑了|半夜|到现在|"
    r"(一|两|半)个多?(小时|钟头)|多分钟"
)
_CLAUSE_NOW = re.compile(r"现在|正在|刚才|刚刚|还在|今晚|又|到现在")
_PAST = re.compile(
    r"以前|之前|从前|去年|前年|上次|上回|上个?月|上礼拜|上周|上星期|前几年|那年|当年|小时候|曾经|过去|前天|昨天|昨晚|"
    r"前几天|前些日子|前段时间|前阵子|几年前|年前|早年|已经处理|处理完|已愈合|后来|那时候|当时|有一回|有一次|那回|那次|"
    r"[0-9一二三四五六七八九十几多]+年(了|前)"
)
_HYPO_WORDS = (
    r"担心|会不会|万一|防止|预防|以防|防范|防拐|防溺水|宣传|讲座|培训|知识|演练|提醒|是否|有没有可能|想了解|咨询|问一下|"
    r"请问|想问|怎么预防|建议|做梦|噩梦|打个比方|比如|听说|传言|谣言|真的假的"
)
_HYPO = re.compile(_HYPO_WORDS + r"|如果|要是|假如|假设|怕")
_HYPO_SELF_HARM = re.compile(_HYPO_WORDS)  # "妈我要是没了你别难过" is intent, not a hypothesis
_HABIT = re.compile(r"常年|长期|经常|平时|天天|老是|总是|每天|每回|每次|三天两头|[0-9一二三四五六七八九十几]+回了?|好几回")
_STRONG_NOW = re.compile(r"正在|还在|刚才|刚刚|此刻|这会儿")
_FUTURE = re.compile(r"明天|后天|下礼拜|下周|下个月|过几天|月底|以后|将来")
_CONSULT = re.compile(r"想问|咨询|请问|政策|怎么申请|如何申请|能不能办|补办|有没有.{0,6}(托管|地方|机构)|犯法|违法|合法|规定")
_OPENING_VETO = re.compile(r"^\s*(建议|我建议|咨询|想咨询|我想咨询|想问|我想问|请问)")
_NEG = re.compile(r"(没有|没|不是|并非|并没有|未|不曾|不会|防|别担心)(说)?\s*$")
_PRAISE = re.compile(r"表扬|感谢|点赞|特地打电话|说声谢谢|锦旗")
_SAFE = re.compile(r"挺好的|挺健康|没事没事|好好的|没什么大碍|已经安置|已被安置|已经接走|已经送回|虚惊一场")
_BACK = re.compile(r"(已经|已|后来|终于|平安)(找到|找回|回家|到家|回来)|找到了|找着了|找回来了|解救回来|已回家|已平安|平安到家")
_RESCUED = re.compile(r"解救|寻亲|DNA|dna|比对|采血|找回来|找到了")
_CLAUSE = re.compile(r"[,，。!！?？;；\n…]+")
_SENTENCE = re.compile(r"[。!！?？\n]+")
_END = r"(?=[,，。!！?？;；\s…]|$|了|啊|呀|好|快|怎么|咋)"


@dataclass(frozen=True)
class CueSpec:
    family: str
    pattern: re.Pattern
    needs_now: bool = False
    duration_counts: bool = False  # a duration ("两天了") also counts as "now"
    resolvable: bool = False  # discarded when the text says the child is back


CUES: tuple[CueSpec, ...] = (
    CueSpec("missing", re.compile(_CHILD + r"(?:又|突然|今天|也|就)?(?:不见了|走丢了|丢了|找不着了|找不到了|失踪了?|失联了?|下落不明)" + _END),
            resolvable=True),
    CueSpec("missing", re.compile(r"(?:找不到|找不着|联系不上)" + _CHILD + r"(?![妈爸爷奶姥的])"), needs_now=True, resolvable=True),
    CueSpec("missing", re.compile(_CHILD + r".{0,12}?(一直|还|到现在|至今|都|一宿|一夜|整夜|彻夜)(也)?(没|没有|未)(回家|回来|到家|归)"),
            resolvable=True),
    CueSpec("missing", re.compile(_CHILD + r".{0,15}?(放学|出门|出去|跑出去|离家).{0,12}(没回|没到家|未归|不见)"), resolvable=True),
    CueSpec("missing", re.compile(r"离家出走|走失|急寻|寻找孩子|寻人|求扩散"), needs_now=True, duration_counts=True, resolvable=True),
    CueSpec("missing", re.compile(
        r"走丢了|(一眨眼|一转眼|一转身|转眼|眨眼)(的)?(工夫)?(就)?(没了|不见了|没影了?)|人就没了|丢的.{0,3}到现在|"
        r"到现在(也|还)?(没|没有)(找着|找到)(?!人|工作)|[0-9两三四五六七八九十几]天没回家|没回教室|(今天|今儿)根本没去|"
        r"找不到(奶奶|妈妈|爸爸|爷爷|姥姥|家长|家)|一个人没地方去"), resolvable=True),
    CueSpec("trafficking", re.compile(
        r"人贩子|拐卖|被拐|拐走|偷孩子|卖孩子|抱走|哄.{0,10}跟(他|她|我)走|不认识(他|她|那个|这个)|"
        + _CHILD + r".{0,4}被.{0,6}(带走|领走|拽走|拉上车)"), needs_now=True, duration_counts=True),
    CueSpec("trafficking", re.compile(r"(想|要)把.{0,4}(孩子|小孩|孩儿|女孩|男孩)(抱走|带走|拉走|领走)|往.{0,4}车(里|上)(塞|拽)|哄上.{0,4}车")),
    CueSpec("hurt", re.compile(r"(正在|还在|又在|往死里|在里头|围着.{0,6})(打|揍|抽|踢|掐)(?!官司|工|电话|听|针|游戏|车|扫|麻将|包|印|卡|款|算|扰)|又打(?!电话|工)|别打了|喊.{0,2}救命")),
    CueSpec("hurt", re.compile(
        r"打(孩子|他|她|我|得)(?!官司|工|电话|听|针|游戏|车|扫|麻将|包|印|卡|款|算|扰)|踹倒|用脚踩|按(在)?地上|烟头烫|燎.{0,2}头发|堵在|往车上拽|开房|一直在蹭|被控制|拿着?(刀|棍|棒|皮带|鞭|酒瓶|擀面杖|砖头)|掐着|掐.{0,2}脖子|扇.{0,6}耳光|拽着.{0,4}头发|"
        r"(头|嘴|鼻子|身上|胳膊|脸)(上)?(都)?(流血|出血)|满(脸|头)是血|血道子|血肿|砸门|砸东西|往楼下推|扔下去|"
        r"(要|说要).{0,6}(弄死|闷死|打死|掐死|杀了)|一起死|打断腿|不让走|绑(在)?椅子|嘴里塞|摸(她|我|孩子)|尾随|"
        r"性侵|强奸|猥亵|酒精中毒|往地上摁|喝多|喝醉|醉汉|烂醉|往.{0,4}里扔|冰窟窿"),
        needs_now=True),
    CueSpec("alone", re.compile(
        r"(?<!自己)(反锁|锁|关)在?(家|屋|车|阳台|仓房|地下室|厕所|门外|外面|里)|锁(里头|外面|屋里)|车里锁着|把门锁了|门一直锁着|"
        r"就剩(个|一个)?.{0,4}(小孩|孩子)|(屋里|家里)就(一个|个)?[^跟和与]{0,4}(小孩|孩子)|(一个人|独自|自己)在(家|屋)(?!照顾|带|看|给)|出不去|进不去|"
        r"没人管|哭也不管|没人照顾|叫不醒|躺地上|不动弹|没(有)?(吃的|饭吃)|吃的都没有|饭都吃不上|饿(了)?(两|三|好几|一)天|饿得|"
        r"喊饿|说饿|光着脚|雪地里|零下|婴儿哭|(未见|没有|没|不见)(家长|大人)|睡(在)?(候车室|车站|桥洞|街上|楼道)|" + _PARENT + r".{0,8}(没回来|不在家|没影|没见着人|走了)"),
        needs_now=True, duration_counts=True),
    CueSpec("abandoned", re.compile(r"弃婴|刚生下来的孩子|脐带|扔在(门口|路边|垃圾)|纸箱子?里.{0,6}(孩子|婴儿)")),
    CueSpec("self_harm", re.compile(
        r"不想活|想死|自杀|轻生|跳楼|跳河|跳江|跳下去|要跳|割腕|划(胳膊|手腕|手)|刀片|安眠药|农药|敌敌畏|百草枯|老鼠药|"
        r"(吃|服)(了|下).{0,8}(药|片)|上吊|绳子|勒自己|楼顶|天台|顶楼|护栏外|栏杆上|(?<!天)桥上|永别|遗书|我先走了|我(马上)?就走了|"
        r"我要走了|没了你|活着(没意思|有啥意思|太累)|撑不下去|撑不住|不想再这样|告别|想不开|美工刀|水果刀|往(江|河|湖|水)里(走|跳)"),
        needs_now=True),
    CueSpec("online_contact", re.compile(r"(见|找|去见|跟|和|被)网友|网友.{0,8}(见面|接走|带走|在一起|家里|宾馆|酒店|开房)"),
            needs_now=True, resolvable=True),
    CueSpec("hazard", re.compile(r"冰面|冰上|掉进|滑进|掉下去|落水|溺水|游泳|电线.{0,4}(掉|耷拉)|着火|起火|塞了.{0,6}孩子|马路中间"),
            needs_now=True),
    CueSpec("medical", re.compile(_CHILD + r".{0,10}(抢救|呼吸衰竭|嘴唇发紫|昏迷|休克|抽搐|吃错东西|误服|中毒|高烧不退|上吐下泻|越来越差|撕裂伤|颅内出血|摔下来)"),
            needs_now=True),
)


@dataclass(frozen=True)
class Cue:
    family: str
    text: str
    start: int


def _bounds(text: str, pos: int, splitter: re.Pattern) -> tuple[int, int]:
    start = 0
    for m in splitter.finditer(text):
        if m.end() <= pos:
            start = m.end()
        elif m.start() >= pos:
            return start, m.start()
    return start, len(text)


def _window(text: str, pos: int) -> str:
    """The sentence around ``pos`` with its neighbours (callers spread one event over sentences)."""
    bounds = [0] + [m.end() for m in _SENTENCE.finditer(text)] + [len(text)]
    for i in range(len(bounds) - 1):
        if bounds[i] <= pos < bounds[i + 1] or i == len(bounds) - 2:
            return text[bounds[max(i - 1, 0)] : bounds[min(i + 2, len(bounds) - 1)]]
    return text


def find_emergency_cues(text: str) -> list[Cue]:
    """Emergency cues in a normalised text (see the module docstring); empty when there are none."""
    if _PRAISE.search(text) or _SAFE.search(text) or _OPENING_VETO.search(text):
        return []
    found: list[Cue] = []
    back = _BACK.search(text)
    for spec in CUES:
        hypo = _HYPO_SELF_HARM if spec.family == "self_harm" else _HYPO
        for m in spec.pattern.finditer(text):
            c0, c1 = _bounds(text, m.start(), _CLAUSE)
            clause = text[c0:c1]
            if _NEG.search(text[max(c0, m.start() - 4) : m.start()]):
                continue
            if hypo.search(text[c0 : m.end()]) or hypo.search(text[m.end() : c1][:6]):
                continue
            if spec.family == "missing" and re.search(_PARENT, m.group(0)):
                continue
            if spec.family == "alone" and re.search(r"早|多年|几年|常年|多久|很久|好久", m.group(0)):
                continue
            past = _PAST.search(clause) or text[m.end() : m.end() + 1] == "过"
            if past and not _CLAUSE_NOW.search(text[c0 : _bounds(text, c1 + 1, _CLAUSE)[1]] if c1 < len(text) else clause):
                continue
            if spec.family == "trafficking" and _RESCUED.search(text):
                continue
            if spec.needs_now:
                if spec.family in ("alone", "hurt", "missing") and _HABIT.search(clause) and not _STRONG_NOW.search(clause):
                    continue
                s0, s1 = _bounds(text, m.start(), _SENTENCE)
                sentence = text[s0:s1]
                if re.match(r"\s*(万一|如果|要是|假如)", sentence):
                    continue
                if _CONSULT.search(sentence) or (spec.family == "alone" and _FUTURE.search(sentence)):
                    continue
                window = _window(text, m.start())
                if not (_NOW.search(window) or (spec.duration_counts and _DURATION.search(window))):
                    continue
            if spec.resolvable and back and back.start() > m.start():
                continue
            found.append(Cue(spec.family, m.group(0), m.start()))
    found.sort(key=lambda c: c.start)
    return found
