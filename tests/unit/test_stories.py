"""Story fingerprints and grouping (classifier/stories.py): pure, no database."""

from datetime import date, datetime, timedelta, timezone

from classifier.stories import KeyIndex, StoryParams, containment, contradicts, fingerprint, group, same_event

BEIJING = timezone(timedelta(hours=8))
T0 = datetime(2026, 5, 6, 9, 0, tzinfo=BEIJING)

ORIGINAL = ("今早7点半左右，梨树县城一小学门口，一名二年级男孩过马路时被一辆右转的渣土车刮倒，当场就不能动了，"
            "已经送到县医院，家长说这个路口早高峰大车太多，反映过好几次了。")
NEWS = ("5月6日早7时30分许，梨树县城区某小学附近路口发生一起交通事故，一辆重型自卸货车在右转过程中与一名步行的"
        "8岁学生发生刮擦，学生腿部骨折，已送医治疗，驾驶人已被控制。")
NOTICE = ("针对5月6日城区某小学附近发生的学生被货车刮伤事故，我大队会同县教育局研究决定：自5月12日起，"
          "每日早晚高峰渣土车禁止通行学校周边道路。")
OTHER_COUNTY = ("5月6日早上，公主岭市一小学门口，一名男孩过马路时被一辆渣土车刮倒，腿部受伤，已送医院治疗。")


def fp(text: str, hours: float = 0, **kw):  # noqa: ANN003
    return fingerprint(text, published_at=T0 + timedelta(hours=hours), **kw)


def test_named_and_relative_days_are_the_same_day():
    assert fp("昨天下午孩子没回家", hours=24).days == {date(2026, 5, 6)}
    assert fp("5月6日下午孩子没回家").days == {date(2026, 5, 6)}
    assert fp("至今没有消息，如今家长很着急").days == frozenset()  # 至今 / 如今 are not "today"
    assert fp("12月30日发生的事", hours=0).days == {date(2025, 12, 30)}  # far in the future: last year


def test_counts_are_kept_apart_from_ages():
    f = fp("共有14名幼儿被送往医院，其中一名3岁女孩，花费41.60万元")
    assert f.counts == {"14", "41.6"}
    assert f.ages == {3}


def test_an_official_notice_about_its_own_area_takes_the_authors_place():
    assert fp(NOTICE, author="梨树县公安局交通警察大队").county == "梨树县"
    assert fp("全省防溺水工作会议召开", author="梨树县公安局").county is None  # no 我县/我局: not its own area
    assert fp(NOTICE).county is None


def test_contradictions():
    assert contradicts(fp("农安县一名8岁男孩走失"), fp("榆树市一名8岁男孩走失"))
    assert contradicts(fp("一名8岁男孩走失"), fp("一名12岁男孩走失"))
    assert contradicts(fp("一名女孩走失"), fp("一名男孩走失"))
    assert not contradicts(fp("农安县一名8岁男孩走失"), fp("长春市农安县8岁男童下落不明"))


def test_a_truncated_repost_is_contained_in_its_original():
    repost = fp("太危险了😭 //@四平那些事儿:" + ORIGINAL[:40] + "…展开全文", hours=2)
    assert containment(fp(ORIGINAL), repost) >= StoryParams().repost_containment
    assert same_event(fp(ORIGINAL), repost) == 1.0


def test_group_puts_a_story_its_retelling_and_the_official_follow_up_together_and_keeps_look_alikes_apart():
    items = [
        ("post", fp(ORIGINAL)),
        ("repost", fp("#梨树小学门口事故# 转发扩散 //@四平那些事儿:" + ORIGINAL, hours=1)),
        ("news", fp(NEWS, hours=8)),
        ("notice", fp(NOTICE, hours=24 * 5, author="梨树县公安局交通警察大队")),
        ("elsewhere", fp(OTHER_COUNTY, hours=3)),
        ("months later", fp(ORIGINAL, hours=24 * 60)),
    ]
    events = group(items)
    assert events["repost"] == events["news"] == events["notice"] == events["post"] == "post"
    assert events["elsewhere"] == "elsewhere"
    assert events["months later"] == "months later"  # past both windows: another event


def test_the_index_keeps_a_key_once_per_event_and_only_recent_entries():
    index: KeyIndex[str] = KeyIndex(StoryParams(), per_key=2)
    first = fp(ORIGINAL)
    assert index.add("e1", "a", first) == list(first.keys)
    assert index.add("e1", "b", fp(ORIGINAL, hours=1)) == []  # the event holds these keys already
    for n in range(5):
        index.add(f"other{n}", f"o{n}", fp(ORIGINAL, hours=2 + n))
    found = index.candidates(fp(ORIGINAL, hours=10))
    assert ("other4", "o4") in found and ("e1", "a") not in found  # at most 2 per key, the most recent
    assert index.candidates(fp(ORIGINAL, hours=24 * 30)) == []  # outside every key's window
