"""Region extraction: which Jilin prefecture / county a text is about (taxonomy boundary rule 13).

A gazetteer is built from the taxonomy's regions plus the short forms callers use (前郭, 延边州, 伊通,
长白县, 长白山, county names without 市/县/区 where unambiguous).  Matching is leftmost-longest, so
"长白山" is not read as "白山", "通化县" not as "通化", "二道江区" not as "二道区".  Rules:

* a county named implies its prefecture; a prefecture alone gives county ``None``;
* "吉林" / "吉林省" / "省城" name the province, not 吉林市: they give nothing;
* places outside Jilin (沈阳, 北京, 哈尔滨, 山东 …) give nothing, and a district name that Jilin shares
  with another city (朝阳区, 铁西区, 铁东区, 西安区) is dropped when that city is named right before it
  ("沈阳市铁西区"); alone it is Jilin's;
* several places named: a county beats a bare prefecture; among counties (or among prefectures) a
  mention tied to the caller's home ("家住", "老家", "…村") beats one tied to a hospital or work
  elsewhere ("在…住院", "…医院"); otherwise the first mention wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .taxonomy import Taxonomy, load_taxonomy

#: short form -> canonical name (county or prefecture as written in the taxonomy)
SHORT_FORMS: dict[str, str] = {
    # prefectures
    "长春": "长春市",
    "四平": "四平市",
    "辽源": "辽源市",
    "通化": "通化市",
    "白山": "白山市",
    "松原": "松原市",
    "白城": "白城市",
    "延边": "延边朝鲜族自治州",
    "延边州": "延边朝鲜族自治州",
    "长白山": "长白山管委会",
    "长白山管理委员会": "长白山管委会",
    "长白山保护开发区": "长白山管委会",
    # counties whose short form is special
    "前郭": "前郭尔罗斯蒙古族自治县",
    "前郭县": "前郭尔罗斯蒙古族自治县",
    "前郭旗": "前郭尔罗斯蒙古族自治县",
    "前郭尔罗斯": "前郭尔罗斯蒙古族自治县",
    "伊通": "伊通满族自治县",
    "伊通县": "伊通满族自治县",
    "长白县": "长白朝鲜族自治县",
    "长白朝鲜族县": "长白朝鲜族自治县",
    "二道白河": "池北区",
}

#: county names that are NOT usable without their suffix: ambiguous with other places or plain words
BARE_UNSAFE = {
    "朝阳",  # 辽宁朝阳市, 北京朝阳区, "朝阳" = morning sun
    "二道",  # 二道江, 二道白河
    "昌邑",  # 山东昌邑市
    "龙潭",  # common place / word
    "丰满",  # plump
    "铁西",  # 沈阳铁西区
    "铁东",  # 鞍山铁东区
    "西安",  # 陕西西安
    "龙山",  # many places
    "东昌",  # 聊城东昌府区
    "江源",
    "宁江",
    "南关",
    "宽城",  # 河北宽城县
    "浑江",  # also a river
    "池北",
    "池西",
    "池南",
    "长白",  # mountain or county
    "吉林",  # the province
}

#: Jilin district names shared with districts of other cities: dropped after that city's name
SHARED_DISTRICTS = {"朝阳区", "铁西区", "铁东区", "西安区", "宽城区", "龙山区", "二道区"}

#: places outside Jilin (provinces, big or neighbouring cities, countries); matching one gives nothing
OUTSIDE = """
北京 上海 天津 重庆 河北 山西 内蒙古 内蒙 辽宁 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 广西 海南 四川 贵州
云南 西藏 陕西 甘肃 青海 宁夏 新疆 香港 澳门 台湾 沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 营口 阜新 辽阳 盘锦 铁岭 朝阳市 葫芦岛
哈尔滨 齐齐哈尔 牡丹江 佳木斯 大庆 绥化 黑河 鸡西 鹤岗 双鸭山 七台河 大兴安岭 呼和浩特 包头 通辽 赤峰 兴安盟 乌兰浩特 呼伦贝尔
石家庄 唐山 秦皇岛 承德 济南 青岛 烟台 威海 潍坊 昌邑市 聊城 东昌府 南京 苏州 无锡 杭州 宁波 温州 合肥 福州 厦门 南昌 郑州
武汉 长沙 广州 深圳 东莞 佛山 珠海 南宁 海口 三亚 成都 贵阳 昆明 拉萨 西安市 兰州 西宁 银川 乌鲁木齐 太原 韩国 日本 俄罗斯
朝鲜 美国 国外 外省 省外
""".split()

#: words that contain a place name but are not places
NOT_PLACES = """
四平八稳 白山黑水 长春藤 沟通化解 普通化 变通化 流通化 龙井茶 西湖龙井 泡龙井 喝龙井 坚如磐石 稳如磐石 杨靖宇 靖宇将军
收集安全 采集安全 大安全 农安全 集安全 梨树下 梨树上 梨树苗 榆树下 榆树钱 榆树叶 棵梨树 棵榆树 吉林市场
""".split()

_HOME_BEFORE = re.compile(r"(家住|住在|家在|老家|户籍|户口在|来自|我是|俺是|家是|我们|俺们|咱|本地|是)\s*$")
_HOME_AFTER = re.compile(r"^\s*(?:[^\s,。,;;!?!?]{0,6}?)(村|屯|乡|镇|街道|社区|小区|人|本地|老家|这边|当地)")
_AWAY_BEFORE = re.compile(r"(去|到|在|来|转到|住进|上)\s*$")
_AWAY_AFTER = re.compile(r"^\s*(?:[^\s,。,;;!?!?]{0,8}?)(医院|住院|看病|治疗|手术|打工|上班|务工|工地|火车站|机场|ICU)")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    surface: str
    prefecture: str | None  # None for places outside Jilin
    county: str | None


@dataclass(frozen=True)
class Region:
    prefecture: str | None = None
    county: str | None = None


class Gazetteer:
    """Leftmost-longest matcher over Jilin names, short forms, outside places and non-place words."""

    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        entries: dict[str, tuple[str | None, str | None] | None] = {}
        for prefecture, counties in taxonomy.regions.items():
            entries[prefecture] = (prefecture, None)
            for county in counties:
                entries[county] = (prefecture, county)
                bare = re.sub(r"(满族自治县|朝鲜族自治县|蒙古族自治县|自治县|市|县|区)$", "", county)
                if len(bare) >= 2 and bare not in BARE_UNSAFE and bare not in entries:
                    entries.setdefault(bare, (prefecture, county))
        for short, name in SHORT_FORMS.items():
            if name in taxonomy.regions:
                entries[short] = (name, None)
            elif name in taxonomy.county_to_prefecture:
                entries[short] = (taxonomy.county_to_prefecture[name], name)
        for place in OUTSIDE:
            entries.setdefault(place, (None, None))
        for word in NOT_PLACES:
            entries[word] = None  # consumes the text, yields nothing
        for province in ("吉林省", "吉林", "省城", "全省", "我省", "本省"):
            entries[province] = None
        self.entries = entries
        names = sorted(entries, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(n) for n in names))

    def mentions(self, text: str) -> list[Mention]:
        out = []
        for m in self.pattern.finditer(text):
            hit = self.entries[m.group(0)]
            if hit is None:
                continue
            out.append(Mention(m.start(), m.end(), m.group(0), hit[0], hit[1]))
        return out


_GAZETTEERS: dict[str, Gazetteer] = {}


def gazetteer(taxonomy: Taxonomy | None = None) -> Gazetteer:
    """The gazetteer of a taxonomy (built once per taxonomy hash)."""
    tax = taxonomy or load_taxonomy()
    gaz = _GAZETTEERS.get(tax.sha256)
    if gaz is None:
        gaz = _GAZETTEERS[tax.sha256] = Gazetteer(tax)
    return gaz


def _home_score(text: str, m: Mention) -> int:
    before = text[max(0, m.start - 4) : m.start]
    after = text[m.end : m.end + 12]
    score = 0
    if _HOME_BEFORE.search(before) or _HOME_AFTER.search(after):
        score += 1
    if _AWAY_AFTER.search(after):
        score -= 2
    elif _AWAY_BEFORE.search(before) and not _HOME_AFTER.search(after):
        score -= 1
    return score


def find_region(text: str, taxonomy: Taxonomy | None = None) -> Region:
    """The Jilin place a (normalised or raw) text is about, per boundary rule 13."""
    gaz = gazetteer(taxonomy)
    mentions = gaz.mentions(text)
    jilin: list[Mention] = []
    for i, m in enumerate(mentions):
        if m.prefecture is None:
            continue
        if m.county in SHARED_DISTRICTS or m.surface in SHARED_DISTRICTS:
            prev = mentions[i - 1] if i else None
            if prev is not None and prev.prefecture is None and m.start - prev.end <= 2:
                continue  # 沈阳市铁西区, 北京朝阳区
        jilin.append(m)
    if not jilin:
        return Region()
    counties = [m for m in jilin if m.county]
    pool = counties or jilin
    best = max(pool, key=lambda m: (_home_score(text, m), -m.start))
    return Region(best.prefecture, best.county)
