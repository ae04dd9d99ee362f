"""Region extraction (taxonomy boundary rule 13): short forms, ambiguity, out-of-province."""

import pytest

from classifier.regions import find_region
from classifier.taxonomy import load_taxonomy

SHORT_FORMS = [
    ("前郭", "松原市", "前郭尔罗斯蒙古族自治县"),
    ("前郭县", "松原市", "前郭尔罗斯蒙古族自治县"),
    ("延边", "延边朝鲜族自治州", None),
    ("延边州", "延边朝鲜族自治州", None),
    ("伊通", "四平市", "伊通满族自治县"),
    ("伊通县", "四平市", "伊通满族自治县"),
    ("长白县", "白山市", "长白朝鲜族自治县"),
    ("长白山", "长白山管委会", None),
    ("农安", "长春市", "农安县"),
    ("榆树", "长春市", "榆树市"),
    ("德惠", "长春市", "德惠市"),
    ("公主岭", "长春市", "公主岭市"),
    ("九台", "长春市", "九台区"),
    ("双阳", "长春市", "双阳区"),
    ("梨树", "四平市", "梨树县"),
    ("敦化", "延边朝鲜族自治州", "敦化市"),
    ("珲春", "延边朝鲜族自治州", "珲春市"),
    ("延吉", "延边朝鲜族自治州", "延吉市"),
    ("图们", "延边朝鲜族自治州", "图们市"),
    ("龙井", "延边朝鲜族自治州", "龙井市"),
    ("和龙", "延边朝鲜族自治州", "和龙市"),
    ("汪清", "延边朝鲜族自治州", "汪清县"),
    ("安图", "延边朝鲜族自治州", "安图县"),
    ("集安", "通化市", "集安市"),
    ("梅河口", "通化市", "梅河口市"),
    ("辉南", "通化市", "辉南县"),
    ("柳河", "通化市", "柳河县"),
    ("临江", "白山市", "临江市"),
    ("抚松", "白山市", "抚松县"),
    ("靖宇", "白山市", "靖宇县"),
    ("扶余", "松原市", "扶余市"),
    ("长岭", "松原市", "长岭县"),
    ("乾安", "松原市", "乾安县"),
    ("洮南", "白城市", "洮南市"),
    ("大安", "白城市", "大安市"),
    ("镇赉", "白城市", "镇赉县"),
    ("通榆", "白城市", "通榆县"),
    ("蛟河", "吉林市", "蛟河市"),
    ("桦甸", "吉林市", "桦甸市"),
    ("舒兰", "吉林市", "舒兰市"),
    ("磐石", "吉林市", "磐石市"),
    ("永吉", "吉林市", "永吉县"),
    ("双辽", "四平市", "双辽市"),
    ("东丰", "辽源市", "东丰县"),
    ("东辽", "辽源市", "东辽县"),
]


@pytest.mark.parametrize(("surface", "prefecture", "county"), SHORT_FORMS)
def test_short_forms(surface, prefecture, county):
    r = find_region(f"来电人说孩子在{surface}那边，想问问怎么办")
    assert (r.prefecture, r.county) == (prefecture, county)


def test_every_taxonomy_county_implies_its_prefecture():
    tax = load_taxonomy()
    for prefecture, counties in tax.regions.items():
        assert find_region(f"家住{prefecture}") == (find_region(f"家住{prefecture}"))
        assert find_region(f"我是{prefecture}的").prefecture == prefecture
        for county in counties:
            r = find_region(f"孩子住在{county}某村")
            assert (r.prefecture, r.county) == (prefecture, county), county


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("朝阳区某小区有个孩子没人管", ("长春市", "朝阳区")),
        ("二道区一所小学", ("长春市", "二道区")),
        ("西安区有户人家", ("辽源市", "西安区")),
        ("铁西区某街道", ("四平市", "铁西区")),
        ("吉林市船营区", ("吉林市", "船营区")),
        ("我在吉林市", ("吉林市", None)),
        ("通化县某村", ("通化市", "通化县")),
        ("我们是通化的", ("通化市", None)),
        ("长白山池北区", ("长白山管委会", "池北区")),
        ("二道江区某小区", ("通化市", "二道江区")),
        ("长春一小区孩子被反锁家中", ("长春市", None)),
    ],
)
def test_ambiguous_names(text, expected):
    r = find_region(text)
    assert (r.prefecture, r.county) == expected


@pytest.mark.parametrize(
    "text",
    [
        "吉林省的孤儿补贴标准是多少",
        "我在吉林，孩子户口怎么办",
        "孩子在省城住院",
        "我是沈阳的，孩子在这边上学",
        "在北京打工，孩子在老家",
        "哈尔滨火车站有个孩子在要钱",
        "大连一家工地拖欠工资",
        "山东临沂的，前妻带着孩子走了",
        "北京朝阳区某小区",
        "沈阳市铁西区的孩子",
        "西安市的一所学校",
        "喝了一杯西湖龙井",
        "收集安全隐患线索",
        "孩子身份证丢了，补办要多长时间",
    ],
)
def test_no_jilin_place_gives_null(text):
    r = find_region(text)
    assert (r.prefecture, r.county) == (None, None)


def test_out_of_province_and_jilin_named_keeps_jilin():
    r = find_region("我在大连打工，孩子在梨树县老家跟他奶奶")
    assert (r.prefecture, r.county) == ("四平市", "梨树县")


def test_home_county_beats_hospital_city():
    r = find_region("俺明天要去吉林市住院做手术，俺家在磐石底下的村里")
    assert (r.prefecture, r.county) == ("吉林市", "磐石市")
    r = find_region("孩子在长春市儿童医院住院，我们家是农安县的")
    assert (r.prefecture, r.county) == ("长春市", "农安县")


def test_home_county_beats_county_of_hospital():
    r = find_region("孩子在九台区医院治疗，家住德惠市某镇")
    assert (r.prefecture, r.county) == ("长春市", "德惠市")


def test_first_county_wins_without_cues():
    r = find_region("敦化和珲春两地都有这种情况")
    assert (r.prefecture, r.county) == ("延边朝鲜族自治州", "敦化市")
