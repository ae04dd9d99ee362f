"""Emergency cues: deterministic patterns for "a child is in danger NOW" (taxonomy urgency
``emergency``, boundary rule 12).  They can only raise urgency, never lower it.

Each pattern belongs to a family (missing, trafficking, hurt, alone, abandoned, self_harm,
online_contact, hazard, medical, and — derived from 强制报告意见第四条 and 反家庭暴力法第二条/第四章 —
sexual_abuse, injury, starving, unconscious, drugged, labour_injury, poisoning, bought, begging, threat,
dv, bound, maimed, confined, dv_danger, dv_coerced, and for an imminent return to danger handover — a hurt
child about to be taken home by the suspect — and sold — a child priced or promised in marriage).  classifier/data/emergency_situations.yaml maps
every legal situation to its families with examples that must / must not fire (tested).  Specs may add
family-specific present markers (``now_extra``: "刚发现"), a habit veto, a veto list (illness, pets),
a required context (``requires``) and ``strict_past`` (only the clause itself can rescue a past match).
A match is discarded when

* it is negated right before the match ("没有打", "不是走丢", "并没有走丢", "防溺水"),
* its clause is in the past ("以前走丢过", "去年", "上礼拜", "前天", "…过") and that clause has no
  present-time marker,
* its clause is hypothetical, preventive or a question about rules ("担心会不会", "万一", "如果",
  "防拐", "宣传", "请问"),
* the item thanks or praises someone (a past matter: 表扬, 感谢, 点赞),
* or, for missing / online contact, the text then says the child is back ("已经找到了", "回家了"),
* "不是" a few characters before it ("不是孩子走丢了"), a sentence opening with a worry ("会不会…"),
  a resolved scare ("问清楚了"), the suspect in custody ("已经被抓了"), a game ("不是真的"), news,
* the sentence before it tells a dream, a film or the news ("梦见他爸拿棒子追他，喊别打了"), the caller
  corrects a fright ("我以为她割腕了…一看是红笔画的", "吓得我…结果他说是抄的歌词"), a "missing" child is a pet
  or the one gone is an adult ("大伯好几天没回家了"), a carer is gone for years or remarried ("他妈改嫁了再没回来过":
  how the child came to be in difficulty, not a child alone now), a threat is set for a later day ("开学了接着收拾
  你") or a worry about later ("别到时候又打"),
* or the text opens as a consultation ("我想问问") and the cue's sentence has no event now.
Specs with ``evidence`` need it somewhere in the text, outside a worry or a negation (a handover needs an
injury and a disclosure or suspicion; a recurrence tonight, or a child still with the suspect every day, needs
signs of sexual abuse).

Families marked ``needs_now`` also need a present-time marker in the same sentence (正在, 刚才, 还在,
今晚, "现在在…", "快来人", "打了110" …; for a child left alone also a duration such as "两天了", "天都
黑了"): "他爸经常打他" stays urgent, "他爸现在正在打他" is an emergency.  Dramatic words alone
("急死了", "救命啊" about a payment) are not cues.
"""

from __future__ import annotations

import itertools
import operator
import re
import re._constants as _sre
import re._parser as _sre_parse
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

_CHILD = (
    r"(?:孩子|孩儿|娃|儿子|闺女|女儿|姑娘|丫头|孙子|孙女|外孙女?|外甥女?|侄子|侄女|男孩|女孩|小孩|小男孩|小女孩|"
    r"学生|初中生|小学生|高中生|宝宝|婴儿|弟弟|妹妹|小子)"
)
_PARENT = r"(?:父母|爸妈|爹妈|大人|家长|他爸|他妈|她爸|她妈|爸爸|妈妈|孩子爸|孩子妈|孩子他爸|孩子他妈|小两口|两口子|儿媳妇?|媳妇|老公|丈夫|对象|前夫|前妻)"

_NOW = re.compile(
    r"正在|刚才|刚刚|刚(收到|接到|接诊|看见|发|送|拉|给|打|吃|从)|此刻|这会儿?|今晚|今天晚上|今夜|今儿晚上|夜里|还在|眼下|"
    r"现在(就|正|在|站|坐|拿|手里|人在|躲|锁|趴|关|吃)|现在(孩子|小孩|他|她|人|俩孩子)?还(站|躺|坐|蹲|趴|挂|骑|扒|抱|拿|锁|关|不让)|我现在|"
    r"快来人|快点来人|快派人|赶紧派人|赶紧来人|马上派人|赶紧找人|快找人|马上处理|请求立即|立即|尽快派人|派人过来|急需.{0,6}来人|"
    r"正往|在往.{0,8}(赶|走|送)|现在往.{0,8}(赶|走|跑)|打了110|打110|120|分钟前|小时前|劝着呢|在劝|正劝|"
    r"(电话|手机)(也)?(关机|打不通|不接|没人接)|(她|他|也|都)不接|再打就不接|就不回了|不回消息"
)
_DURATION = re.compile(
    r"(两|三|四|五|好几|好多|几|一整)(天|宿|夜)(了|没)|[两三四五六七八九十几]晚|这几天|一上午|一下午|一晚上|天都黑了|天黑了|半夜|到现在|"
    r"(一|两|半)个多?(小时|钟头)|多分钟|"
    r"(这|都|这都)(中午|下午|晚上|半夜)(了|[0-9一二三四五六七八九十几]+点)|从早上到现在|从早到现在"
)
_CLAUSE_NOW = re.compile(r"现在|正在|刚才|刚刚|还在|今晚|又|到现在")
_PAST = re.compile(
    r"以前|之前|从前|去年|前年|上次|(?<![晚早])上回|上个?月|上礼拜|上周|上星期|前几年|那年|当年|小时候|曾经|过去|前天|昨天|昨晚|"
    r"前几天|前些日子|前段时间|前阵子|几年前|年前|早年|已经处理|处理完|已愈合|后来|那时候|当时|有一回|有一次|那回|那次|"
    r"[0-9一二三四五六七八九十几多]+年(了|前)"
)
_HYPO_WORDS = (
    r"担心|会不会|万一|防止|预防|以防|防范|防拐|防溺水|宣传|讲座|培训|知识|演练|提醒|是否|有没有可能|想了解|咨询|问一下|"
    r"请问|想问|怎么预防|建议|做梦|噩梦|打个比方|比如|听说|据说|传言|谣言|真的假的|新闻|报道|网上说|网上看|电视上|"
    r"别到时候|免得|省得|以免"
)
_HYPO = re.compile(_HYPO_WORDS + r"|如果|要是|假如|假设|怕")
_HYPO_SELF_HARM = re.compile(_HYPO_WORDS)  # "妈我要是没了你别难过" is intent, not a hypothesis
_HYPO_HEARSAY = re.compile(_HYPO_WORDS.replace("听说|据说|", "") + r"|如果|要是|假如|假设|怕")  # a sale is reported by hearsay
_HABIT = re.compile(r"常年|长期|经常|平时|天天|老是|总是|每天|每回|每次|三天两头|[0-9一二三四五六七八九十几]+回了?|好几回")
_STRONG_NOW = re.compile(r"正在|还在|刚才|刚刚|此刻|这会儿")
_FUTURE = re.compile(r"明天|后天|下礼拜|下周|下个月|过几天|月底|以后|将来")
#: a threat set for a later day ("开学了接着收拾你") is a continuing risk, not a danger tonight
_LATER_DAY = re.compile(r"开学|下礼拜|下周|下个月|过几天|过些天|过年|月底|放完假|假期结束")
_CONSULT = re.compile(r"想问|咨询|请问|政策|怎么申请|如何申请|能不能办|补办|有没有.{0,6}(托管|地方|机构)|犯法|违法|合法|规定")
_OPENING_VETO = re.compile(r"^\s*(建议|我建议|咨询|想咨询|我想咨询|想问|我想问|请问)")
_NEG_GAP = re.compile(r"(不是|并不是|并非)[^,，。!?！？;；\n]{0,4}$")  # "不是孩子走丢了"
# a caller who opens with another matter ("不是多大事，我想问问…") and then tells a danger happening now
_LATER_NOW = re.compile(r"现在正|现在还|正在|正被|还在(?!想|考虑|犹豫)|刚才|刚刚|此刻|这会儿|现在人在|现在在(?!家|学校|上学|读|上班)|人还在|快来人")
# an abuser right outside or still at the door (反家暴法第二十三条's 现实危险): the present without a time word
_AT_THE_DOOR = r"就在[^,，。!?！？;；\n]{0,2}(门外|门口|楼下|窗外|院外|外头)|一直(踹|砸|撬|敲)门?"
_OPENING_RESCUE = re.compile(r"现在|正在|刚才|刚刚|还在|今晚|今天晚上|此刻|" + _AT_THE_DOOR)
_NEG = re.compile(r"(没有|没|不是|并非|并没有|未|不曾|不会|防|别担心)(说)?\s*$")
_PRAISE = re.compile(r"表扬|感谢|点(个|了个)?赞|特地打电话|说声谢谢|锦旗")
_SAFE = re.compile(
    r"挺好的|挺健康|没事没事|好好的|没什么大碍|已经安置|已被安置|已经接走|已经送回|虚惊一场|误会一场|是个误会|"
    r"(问|弄|搞)(清楚|明白)了|(已经|都)[^,，。!?！？;；\n]{0,8}没(啥|什么)?事")
_BACK = re.compile(r"(已经|已|后来|终于|平安)(找到|找回|回家|到家|回来)|找到了|找着了|找回来了|解救回来|已回家|已平安|平安到家")
_RESCUED = re.compile(r"解救|寻亲|DNA|dna|比对|采血|找回来|找到了")
_DISCOVERED = re.compile(r"刚(发现|看到|看见|知道|查出|检查出|带.{0,6}回来)|(今天|今儿|早上|中午|晚上|放学|回来).{0,10}(发现|看到|看见|查出)")
_NOW_VERB = r"现在(又|正|还|就|把|不让|堵|在|有|没反应|叫不醒|人)"  # "现在" at an action, not "孩子现在挺好"
_BORN = r"生下来|生了个|出生|上户口|落户|准生"
_PETS = r"(狗|猫|鸡|鸭|鹅|羊|牛|兔子?|宠物)(?!笼)"
_UNDER14 = (
    r"(?:(?<![0-9])(?:[4-9]|1[0-3])周?岁|(?<![一二三四五六七八九十两0-9])(?:十[一二三]?|[四五六七八九])周?岁|小学|初一|初二|[四五六]年级)"
)
_LONG_AGO = re.compile(r"[0-9一二三四五六七八九十几多两]+年(了|前|多)")  # "到现在二十多年了" is not now
_CLAUSE = re.compile(r"[,，。!！?？;；\n…]+|(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")  # chat: "姐 我十三 我…"
_SENTENCE = re.compile(r"[。!！?？\n]+")
_END = r"(?=[,，。!！?？;；\s…]|$|了|啊|呀|好|快|怎么|咋)"
_NS = r"[^。!?！？\n]"  # no sentence end (NFKC turns ！？ into !?)
_NC = r"[^,，。!?！？;；\n]"  # no clause end
_PREGNANT = r"(?:怀孕|怀上|有了身孕|流产|打胎|引产|人流)"
# 性侵害 in callers' words, including the euphemism "强迫(她)发生关系"
_RAPE = r"(?:强奸|性侵|糟蹋|强暴|侵犯|(?:强迫|强行|逼着?|硬逼)" + _NC + r"{0,4}?发生(?:了)?(?:性)?关系)"
_NOT_THE_CHILDS_PREGNANCY = re.compile(
    r"(妈|嫂|姐|姨|老婆|媳妇|儿媳|婶|我)[^，。！？,]{0,4}" + _PREGNANT + "|" + _BORN + "|" + _CONSULT.pattern
    + r"|生理期|性教育|生理卫生|青春期知识|(讲讲|讲一讲|教教)|(咋|怎么)开口")
_SOON = r"(?:现在|马上|这就|一会儿?|待会儿?|等会儿?|今天|今儿|今晚|今天晚上|中午|下午|傍晚|晚上|明天|明儿|明早|一早|后天)"
_MINOR = r"(?:(?<![0-9一二三四五六七八九十两])(?:十[一二三四五六七]?|1[0-7]|[4-9])周?岁|初[一二三]|高[一二]|小学|[四五六]年级|未成年)"
# evidence that a child has been hurt, and that the adult about to take it is the suspect
_ABUSE_SIGNS = re.compile(
    r"伤|疤|骨折|烫|红肿|肿|撕裂|淤青|青一块|紫一块|血|叫不醒|安眠药|下药|巴掌印|掐|打的")
_SUSPECT = re.compile(
    r"不让说|不许" + _NC + r"{0,6}说|不敢说|不吱声|(偷偷|偷着|悄悄|小声)" + _NC + r"{0,8}说|改口|说不(明白|清楚)|支支吾吾|"
    r"是" + _NC + r"{0,6}(爸|妈|后妈|继父|继母|叔|哥|爷|舅|姨夫|男朋友|对象)" + _NC + r"{0,2}(打|烫|弄|整|干|掐|踢|烧)的|"
    r"(别|不|不想)让(他|她|他们)" + _NC + r"{0,2}(接|带|领)|不像(是)?(摔|磕|碰|自己)|让不让(他|她|他们)?" + _NC + r"{0,2}(接|带|领)")
_SEXUAL_SIGNS = re.compile(
    r"(下面|下身|私处|隐私|那个地方|那块|肛门|屁股|大腿根)" + _NC + r"{0,6}(疼|痛|红|肿|伤|流血|出血|撕裂)|"
    r"怀孕|怀上|有了身孕|好像有了|没来(那个|例假|月经|大姨妈)|摸(我|她|他)|亲(我|她)|脱" + _NC + r"{0,3}裤子|"
    r"性侵|猥亵|强奸|糟蹋|祸害|不许" + _NC + r"{0,6}(说|告诉)|不让" + _NC + r"{0,4}说|别告诉|要是告诉|不能告诉")
#: signs a carer or doctor finds that point to sexual abuse (mandatory-reporting opinion 第四条（一）（二）)
_SIGNS_FOUND = re.compile(
    _SEXUAL_SIGNS.pattern + r"|撕裂|(尿尿|小便|解手)" + _NC + r"{0,2}(疼|痛)|"
    r"肚子" + _NC + r"{0,4}(大了|起来了|鼓起来|显怀)")
_FOOD = re.compile(r"吃|饭|食堂|午餐|早餐|晚餐|配餐|零食|牛奶|喝(了|的)")
_BEGGING = re.compile(r"要钱|讨钱|乞讨|要饭|讨饭|行乞|作揖|磕头|卖花|讨要")
_NEWBORN = re.compile(r"刚生|生了(个|一个)|生完|包被|襁褓|新生儿|产房|妇产科|月子|抱孩子|抱走")
# the suspect is in custody / the scene is a game: no danger now (families in _CUSTODY_FAMILIES / _GAME_FAMILIES)
_CUSTODY = re.compile(
    r"(警察|民警|公安|派出所)" + _NS + r"{0,8}(抓|带走|拘)|(已经|已)?被(抓|逮捕|拘留|判刑)|抓起来了|关进去了|蹲监狱")
_RELEASED = re.compile(r"放出来|(已经|又|给)放了")
_CUSTODY_FAMILIES = frozenset({"sexual_abuse", "hurt", "threat", "dv", "dv_danger", "bound", "maimed", "confined", "handover"})
_GAME = re.compile(r"闹着玩|开玩笑|玩游戏|打游戏|游戏里|过家家|不是真的|抓小偷|捉迷藏|课间玩")
_GAME_FAMILIES = frozenset({"threat", "bound", "confined", "hurt"})
_SENTENCE_HYPO = re.compile(r"\s*(万一|如果|要是|假如|假设|会不会|有没有可能)")
#: how a caller corrects a fright told with 以为 ("我以为她割腕了，…一看是拿红笔画的")
_CORRECTED = re.compile(r"一看是|原来是|原来|结果是|其实是|才知道|后来(说|发现|才)")
#: a sentence that tells a dream, a film or the news: what follows in it is not happening here
_TOLD_STORY = re.compile(r"梦见|梦到|做梦|噩梦|新闻|刷到|电视上|电视里|电影|网上看到|网上说|报道")
#: a lost pet ("俺家宝宝丢了…它才两岁，泰迪") is not a missing child
_LOST_PET = re.compile(r"寻狗|寻猫|泰迪|金毛|柯基|哈士奇|比熊|博美|宠物|狗绳|猫粮|狗粮")
#: a carer gone for years, remarried or dead ("孩子他妈走了五年", "他妈改嫁了再没回来过") is how the child came to
#: be in difficulty, not a child alone now (a child alone now is told by the other alone cues)
_GONE_LONG = re.compile(r"改嫁|离婚|离了|去世|过世|病逝")
_GONE_FOR = re.compile(r"过|\s*(都|已经|有)?([0-9一二三四五六七八九十两几多半]+|好几|好多)个?(年|月)")
#: an adult is the one gone ("说大伯好几天没回家了", "孙子放学回来发现爷爷不见"): not a missing child
_ADULT = r"(?:大伯|大爷|大舅|叔叔?|舅舅?|姑父|姨夫|爷爷|奶奶|姥姥|姥爷|外公|外婆|男人|老伴|父亲|母亲|老头|老太太|老人|" + _PARENT + ")"
_ADULT_GONE = re.compile(_ADULT + r"(好|都|又|也|已经)?(不见|没回|没到家|未归|走失|[0-9两三四五六七八九十几]天没回)")
#: a fright the caller corrects without "以为" ("吓得我赶紧冲他屋里去，结果他说是抄的歌词")
_FRIGHT_CORRECTED = re.compile(
    r"吓" + _NS + r"{0,24}?(结果|原来|一看|其实|才知道)" + _NS + r"{0,12}(?<!不是)(?<!不像)(?<!没)(歌词|抄的|开玩笑|闹着玩|假的|演的|画的|小说|台词|恶作剧)")


@dataclass(frozen=True)
class CueSpec:
    family: str
    pattern: re.Pattern
    needs_now: bool = False
    duration_counts: bool = False  # a duration ("两天了") also counts as "now"
    resolvable: bool = False  # discarded when the text says the child is back
    now_extra: re.Pattern | None = None  # family-specific present markers ("刚发现", "不让送医院")
    habit_veto: bool = False  # discarded when the clause is habitual ("经常", "天天") without 正在/刚才
    veto: re.Pattern | None = None  # discarded when the sentence or a neighbour has one (illness, pets, hair)
    requires: re.Pattern | None = None  # kept only when the sentence and its neighbours also have one
    strict_past: bool = False  # a past clause is rescued only by a present marker in the clause itself
    evidence: tuple[re.Pattern, ...] = ()  # kept only when the whole text has each of them


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
    CueSpec("missing", re.compile(r"(别|不要|不用|不许)(再)?找我|再也不回(来|家)了?|永远不回(来|家)|"
                                  r"留(了|下)?(一封|封|一张|张|个)?(信|纸条|字条)" + _NC + r"{0,4}(就)?(走了|出走|跑了)"), resolvable=True,
            requires=re.compile(r"留(了|下)?" + _NC + r"{0,3}(条|纸条|字条|信|言)|没人|不见|走了|出走|联系不上|电话")),
    CueSpec("trafficking", re.compile(
        r"人贩子|拐卖|被拐|拐走|偷孩子|卖孩子|抱走|哄.{0,10}跟(他|她|我)走|不认识(他|她|那个|这个)|"
        + _CHILD + r".{0,4}被.{0,6}(带走|领走|拽走|拉上车)"), needs_now=True, duration_counts=True),
    CueSpec("trafficking", re.compile(r"(想|要)把.{0,4}(孩子|小孩|孩儿|女孩|男孩)(抱走|带走|拉走|领走)|往.{0,4}车(里|上)(塞|拽)|哄上.{0,4}车")),
    CueSpec("hurt", re.compile(r"(正在|还在|又在|往死里|在里头|围着.{0,6})(打|揍|抽|踢|掐)(?!官司|工|电话|听|针|游戏|车|扫|麻将|包|印|卡|款|算|扰|球|毽)|又打(?!电话|工|了一遍|了一次|了个电话|过去|球|不得)|别打了|喊.{0,2}救命")),
    CueSpec("hurt", re.compile(
        r"打(孩子|他|她|我|得)(?!官司|工|电话|听|针|游戏|车|扫|麻将|包|印|卡|款|算|扰)|踹倒|用脚踩|按(在)?地上|烟头烫|燎.{0,2}头发|堵在|往车上拽|开房|一直在蹭|被控制|拿着?(刀|棍|棒|皮带|鞭|酒瓶|擀面杖|砖头)|掐着|掐.{0,2}脖子|扇.{0,6}耳光|拽着.{0,4}头发|"
        r"(头|嘴|鼻子|身上|胳膊|脸)(上)?(都)?(流血|出血)|满(脸|头)是血|血道子|血肿|砸门|砸东西|往楼下推|扔下去|"
        r"(要|说要).{0,6}(弄死|闷死|打死|掐死|杀了)|一起死|打断腿|不让走|绑(在)?椅子|嘴里塞|摸(她|我|孩子)|尾随|"
        r"性侵|强奸|猥亵|酒精中毒|往地上摁|喝多|喝醉|醉汉|烂醉|往.{0,4}里扔|冰窟窿"),
        needs_now=True),
    CueSpec("alone", re.compile(
        r"(?<!自己)(反锁|锁|关)在?(家|屋|车|阳台|仓房|地下室|厕所|门外|外面|里)|锁(里头|外面|屋里)|车里锁着|把门锁了|门一直锁着|"
        r"就剩(个|一个)?.{0,4}(小孩|孩子)|(屋里|家里)就(一个|个)?[^跟和与,，。!?！？;；\n]{0,4}(小孩|孩子)|(一个人|独自|自己)在(家|屋)(?!照顾|带|看|给)|出不去(?!门?(挣|打工|干活|上班|赚))|进不去|"
        r"没人管|哭也不管|没人照顾|叫不醒|躺地上|不动弹|没(有)?(吃的|饭吃)|吃的都没有|饭都吃不上|饿(了)?(两|三|好几|一)天|饿得|"
        r"喊饿|说饿|光着脚|雪地里|零下|婴儿哭|(未见|没有|没|不见)(家长|大人)|睡(在)?(候车室|车站|桥洞|街上|楼道)|" + _PARENT + r".{0,8}(没回来|不在家|没影|没见着人|走了)"),
        needs_now=True, duration_counts=True),
    CueSpec("abandoned", re.compile(r"弃婴|刚生下来的孩子|脐带|扔在(门口|路边|垃圾)|纸箱子?里.{0,6}(孩子|婴儿)")),
    CueSpec("self_harm", re.compile(
        r"不想活|想死|自杀|轻生|跳楼|跳河|跳江|跳下去|要跳|割腕|划(胳膊|手腕|手)|刀片|安眠药|农药|敌敌畏|百草枯|老鼠药|"
        r"(吃|服)(了|下).{0,8}(药|片)|上吊|绳子|勒自己|楼顶|天台|顶楼|护栏外|栏杆外|栏杆上|(?<!天)桥上|永别|遗书|我先走了|我(马上)?就走了|"
        r"我要走了|没了你|活着(没意思|有啥意思|太累)|撑不下去|撑不住|不想再这样|告别|想不开|美工刀|水果刀|往(江|河|湖|水)里(走|跳)|"
        r"(药|安眠药|片|刀片|绳子)" + _NC + r"{0,4}(攒|存|囤|准备|买)(好|够|了)|(攒|存|囤)(了|好|够)" + _NC + r"{0,6}(药|片)|写好(的|了)" + _NC + r"{0,4}(纸条|字条|遗书|信)"),
        needs_now=True, now_extra=re.compile(
            _SOON + _NC + r"{0,3}(真|就|要(?!是)|想|去|打算|准备)" + _NC + r"{0,6}(死|活|跳|割|划|药|结束)|(攒|存|囤|准备|买)(好|够)|写好(的|了)|"
            r"我(现在|就)?在" + _NC + r"{0,4}(桥|江边|河边|湖边|楼顶|天台|顶楼)")),
    CueSpec("online_contact", re.compile(r"(见|找|去见|跟|和|被)网友|网友.{0,8}(见面|接走|带走|在一起|家里|宾馆|酒店|开房)"),
            needs_now=True, resolvable=True),
    CueSpec("hazard", re.compile(r"冰面|冰上|掉进|滑进|掉下去|落水|溺水|游泳|电线.{0,4}(掉|耷拉)|着火|起火|塞了.{0,6}孩子|马路中间|"
                                 r"(煤气|燃气|天然气|液化气)(的)?(味|泄漏|漏了)"),
            needs_now=True),
    CueSpec("medical", re.compile(_CHILD + r".{0,10}(抢救|呼吸衰竭|嘴唇发紫|昏迷|休克|抽搐|吃错东西|误服|中毒|高烧不退|上吐下泻|又吐又拉|抽过去|抽起来了|抽风|都抽了|越来越差|撕裂伤|颅内出血|摔下来)"),
            needs_now=True),
    # -- derived from the legal lists (classifier/data/emergency_situations.yaml maps each situation) --
    # 强制报告意见第四条（一）（二）（三）: injured private parts, sexual assault, a young girl's pregnancy
    CueSpec("sexual_abuse", re.compile(
        r"(下面|下身|私处|私密处|隐私部位|阴部|会阴|尿尿的地方|小便的地方|肛门)(上)?.{0,6}?(流血|出血|有血|血迹|红肿|撕裂|破了|受伤|伤了|新伤|有伤)|"
        r"(强行|硬|正)(脱|扒)(了)?.{0,6}裤子|(脱|扒)(她|他|孩子|小孩|女孩|闺女|男孩)的?裤子"),
        needs_now=True, now_extra=_DISCOVERED, veto=re.compile(r"月经|例假|来事|便秘|痔疮|洗澡|换尿布|尿布疹|医生检查")),
    CueSpec("sexual_abuse", re.compile(_UNDER14 + r"[^。！？]{0,14}?" + _PREGNANT), strict_past=True, veto=_NOT_THE_CHILDS_PREGNANCY),
    CueSpec("sexual_abuse", re.compile(
        r"(强奸|性侵|糟蹋|祸害|强暴|侵犯|欺负)[^。！？]{0,12}?" + _PREGNANT + "|" + _PREGNANT + r"[^。！？]{0,12}?" + _RAPE),
        strict_past=True, veto=re.compile(_BORN + "|" + _CONSULT.pattern)),
    # （三）told in two sentences: "诊断为药物流产不全。孩子称是带班师傅强迫发生关系……"
    CueSpec("sexual_abuse", re.compile(_PREGNANT), strict_past=True, evidence=(re.compile(_RAPE),), veto=_NOT_THE_CHILDS_PREGNANCY),
    # 第四条（四）: several injuries, starvation, unconscious, drugged
    CueSpec("injury", re.compile(
        r"(身上|浑身|全身|胳膊|腿上|后背|背上|脸上|屁股)(上)?(全是|都是|到处是|好多|好几处|多处|一道一道的?|一块一块的?)(伤|淤青|青紫|紫|血印|血道|疤|烫伤)|"
        r"青一块紫一块|遍体鳞伤|浑身是伤|体无完肤|多处(骨折|损伤|外伤|伤)|打得.{0,4}(站不起来|下不了地|走不了路|不能动|骨折|住院|昏)"),
        needs_now=True, now_extra=_DISCOVERED, veto=re.compile(r"白血病|血小板|血液病|紫癜|过敏|磕的|摔的|体检|病")),
    CueSpec("starving", re.compile(
        r"严重营养不良|瘦得(皮包骨|只剩|脱相|不成人样)|饿得(直哭|哇哇|走不动|站不起来|发晕|晕|翻垃圾|捡垃圾)|翻垃圾桶?.{0,4}(吃|找吃的)|饿(昏|晕)(过去|倒)"),
        needs_now=True, duration_counts=True, habit_veto=True),
    CueSpec("unconscious", re.compile(
        _CHILD + r"[^。！？]{0,8}?(意识不清|昏过去|晕过去|不省人事|口吐白沫|翻白眼|没反应了|叫不醒|迷迷糊糊|没(了)?气|没(有)?呼吸|不喘气|断气|奄奄一息)"),
        needs_now=True, now_extra=re.compile(_DISCOVERED.pattern + r"|突然|一下子|" + _NOW_VERB)),
    CueSpec("drugged", re.compile(
        r"(?<!对症)下(了)?(迷)?药|迷药|迷晕|迷倒|被.{0,4}麻醉|灌(醉|了.{0,4}酒|.{0,2}安眠药)|给.{0,6}(喝|吃)了?.{0,4}(安眠药|迷药|白酒)"),
        needs_now=True, now_extra=_DISCOVERED),
    # 第四条（五）: injured at work, poisoned, not breathing
    CueSpec("labour_injury", re.compile(
        r"(厂|工地|车间|后厨|作坊|流水线|干活|打工|上班)[^。！？]{0,14}?(轧|绞|卷进|砸|压|烫|切|炸)(了|断|伤|到|进)|"
        r"(手指|手|胳膊|腿)(头)?(被)?.{0,4}(轧断|绞断|切断|压断|砸断|卷进)"),
        needs_now=True, now_extra=re.compile(_DISCOVERED.pattern + r"|不让(送|去|上)(医院|看|治)|不给(送|看|治)|没人送|血止不住|流了好多血")),
    CueSpec("poisoning", re.compile(r"煤气中毒|一氧化碳中毒|食物中毒|中毒了|(喝|吃|误食|误服)(了)?.{0,6}(农药|敌敌畏|百草枯|老鼠药|耗子药|消毒液|84)"),
            needs_now=True, now_extra=_DISCOVERED),
    # 第四条（六）: abandoned
    CueSpec("abandoned", re.compile(
        r"(扔下|丢下|撇下|甩下)(了)?.{0,8}?(孩子|小孩|娃|婴儿|孩儿|闺女|儿子|女儿)?.{0,3}(就)?(走了|跑了|不管了|没影了|不回来了)|"
        r"(把|将).{0,4}(孩子|小孩|婴儿|娃|闺女|儿子|女儿)(扔|丢|撂)(在|到)(了)?.{0,8}(门口|路边|医院|车站|超市|商场|福利院|派出所|楼道|垃圾|草丛|公园|桥)|"
        r"(被)?遗弃(在|了)|(把|将)" + _NC + r"{0,10}(孩子|小孩|娃|婴儿|闺女|儿子|女儿|小子|丫头)(给)?(扔下|丢下|撇下|甩下)了?"),
        needs_now=True, duration_counts=True, veto=re.compile(r"老师|放学|接晚|来晚")),
    # 第四条（七）: a child of unknown origin or bought
    CueSpec("bought", re.compile(
        r"(买来|买回来|花钱买|收买)的?(孩子|小孩|男孩|女孩|闺女|儿子|婴儿|娃)|(花|用)了?.{0,8}(万|块|钱)买了?(个|一个)?(孩子|小孩|男孩|女孩|婴儿|娃)|"
        r"(孩子|小孩|婴儿|男孩|女孩|娃).{0,6}(来路不明|来历不明)|(来路不明|来历不明)的(孩子|小孩|婴儿|男孩|女孩|娃)|"
        r"(突然|忽然)多了(个|一个)" + _NC + r"{0,6}(孩子|小孩|婴儿|男孩|女孩|娃)|"
        r"(不是|并非)" + _NC + r"{0,8}(亲生|生)的[,，]?" + _NC + r"{0,12}买(的|来的|回来的)"),
        strict_past=True, veto=re.compile(r"亲生父母|认亲|领养手续|收养手续|电视|新闻|电视剧|视频")),
    # 第四条（八）: a child organised to beg
    CueSpec("begging", re.compile(
        r"组织.{0,4}乞讨|(孩子|小孩|男孩|女孩|娃|婴儿|残疾)[^。！？]{0,10}?(乞讨|要饭|讨饭|行乞|跪着要钱|磕头要钱)|(乞讨|要饭|讨饭|行乞)的?(孩子|小孩|男孩|女孩|娃)"),
        needs_now=True, now_extra=re.compile(_NOW_VERB + r"|正|此刻"), veto=re.compile(r"以前|小时候|纪录片|电视"),
        requires=re.compile(r"组织|(大人|男的|女的|男人|女人|人|老板|头儿)(在)?.{0,4}(看着|盯着|收钱|管着|拿走|逼|打|踢|拽|拖)|被.{0,4}(逼|打|控制|带走|拽走)")),
    # 第四条（九） and 反家暴法第二条 恐吓: threats and weapons now, stalking, a child held
    CueSpec("threat", re.compile(
        r"同归于尽|(砍|捅|烧|摔|淹|毒)死(你|他|她|孩子|你们|他们|我们|我)|(刀|刀子|菜刀|剪子|剪刀)(架|顶|抵|比)在.{0,6}(脖子|身上|肚子|脸)|"
        r"(抱着|拉着|带着|搂着)(孩子|小孩|娃|闺女|儿子)[^。！？]{0,6}(要跳|要死|跳楼|跳河|寻死|上了?(楼顶|天台))"),
        habit_veto=True, strict_past=True),
    CueSpec("threat", re.compile(
        r"(威胁|恐吓|扬言|放话|说|嚷嚷)(着)?(要|今晚|回来|等会儿?)?.{0,6}(杀了|弄死|打死|砍死|捅死|掐死|摔死|烧死|收拾)|"
        r"(陌生|不认识的?|男的|男人|女的|有人|那人|车)[^。！？]{0,6}(一直|一路)?(跟着|跟踪|尾随|盯着)(她|他|孩子|我|我闺女|我儿子|小孩)|"
        r"扣(着|住|下)(孩子|人)|不放(孩子|人)|把.{0,4}(孩子|人)扣(下|住|着)"),
        needs_now=True, duration_counts=True),
    # 反家暴法第二条: 殴打 (家暴 now), 捆绑, 残害, 限制人身自由
    CueSpec("dv", re.compile(r"家暴|家庭暴力|动手打人|又动手"), needs_now=True, now_extra=re.compile(_NOW_VERB + r"|又在|又开始|还在")),
    CueSpec("bound", re.compile(
        r"(被|把|将)[^，。！？,]{0,8}?(绑|捆|拴|铐)(在|着|起来|住|上)|(绑|捆|拴)(在)?(椅子|床|凳子|树|柱子|暖气|桌腿|门)|"
        r"五花大绑|铁链(子)?.{0,2}(拴|锁|绑)|绑架"),
        habit_veto=True, strict_past=True,
        veto=re.compile(r"头发|辫子|鞋带|绷带|安全带|餐椅|宝宝椅|儿童椅|座椅|行李|箱子|袋子|气球|围巾|电动车|自行车|新闻|电视|视频|电影|" + _PETS)),
    CueSpec("maimed", re.compile(
        r"(用|拿)(开水|热水|烙铁|火钳|烟头|打火机)(烫|浇|泼|烧|燎)|(往|朝).{0,4}(身上|脸上|手上|头上)(泼|浇)(开水|热水)|(用|拿)(针|锥子|剪刀|刀)(扎|戳|刺|剪|割|划)(他|她|孩子|小孩|娃|我)|"
        r"(让|被|叫)" + _NC + r"{0,6}(拿|用)(烟头|开水|热水|烙铁|打火机|火钳|熨斗)|泼(硫酸|开水|汽油)|剁(了)?(手|手指)|(烫|烧)(伤|得)(了)?.{0,4}(一片|满身|好几处|全身)"),
        habit_veto=True, strict_past=True, veto=re.compile(r"不小心|自己碰|做饭|烧水时|意外")),
    CueSpec("confined", re.compile(
        r"关(在|进)(了)?.{0,6}(笼子|狗笼|小黑屋|柴房|地窖|储藏室|杂物间)|关(了)?(小黑屋|禁闭)|铁链(子)?(拴|锁)"),
        habit_veto=True, strict_past=True, veto=re.compile(r"疫情|隔离|" + _PETS)),
    CueSpec("confined", re.compile(r"不让(他|她|孩子|我|我们|娘俩|娘仨)?(出门|出屋|出来|出去|离开|下楼)|锁在(屋|房间|家)里.{0,6}(不让|出不来|不给)"),
            needs_now=True, duration_counts=True, now_extra=re.compile(_NOW_VERB + r"|[两三四五六七八九十几]天|好几天|一整天"), veto=re.compile(r"疫情|隔离|封控|作业|玩手机|上网|网吧|早恋")),
    # 反家暴法第二十三条: 面临家庭暴力的现实危险; 因强制、威吓无法求助
    CueSpec("dv_danger", re.compile(
        r"(喝多|喝醉|喝了酒|拿着刀|带着刀|拎着刀)[^。！？]{0,10}(回来了|往家走|在门口|砸门|要回来|找上门|上门|在门外|踹门)|"
        r"(找上门|堵在门口|在门外|在楼下|在门口).{0,8}(闹|砸|踹)|"
        r"(在|到)" + _NC + r"{0,6}(外头|外面|外边|门口|楼下|窗外|院外)" + _NC + r"{0,3}(转悠|转来转去|徘徊|蹲着|守着|晃悠)|"
        r"(找|追|摸)(到|上)" + _NC + r"{0,8}(家|门)来了|踹门|撬门|砸门|(保护令|禁令)[^。！？]{0,16}(还|又|照样|仍|依然)(来|上门|找|打|闹|骚扰|跟)"),
        needs_now=True, now_extra=re.compile(_NOW_VERB + r"|正|" + _AT_THE_DOOR)),
    CueSpec("dv_coerced", re.compile(
        r"(躲在|藏在)(厕所|卫生间|屋里|柜子里|被窝里|阳台).{0,6}(打|给)(的)?(电话|你们)|偷偷(打|给你们打)(的)?(电话)?.{0,4}(报警|求救|给你们)|"
        r"(抢|摔|砸)(了)?(我的|孩子的)?手机.{0,6}(不让|报警|打电话)|不让(我|我们|孩子|她|他)?(报警|打电话求救|求救)"),
        needs_now=True, now_extra=re.compile(r"躲在|藏在|偷偷|" + _NOW_VERB)),
    # -- imminent return to danger (强制报告意见第四条 with an abuser about to take the child / be with it) --
    # a hurt child whose suspected abuser is taking it home now / tomorrow (doctors, teachers, grandparents)
    CueSpec("handover", re.compile(
        _SOON + r"(?:(?!已|了)" + _NS + r"){0,12}?(不住院|(出院|接(回去|回家|走)|带(孩子|他|她)?(回去|回家|走)|领(回去|走)|(要|就|得)回家)(?!了))"),
        evidence=(_ABUSE_SIGNS, _SUSPECT)),
    # sexual abuse that will happen again tonight / tomorrow, or the child alone with the abuser tonight
    CueSpec("sexual_abuse", re.compile(
        r"((今晚|今天晚上|今儿晚上|今夜|晚上|明天|明儿|明早|一会儿?|待会儿?|等会儿?|后天)(他|她|他们)?(还|又)(要|得|让|叫|会|说要)?(我|她|他|孩子)?|"
        r"(还|又)(要|得|让|叫)?(我|她|他|孩子)?(今晚|今天晚上|今儿晚上|晚上|明天|明儿|后天))"
        r"((上|来|去|住|睡|陪|过去|过来)" + _NC + r"{0,4}(屋|房|家|床|被窝|一块|一起|睡|住)|过来(?!" + _NC + r")|来找(我|她|他))|"
        r"(今晚|今天晚上|今儿晚上|晚上|明天|这几天)" + _NS + r"{0,16}就(剩)?(他|她|我|孩子)(跟|和)" + _NC + r"{0,8}(俩人|两个人|俩|在家|单独)"),
        evidence=(_SEXUAL_SIGNS,)),
    # 第四条（一）（二） told as discovered signs while the child is still with the suspect every day
    # ("还天天往那家跑", "天天跟他一个屋"): here the habit is the danger, so no time word is needed
    CueSpec("sexual_abuse", re.compile(
        r"(还|仍|仍然|照样|照旧|天天|每天)" + _NC + r"{0,4}(往|去|上)" + _NC + r"{0,4}(家|屋|那儿|那里)(跑|去|玩|待)?|"
        r"(跟|和)(他|她|那人|那个人|那老头|那男的|继父|后爹|闺女|孩子|女儿)(?:(?!不|没)" + _NC + r"){0,3}"
        r"(一个屋|一间屋|一铺炕|一个炕|一张床|一个被窝|一块睡|一起睡|一块住|住一块|单独在家|俩人在家)"),
        evidence=(_SIGNS_FOUND,)),
    # a minor promised in marriage and about to be handed over; a child priced and about to be taken
    CueSpec("sold", re.compile(
        r"(定亲|定了亲|订亲|订婚|订了婚|许给|嫁给|说给)" + _NS + r"{0,16}(明天|明儿|后天|今晚|马上|过几天|这两天|就要)" + _NS + r"{0,6}"
        r"(送过去|嫁过去|过门|接走|领走|送走|成亲|办事|结婚)"),
        strict_past=True, evidence=(re.compile(_MINOR),)),
    CueSpec("sold", re.compile(
        r"(谈妥|谈好|说好|讲好)(了)?(价|价钱|价格)|(价钱|价格)(谈妥|谈好|说好|讲好)|不能再少|再少不(卖|行)|"
        r"卖(给|了)?" + _NC + r"{0,6}(孩子|小孩|婴儿|娃|小子|闺女)|"
        r"[0-9一二三四五六七八九十两几]+(万|千)(块)?" + _NC + r"{0,8}(抱走|领走|抱孩子|带走孩子)"),
        strict_past=True, requires=_NEWBORN,
        veto=re.compile(r"新闻|电视|视频|电影|小说|房子|房价|二手|车价|月子中心|月嫂|费|补贴|保险|奶粉")),
    CueSpec("bought", re.compile(r"花了?[0-9一二三四五六七八九十两几]+(来|多)?(万|千)"), strict_past=True,
            requires=re.compile(r"多了(个|一个)|(跟|和)" + _NC + r"{0,6}不像|来路不明|来历不明|抱来|抱回来|突然有了"),
            veto=re.compile(r"亲生父母|认亲|领养手续|收养手续|电视|新闻|电视剧|视频|看病|手术|治疗|住院")),
    # a begging child under control: a quota with a punishment, watchers, a baby that does not wake up
    CueSpec("begging", re.compile(
        r"(要不|不要)(够|到|着)" + _NC + r"{0,8}(就|回去)?" + _NC + r"{0,6}(不让|不给|挨打|打|没饭|揍)|"
        r"(一整天|一天|一上午|一下午|半天|好几个小时)" + _NS + r"{0,8}(都)?(没醒|不醒|没动|一动不动)|"
        r"(他们|那人|那些人|大人|有人)(在)?(看着|盯着|在看|看呢)"),
        requires=_BEGGING, veto=re.compile(r"以前|小时候|纪录片|电视|新闻|视频")),
    # young children on a window sill / balcony rail with no adult, or high up
    CueSpec("hazard", re.compile(
        r"(小孩|孩子|娃|宝宝|俩|两个|几个)" + _NC + r"{0,6}(站|趴|爬|坐|蹲|扒|骑)(在|到)?(窗台|窗户|窗沿|阳台(护栏|栏杆|边)|护栏|栏杆)(上|外)|"
        r"(窗台|窗户|窗沿|阳台护栏|阳台栏杆|护栏|栏杆)(上|外)(站|趴|爬|坐|蹲|扒|骑)着?(个|俩|两个|几个)?(小孩|孩子|娃|宝宝)"),
        habit_veto=True, strict_past=True,
        requires=re.compile(r"(没|没有|不见)(大人|家长|人)|没人|大人不在|[0-9二三四五六七八九十几]+楼|高层|楼上"),
        veto=re.compile(r"(装|安)" + _NC + r"{0,4}(护栏|防护|护窗)|(老|总|爱)(爬|站|趴|坐)")),
    # several children ill after the same meal (kindergarten, canteen)
    CueSpec("poisoning", re.compile(
        r"(好几个|几个|多个|一群|不少|好多|全班|一帮|十几个|二十多个)(孩子|小孩|学生|娃)" + _NS + r"{0,8}"
        r"(又吐又拉|上吐下泻|抽|晕倒|昏|送(了)?医院|住院|进医院|口吐白沫)"),
        needs_now=True, requires=_FOOD, now_extra=re.compile(r"今天|今儿|中午|刚|早上|下午|晚上")),
    # a fresh injury left untreated on purpose
    CueSpec("injury", re.compile(r"(不给|不让|不带)" + _NC + r"{0,3}(上药|抹药|看病|看医生|送医院|去医院|上医院|治|包扎)"),
            needs_now=True, requires=re.compile(r"肿|流脓|化脓|黄水|烫|伤口|流血|骨折|淌|疤|血"),
            now_extra=re.compile(r"现在|今天|今儿|刚"), veto=re.compile(r"感冒|发烧|咳嗽|病了|生病|没钱|医保")),
    # confinement: a lock on the outside of a child's door, nobody let in, still not let out
    CueSpec("confined", re.compile(
        r"(屋|房间|卧室|小屋|门)(门)?(外头|外面|外边|外)(一直|总)?(挂着|上着|锁着|加了|安了|装了|挂了|上了)(一?把|个)?锁|"
        r"从外(头|面|边)(把门)?(锁|反锁|插)(上|着|住|了)|(?<![子己女他她我])把门锁(了|上)[,，]?" + _NC + r"{0,3}(谁|人|别人)(也|都)不让进|"
        r"锁" + _NS + r"{0,12}(还|也|都)不(给|让)开"),
        strict_past=True, veto=re.compile(
            r"疫情|隔离|封控|防盗|小偷|搬走|没人住|防止|宿舍|为了安全|为了(他|她|孩子)好|合适|犯法|违法|" + _PETS)),
    # -- round 3 (2026-12-04): an ongoing beating told by its duration, veiled farewells, lost in a crowd,
    # a carer hurting a small child seen live on a camera, gas where children are --
    CueSpec("hurt", re.compile(
        r"(拿|用)" + _NC + r"{0,4}(皮带|棍子|棒子|鞭子|衣架|擀面杖|笤帚|扫帚|板子|拖鞋|鞋底|尺子|竹条|藤条)(抽|打|揍|削)" + _NC + r"{0,6}(呢|着呢)" + _END + "|"
        r"(抽|打|揍|踢|踹)(孩子|小孩|娃|他|她|小子|闺女|儿子|丫头)" + _NC + r"{0,4}?(呢|着呢)" + _END + "|"
        r"(打|抽|揍)得?" + _NC + r"{0,6}(都)?不吱声了"), habit_veto=True, strict_past=True),
    # a beating told by how long it has lasted ("抽了得有十来分钟了"), not a game or a sport
    CueSpec("hurt", re.compile(
        r"(抽|打|揍|踢|踹)(了)?(得有|有|快|都)?[一二三四五六七八九十几两半0-9]+(来|多)?(个)?(多)?(分钟|钟头|小时)(了|还|都|也|$)"),
        habit_veto=True, strict_past=True,
        veto=re.compile(r"球|游戏|牌|麻将|针|电话|工|比赛|太极|拳|点滴|吊瓶|字|毛衣|草稿|篮|乒乓|羽毛|台球|架子鼓|鼓")),
    # a child gone silent while it is being beaten (the beating in a neighbouring clause)
    CueSpec("hurt", re.compile(_CHILD + _NC + r"{0,4}(都|也|已经)?(不吱声|没声|没动静|没了动静|不哭|哭不出声|不动)(了)" + _END),
            habit_veto=True, strict_past=True, requires=re.compile(r"(打|抽|揍|踢|踹|掐)(?!电话|工|游戏|针|麻将|球|算|扰)"),
            veto=_PAST),
    CueSpec("hurt", re.compile(
        r"正(拿|用|把)" + _NC + r"{0,6}(打|揍|抽|踢|掐|推|扇|摔)|"
        r"(监控|摄像头|视频|看家宝)" + _NS + r"{0,24}?(打|掐|推|踹|踢|扇|摔|拧|揪|拽|捂|扔)(?!电话|开|工|游戏|针|卡|招呼|扫|开关|视频)"),
        needs_now=True, requires=re.compile(_CHILD + "|保姆|阿姨|育儿嫂|月嫂|老师"),
        now_extra=re.compile(r"正(拿|用|把|在)|现在往|我现在|往(那|家|这)(边)?赶")),
    CueSpec("self_harm", re.compile(r"烧炭|炭(火)?(的)?味|告个别|把这事(给)?办了|放心不下"),
            needs_now=True, now_extra=re.compile(
                r"今(天|儿)?晚上?(就)?(想|要)?(把这事|走|办)|今天就|东西(都)?收拾好了|别进来|撞不开|打不开门"),
            veto=re.compile(r"搬家|转学|出差|旅游|回老家|办手续|办证|装修|烧烤|火锅|炭火盆")),
    CueSpec("missing", re.compile(
        r"(手一松|一松手|一撒手|一回头)(就)?(没了|不见了|没影了?)|(广播|喊)了" + _NC + r"{0,8}(没人领|没找着|也没找到|没人应)"),
        resolvable=True),
    # a child gone in a crowd just now, told by how it vanished or how long the search has been
    CueSpec("missing", re.compile(
        r"(一下子|一晃|一扭头|一不留神|一没留神|一不注意|没看住|人一多)(的)?(工夫)?(就)?(没了|不见了|没影了?|找不着了|找不到了)|"
        r"(找|寻)了(快|有|得有|都|好)?[一二三四五六七八九十几两半0-9]+(来|多)?(个)?(多)?(小时|钟头|分钟)(了)?(也|还|都)?(没|没有)(找着|找到|见着|影)"),
        resolvable=True, requires=re.compile(_CHILD), veto=re.compile(r"钥匙|钱包|手机|身份证|狗|猫|工作")),
    # a beating announced for tonight
    CueSpec("threat", re.compile(
        r"(晚上|今晚|今天晚上|回来|回家|等会儿?|一会儿?|待会儿?)" + _NC + r"{0,3}(还|又)(要|得|会)(打|揍|收拾|抽)"),
        habit_veto=True, strict_past=True),
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


def _later(text: str, c0: int, c1: int) -> str:
    """The clause at ``c0``..``c1`` with the next one ("我想问问…，另外孩子刚才说不想活了，现在人在楼顶")."""
    return text[c0 : _bounds(text, c1 + 1, _CLAUSE)[1]] if c1 < len(text) else text[c0:c1]


def _window(text: str, pos: int) -> str:
    """The sentence around ``pos`` with its neighbours (callers spread one event over sentences)."""
    bounds = [0] + [m.end() for m in _SENTENCE.finditer(text)] + [len(text)]
    for i in range(len(bounds) - 1):
        if bounds[i] <= pos < bounds[i + 1] or i == len(bounds) - 2:
            return text[bounds[max(i - 1, 0)] : bounds[min(i + 2, len(bounds) - 1)]]
    return text


def _real(text: str, pattern: re.Pattern) -> bool:
    """Whether ``pattern`` occurs in a clause that is not a worry, a hypothesis or negated."""
    for m in pattern.finditer(text):
        c0, _ = _bounds(text, m.start(), _CLAUSE)
        if not _HYPO.search(text[c0 : m.end()]) and not _NEG.search(text[max(c0, m.start() - 4) : m.start()]):
            return True
    return False


# -- prefilter: which cue patterns can match a text at all ----------------------------------------
# Scanning the text with every pattern costs about 2 µs per pattern, and few texts match any. Each
# pattern's possible match prefixes (its first one or two characters) are derived from its parse tree;
# a pattern is scanned only when the text contains one of them. The derivation only ever widens (an
# unknown element means "any continuation"), so a skipped pattern cannot match: the cues found are
# exactly those of scanning every pattern (tests/unit/classifier/test_classifier_speed_paths.py).

_PREFIX_LEN = 2
_PREFIX_LIMIT = 4000  # above this many prefixes a pattern falls back to one-character prefixes
_OPEN = frozenset({("", False)})  # "anything may follow": the pattern could start anywhere


def _shrink(prefixes: set) -> set:
    return {(s[:1], False) for s, _ in prefixes} if len(prefixes) > _PREFIX_LIMIT else prefixes


def _concat(left: set, right: set) -> set:
    out = set()
    for s, complete in left:
        if not complete or len(s) >= _PREFIX_LEN:
            out.add((s[:_PREFIX_LEN], False))
            continue
        for t, t_complete in right:
            u = s + t
            out.add((u[:_PREFIX_LEN], False) if len(u) >= _PREFIX_LEN else (u, t_complete))
    return _shrink(out)


def _seq_prefixes(items) -> set:
    cur = {("", True)}
    for op, av in items:
        cur = _concat(cur, _node_prefixes(op, av))
        if all(not c or len(s) >= _PREFIX_LEN for s, c in cur):
            break
    return cur


def _node_prefixes(op, av) -> set:
    if op is _sre.LITERAL:
        return {(chr(av), True)}
    if op is _sre.IN:
        chars = set()
        for o, a in av:
            if o is _sre.LITERAL:
                chars.add(chr(a))
            elif o is _sre.RANGE and a[1] - a[0] <= 200:
                chars.update(chr(c) for c in range(a[0], a[1] + 1))
            else:  # negated sets, categories (\w, \s), wide ranges
                return set(_OPEN)
        return {(c, True) for c in chars}
    if op is _sre.BRANCH:
        out = set()
        for alt in av[1]:
            out |= _seq_prefixes(alt)
        return _shrink(out)
    if op is _sre.SUBPATTERN:
        return _seq_prefixes(av[3]) if not (av[1] or av[2]) else set(_OPEN)  # inline flags: give up
    if op is _sre.ATOMIC_GROUP:
        return _seq_prefixes(av)
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
        # lo .. lo + _PREFIX_LEN repetitions are enough: further ones only add to prefixes that are
        # already _PREFIX_LEN long, or (a body that can match nothing) equal fewer repetitions
        lo, hi, body = av[0], av[1], _seq_prefixes(av[2])
        out, r, n = set(), {("", True)}, 0
        while True:
            if n >= lo:
                out |= r
            if n >= hi or n >= lo + _PREFIX_LEN:
                break
            r, n = _concat(r, body), n + 1
        return _shrink(out)
    if op in (_sre.ASSERT, _sre.ASSERT_NOT, _sre.AT):
        return {("", True)}  # zero width; ignoring the condition only widens
    return set(_OPEN)  # ANY, NOT_LITERAL, CATEGORY, group references, anything else


def match_prefixes(pattern: re.Pattern) -> frozenset[str]:
    """Strings one of which every match of ``pattern`` starts with ("" = it may start anywhere)."""
    if pattern.flags & (re.IGNORECASE | re.VERBOSE):
        return frozenset({""})
    try:  # re._parser is CPython's own parser: should it ever change, scan with the pattern as before
        return frozenset(s for s, _ in _seq_prefixes(_sre_parse.parse(pattern.pattern)))
    except Exception:  # noqa: BLE001
        return frozenset({""})


class _CueIndex:
    """Character / bigram -> bit mask of the cue patterns a match could start with it."""

    def __init__(self, specs: tuple[CueSpec, ...]):
        self.specs = specs
        self.always = 0
        by_char: dict[str, int] = {}
        by_bigram: dict[str, int] = {}
        for k, spec in enumerate(specs):
            prefixes = match_prefixes(spec.pattern)
            if "" in prefixes:
                self.always |= 1 << k
                continue
            for s in prefixes:
                table = by_char if len(s) == 1 else by_bigram
                table[s] = table.get(s, 0) | 1 << k
        self.always_list = _bits(self.always)
        self.char_specs = {c: tuple(_bits(m)) for c, m in by_char.items()}
        self.bigram_specs = {b: tuple(_bits(m | by_char.get(b[0], 0))) for b, m in by_bigram.items()}

    def matches(self, text: str) -> Iterator[tuple[int, Iterable[re.Match]]]:
        """(spec index, its matches) in spec order, as ``pattern.finditer(text)`` gives them: a pattern
        is tried only where one of its prefixes starts (``pattern.match(text, pos)`` sees the whole text,
        so look-behinds and anchors behave as in a scan), and a match resumes the scan at its end."""
        starts: defaultdict[int, list[int]] = defaultdict(list)
        for k in self.always_list:
            starts[k] = []
        # per position: the specs of its bigram (which include those of its first character), else
        # those of its character alone; map() stops at the shorter bigram sequence before taking the
        # last character's entry from per_char, which the chain then yields for the last position
        per_char = map(self.char_specs.get, text, itertools.repeat(()))
        per_position = map(self.bigram_specs.get, map(str.__add__, text, text[1:]), per_char)
        for i, ks in filter(_second, enumerate(itertools.chain(per_position, per_char))):
            for k in ks:
                starts[k].append(i)
        for k in sorted(starts):
            pattern = self.specs[k].pattern
            if self.always >> k & 1:
                yield k, pattern.finditer(text)
            else:
                yield k, _matches_at(pattern, text, starts[k])


_second = operator.itemgetter(1)


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _matches_at(pattern: re.Pattern, text: str, positions: list[int]) -> list[re.Match]:
    """``pattern.finditer(text)`` for a pattern that cannot match the empty string and can only start
    at ``positions`` (ascending)."""
    out, end = [], 0
    for i in positions:
        if i >= end:
            m = pattern.match(text, i)
            if m is not None:
                out.append(m)
                end = m.end()
    return out


_INDEX: _CueIndex | None = None


def _cue_index() -> _CueIndex:
    global _INDEX
    if _INDEX is None or _INDEX.specs is not CUES:
        _INDEX = _CueIndex(CUES)
    return _INDEX


_HYPO_BY_FAMILY = {"self_harm": _HYPO_SELF_HARM, "sold": _HYPO_HEARSAY, "bought": _HYPO_HEARSAY}


def find_emergency_cues(text: str) -> list[Cue]:
    """Emergency cues in a normalised text (see the module docstring); empty when there are none."""
    if _PRAISE.search(text) or _SAFE.search(text):
        return []
    found: list[Cue] = []
    index = _cue_index()
    specs = index.specs
    back = opening = custody = None
    for k, matches in index.matches(text):
        spec = specs[k]
        hypo = _HYPO_BY_FAMILY.get(spec.family, _HYPO)
        for m in matches:
            if back is None:  # text-wide findings, needed only once a pattern matched
                back = _BACK.search(text)
                opening = _OPENING_VETO.search(text) is not None
                custody = _CUSTODY.search(text) is not None and not _RELEASED.search(text)
            c0, c1 = _bounds(text, m.start(), _CLAUSE)
            clause = text[c0:c1]
            if _NEG.search(text[max(c0, m.start() - 4) : m.start()]) or _NEG_GAP.search(text[max(c0, m.start() - 8) : m.start()]):
                continue
            if spec.evidence and not all(_real(text, e) for e in spec.evidence):
                continue
            if custody and spec.family in _CUSTODY_FAMILIES:
                continue
            if hypo.search(text[c0 : m.end()]) or hypo.search(text[m.end() : c1][:6]):
                continue
            if spec.family == "missing" and re.search(_PARENT, m.group(0)):
                continue
            if spec.family == "alone" and (re.search(r"早|多年|几年|常年|多久|很久|好久", m.group(0)) or (
                    re.search(_PARENT, m.group(0)) and (_GONE_LONG.search(m.group(0)) or _GONE_FOR.match(text, m.end())))):
                continue
            if spec.family == "missing" and _ADULT_GONE.search(text, max(0, m.start() - 4), m.end() + 2):
                continue
            past = _PAST.search(clause) or (text[m.end() : m.end() + 1] == "过" and not re.search("没|未", m.group(0)))
            if spec.strict_past:
                past = past or re.search(r"过(?![来去年节马河桥])", text[m.end() : c1][:4])
                rescue = text[c0:c1]
            else:
                rescue = text[c0 : _bounds(text, c1 + 1, _CLAUSE)[1]] if c1 < len(text) else clause
            if past and (not _CLAUSE_NOW.search(rescue) or _LONG_AGO.search(rescue)):
                continue
            if spec.family in ("trafficking", "bought") and _RESCUED.search(text):
                continue
            s0, s1 = _bounds(text, m.start(), _SENTENCE)
            sentence = text[s0:s1]
            if _SENTENCE_HYPO.match(sentence) or _TOLD_STORY.search(text[s0 : m.start()]):
                continue
            corrected = "以为" in text[c0 : m.end()] and _CORRECTED.search(text[m.end() : m.end() + 40])
            if corrected or _FRIGHT_CORRECTED.search(text[m.end() : m.end() + 60]):
                continue
            if spec.family == "missing" and _LOST_PET.search(text):
                continue
            if opening and not (_OPENING_RESCUE.search(sentence) if s0 > 0 else c0 > 0 and _LATER_NOW.search(_later(text, c0, c1))):
                continue  # "我想问问……": only a later sentence / clause with an event now counts
            if spec.family in _GAME_FAMILIES and _GAME.search(_window(text, m.start())):
                continue
            if spec.veto is not None and spec.veto.search(_window(text, m.start())):
                continue
            if spec.requires is not None and not spec.requires.search(_window(text, m.start())):
                continue
            if spec.habit_veto and _HABIT.search(clause) and not _STRONG_NOW.search(clause):
                continue
            if spec.family == "threat" and _LATER_DAY.search(clause) and not _STRONG_NOW.search(clause):
                continue
            if spec.needs_now:
                if spec.family in ("alone", "hurt", "missing") and _HABIT.search(clause) and not _STRONG_NOW.search(clause):
                    continue
                if re.match(r"\s*(万一|如果|要是|假如)", sentence):
                    continue
                if (_CONSULT.search(sentence) and not (_CONSULT.search(text[s0:c0]) and _LATER_NOW.search(_later(text, c0, c1)))) \
                        or (spec.family == "alone" and _FUTURE.search(sentence)):
                    continue  # a question about rules, unless the danger is told after it, happening now
                window = _window(text, m.start())
                if not (_NOW.search(window) or (spec.duration_counts and _DURATION.search(window))
                        or (spec.now_extra is not None and spec.now_extra.search(window))):
                    continue
            if spec.resolvable and back and back.start() > m.start():
                continue
            found.append(Cue(spec.family, m.group(0), m.start()))
    found.sort(key=lambda c: c.start)
    return found
