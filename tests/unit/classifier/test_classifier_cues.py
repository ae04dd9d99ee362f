"""Emergency cues (boundary rule 12) with negation, past and hypothetical handling; routing."""

import pytest

from classifier.cues import find_emergency_cues
from classifier.rules import apply_rules, raise_urgency, route
from classifier.text import normalize


def cues(text):
    return find_emergency_cues(normalize(text))


@pytest.mark.parametrize(
    "text",
    [
        # a child missing now (calm wording)
        "孩子从昨天下午出门到现在还没回家，电话也关机了。",
        "我儿子放学一直没到家，平时四点就回来了，现在七点了。",
        "孩子不见了，商场里找了一圈也找不着了",
        # being hurt now
        "我家隔壁又打孩子了，现在还在打，小孩嗷嗷叫唤",
        "刚才看见一个男的掐着个小男孩脖子往地上摁",
        # alone without care now
        "楼上那家大人两天没回来了，屋里就剩个四五岁的小孩，刚才在阳台上哭",
        "停车场有辆车里锁着个小孩，哭得满头是汗，快来人",
        # self-harm / suicide intent
        "我儿子现在在楼顶上，他说他不想活了",
        "孩子现在正在用刀片划胳膊，我抢不下来",
        "我刚吃了一整板安眠药，现在有点晕",
        # trafficking suspicion
        "有个陌生人想把孩子抱走，孩子一直哭",
        "村口有个面包车，下来俩人把孩子往车上拽，那车还在村口没走",
        # a child with an online contact now
        "闺女说现在要去见网友，人已经出门了，电话也不接",
        # abandoned baby
        "垃圾站边上有个纸箱子，里头是个刚生下来的孩子",
    ],
)
def test_emergencies_are_caught(text):
    assert cues(text), text


@pytest.mark.parametrize(
    "text",
    [
        # past
        "孩子以前走丢过一次，想问问怎么给孩子办防走失手环",
        "去年冬天那个被他爸打得住院的小孩，现在又搬回去了，想问问有没有人跟着",
        "上礼拜他爸拿皮带抽过他，现在伤好了",
        # hypothetical / worry
        "担心孩子会不会被人贩子拐走，学校能不能多宣传",
        "万一孩子走丢了应该先找谁？",
        "如果孩子离家出走，派出所多久能立案",
        # negation
        "他爸没有打孩子，就是吼了两句",
        "孩子不是走丢，是去同学家了，已经找到了",
        # resolved
        "孩子昨晚没回家，今天早上已经找到了，在网吧",
        # dramatic wording of a normal matter
        "急死了！低保三个月没到账，救命啊，你们快点给办",
        "孩子身份证丢了，补办要多长时间？",
        "孩子丢了户口本，补办户口本需要带啥",
        # praise of a past rescue
        "表扬救助站，上个月我儿子离家出走，他们把孩子好好的送回来了",
        # a general hazard complaint without an event now
        "学校门口的河边没有护栏，防溺水警示牌也没了，马上放暑假了",
    ],
)
def test_non_emergencies_are_not_flagged(text):
    assert not cues(text), [c.text for c in cues(text)]


def test_apply_rules_without_model():
    f = apply_rules("来电人反映，农安县某村一个7岁孩子父母都在外地打工，爷爷住院了，孩子一个人在家两天没吃饭。")
    assert (f.prefecture, f.county) == ("长春市", "农安县")
    assert f.emergency and f.cues


def test_apply_rules_uses_title():
    f = apply_rules("家属已报警，看到请联系", title="九台8岁男孩放学未归 家人急寻")
    assert f.prefecture == "长春市" and f.county == "九台区"
    assert f.emergency


def test_cues_only_raise_urgency():
    assert raise_urgency("normal", True) == "emergency"
    assert raise_urgency("urgent", True) == "emergency"
    assert raise_urgency("emergency", False) == "emergency"
    assert raise_urgency("urgent", False) == "urgent"


def test_routing_adds_public_security_to_emergencies():
    assert route("guardianship", False) == ("civil_affairs", ("public_security",))
    assert route("education", False) == ("education", ())
    assert route("education", True) == ("education", ("public_security",))
    assert route("mental_health", True) == ("health", ("education", "public_security"))
    # already the lead: not repeated as a co-agency
    assert route("missing_child", True) == ("public_security", ("civil_affairs",))
    assert route("other", False) == ("data_bureau", ())
