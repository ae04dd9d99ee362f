"""Synthetic public-sentiment items for the speed benchmarks (not for quality: the wording is templated).

Stories about children in Jilin's counties, each posted once and then reposted (转发 chains, emoji,
hashtags, truncation) and sometimes retold by an outlet; a share of singletons and irrelevant chatter.
Items come in publication order over a span of days, as a crawler would deliver them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
_REGIONS = yaml.safe_load((ROOT / "classifier" / "data" / "taxonomy.yaml").read_text(encoding="utf-8"))["regions"]
COUNTIES = [(p, c) for p, counties in _REGIONS.items() for c in counties]
SYLLABLES = "安宝北长朝大德东丰福富光广和红华吉嘉江金靖兰乐利联林龙明南平庆仁荣瑞山胜双太天通文兴阳永裕振正中"
INCIDENTS = [
    ("{town}一名{age}岁{kid}{when}放学后一直没回家，穿{color}衣服，家人和邻居找了{hours}个小时还没找到，有线索请联系派出所，求扩散！",
     "记者从{county}{town}了解到，当地一名{age}岁{kid}{when}放学后未按时回家，家属寻找未果后报警，警方和志愿者正在搜寻。"),
    ("{town}{village}一个{age}岁的{kid}父母都在外地打工，跟着{elder}生活，{elder}最近病倒了，孩子一个人在家好几天，没人做饭。",
     "{county}{town}一名{age}岁留守{kid}因照顾其生活的{elder}患病，已独自在家数日。村委会表示将尽快核实并安排临时照护。"),
    ("{town}{village}一个{age}岁{kid}在{water}边玩水时落水，{rescuer}跳下去把孩子救了上来，孩子已经送医院了，夏天一定看好孩子！",
     "{when}，{county}{town}一名{age}岁{kid}在{water}边玩耍时不慎落水，{rescuer}下水施救，孩子被送往医院救治，暂无生命危险。"),
    ("{town}中心小学一个{age}岁{kid}被几个高年级学生堵在厕所里打，家长拍了视频，孩子脸上都是伤，学校说是同学之间闹着玩？",
     "{county}{town}中心小学一名{age}岁学生遭多名高年级学生殴打，家长发布视频后引发关注。{county}教育局回应称已成立调查组。"),
    ("{town}{village}有个{age}岁{kid}得了白血病，家里为了治病已经花光了积蓄，{elder}每天以泪洗面，求好心人帮帮这个孩子。",
     "{county}{town}一名{age}岁{kid}被确诊患白血病，治疗费用高昂，家庭陷入困境。当地民政部门表示将协助申请临时救助和医疗救助。"),
    ("{town}集市上看到一个{age}岁左右的{kid}在街头乞讨，身上很脏，问他家在哪也不说，有没有人管管？",
     "{when}，有网友反映{county}{town}集市上有一名约{age}岁的{kid}独自乞讨。{county}民政局已安排工作人员前往核实。"),
]
OTHER = [
    "{county}今天降温，最低气温零下{hours}度，出门注意防滑，开车慢一点。",
    "{county}{town}新开了一家{color}招牌的火锅店，味道不错，周末人很多。",
    "{county}{town}道路维修，{when}起封闭施工{hours}天，请绕行。",
    "{county}民政局组织开展关爱留守儿童志愿服务活动，为{town}{hours}名儿童送去学习用品。",
]
EMOJI = ["🙏", "😭", "😡", "❤️", "👍", "🙏🙏🙏", ""]
TAGS = ["#吉林身边事#", "#寻人#", "#关爱留守儿童#", "#正能量#", ""]
WORDS = ["扩散", "太揪心了", "都转起来", "希望孩子平安", "有关部门管管吧", "转发微博", "心疼", "这也太过分了"]


def _name(rng: random.Random, suffix: str) -> str:
    return rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + suffix


def _story(rng: random.Random) -> dict[str, str]:
    prefecture, county = rng.choice(COUNTIES)
    return {"prefecture": prefecture, "county": county, "town": _name(rng, rng.choice("镇乡")),
            "village": _name(rng, "村"), "age": str(rng.randint(3, 15)), "kid": rng.choice(["男孩", "女孩"]),
            "when": rng.choice(["周一", "周三", "昨天下午", "今天上午", "前天晚上"]),
            "color": rng.choice(["红色", "蓝色", "黄色", "白色", "黑色"]), "hours": str(rng.randint(2, 30)),
            "elder": rng.choice(["奶奶", "爷爷", "姥姥", "姥爷"]), "water": rng.choice(["河", "水库", "池塘"]),
            "rescuer": rng.choice(["路过的村民", "一名大学生", "孩子的叔叔", "附近的钓鱼人"])}


def _repost(rng: random.Random, text: str, depth: int) -> str:
    chain = "".join(f"{rng.choice(WORDS)}{rng.choice(EMOJI)}//@{_name(rng, '')}{rng.randint(1, 999)}:"
                    for _ in range(depth))
    body = text if rng.random() < 0.7 else text[: rng.randint(25, max(26, len(text) - 5))] + "…全文"
    return f"{rng.choice(TAGS)}{chain}{body}"


def items(n: int, *, seed: int = 20261204, start: datetime | None = None, days: float = 60) -> Iterator[dict]:
    """N items in publication order: families of 1..20 (an original, reposts, maybe a rewrite)."""
    rng = random.Random(seed)
    start = start or datetime.fromisoformat("2026-06-01T00:00:00+08:00")
    step = timedelta(days=days) / n
    pending: list[tuple[float, dict]] = []  # (due index, item) of reposts not yet published
    made = family = 0
    while made < n:
        due = [p for p in pending if p[0] <= made]
        pending = [p for p in pending if p[0] > made]
        batch = [item for _, item in due]
        if not batch:
            family += 1
            slots = _story(rng)
            if rng.random() < 0.25:
                text = rng.choice(OTHER).format(**slots)
                batch = [{"text": text}]
            else:
                post, rewrite = rng.choice(INCIDENTS)
                text = (slots["county"] if rng.random() < 0.8 else "") + post.format(**slots)
                batch = [{"text": text}]
                for _ in range(rng.choice([0, 1, 2, 3, 5, 8, 12, 19])):
                    pending.append((made + rng.randint(1, 400), {"text": _repost(rng, text, rng.randint(1, 3))}))
                if rng.random() < 0.3:
                    pending.append((made + rng.randint(5, 600), {"text": rewrite.format(**slots),
                                                                  "title": f"{slots['county']}：{slots['town']}一{slots['kid']}引发关注"}))
        for item in batch:
            if made >= n:
                break
            made += 1
            yield {"external_id": f"syn-{seed}-{made}", "source": rng.choice(["weibo", "douyin", "wechat", "news"]),
                   "published_at": (start + step * made).isoformat(),
                   "metrics": {"reposts": rng.randint(0, 50), "comments": rng.randint(0, 20),
                               "likes": rng.randint(0, 200)}, **item}
