"""`hotline sentiment import` (CSV and JSON Lines, a summary naming each rejected line) and the
`hotline sentiment dedupe` contract: {"id", "event"} per input line, same order; reposts and rewrites of
one story share an event, other stories do not."""

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from hotline.cli import given, main
from hotline.sentiment.models import SentimentEvent, SentimentItem

STORY = ("#长春寻人# 急寻！九台区营城街道一名8岁男孩今天下午放学后一直没到家，穿蓝白色校服，背黑色书包。"
         "家里人找了一下午了，有看到的朋友请联系孩子爸爸或者直接报警！求扩散")


@pytest.fixture
def run(state):
    def _run(*args: str, input: str | None = None):
        return CliRunner().invoke(main, list(args), obj=given(state), input=input, catch_exceptions=False)

    return _run


def stored(state) -> tuple[int, int]:
    with state.db.transaction(readonly=True) as session:
        return (session.scalar(select(func.count(SentimentItem.id))),
                session.scalar(select(func.count(SentimentEvent.id))))


def test_import_jsonl_reports_every_rejected_line(run, state, tmp_path):
    lines = [
        json.dumps({"external_id": "a1", "source": "weibo", "text": STORY, "published_at": "2026-06-01T17:30:00+08:00"}),
        "{not json",
        json.dumps({"external_id": "a2", "source": "weibo"}),  # no text
        "",
        json.dumps({"external_id": "a1", "source": "weibo", "text": STORY}),  # already in
        json.dumps({"external_id": "a3", "source": "wechat", "text": "转发 //@长春身边事:" + STORY,
                    "published_at": "2026-06-01T18:00:00", "metrics": {"reposts": -3}}),
        json.dumps({"external_id": "a4", "source": "wechat", "text": "转发 //@长春身边事:" + STORY,
                    "published_at": "2026-06-01T18:00:00", "metrics": {"reposts": 3}}),
    ]
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("sentiment", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "接收 2 条，重复 1 条，拒绝 3 条" in result.output
    assert "第 2 行：不是有效的 JSON" in result.output
    assert "第 3 行：" in result.output and "text" in result.output.split("第 3 行：")[1].splitlines()[0]
    assert "第 6 行：" in result.output and "第 7 行" not in result.output
    assert stored(state) == (2, 1)
    again = run("sentiment", "import", str(path))
    assert "接收 0 条，重复 3 条，拒绝 3 条" in again.output and stored(state) == (2, 1)


def test_import_csv_with_header(run, state, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text(
        "external_id,source,url,title,text,published_at,author,reposts,comments,likes\n"
        f'c1,news,https://news.example/1,九台男孩走失,"{STORY}",2026-06-01 17:30,城市晚报,12,3,40\n'
        "c2,news,,,,2026-06-01 18:00,,,,\n"
        'c3,news,https://news.example/3,,"白山市一所小学门口车辆乱停，家长呼吁设置护学岗",2026-06-02 08:00,,many,,\n',
        encoding="utf-8-sig")
    result = run("sentiment", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "接收 1 条，重复 0 条，拒绝 2 条" in result.output
    assert "第 3 行：" in result.output and "第 4 行：" in result.output
    with state.db.transaction(readonly=True) as session:
        item = session.scalars(select(SentimentItem)).one()
        assert (item.external_id, item.reposts, item.likes, item.title) == ("c1", 12, 40, "九台男孩走失")


def test_import_refuses_unknown_files_clearly(run, tmp_path):
    path = tmp_path / "items.xml"
    path.write_text("<x/>", encoding="utf-8")
    result = CliRunner().invoke(main, ["sentiment", "import", str(path)])
    assert result.exit_code != 0 and "不支持的文件类型" in result.output and "Traceback" not in result.output
    headless = tmp_path / "items.csv"
    headless.write_text("a,b\n1,2\n", encoding="utf-8")
    result = run("sentiment", "import", str(headless))
    assert result.exit_code != 0 and "CSV 缺少列" in result.output


FAMILIES = [
    # a missing boy in 九台区: the post, a repost chain, a truncated repost with emoji, a news rewrite,
    # the police's notice the next morning
    ("boy", "weibo", "2026-06-01T17:30:00+08:00", STORY),
    ("boy", "weibo", "2026-06-01T18:05:00+08:00", "太揪心了，都转起来🙏🙏 //@九台生活圈:扩散！//@长春寻人:" + STORY),
    ("boy", "douyin", "2026-06-01T18:40:00+08:00", "#长春寻人# 急寻！九台区营城街道一名8岁男孩今天下午放学后一直没到家，穿蓝白…全文"),
    ("boy", "news:城市晚报", "2026-06-01T21:10:00+08:00",
     "记者从九台区营城街道了解到，当地一名8岁小学生1日下午放学后未按时回家，家人沿途寻找未果后向警方求助。"
     "据家属介绍，男孩身穿蓝白色校服，目前民警和志愿者正在附近村屯和河道沿线搜寻。"),
    ("boy", "wechat", "2026-06-02T08:20:00+08:00",
     "【情况通报】6月1日18时许，九台区营城派出所接到群众报警称其8岁儿子放学后未归。经民警连夜搜寻，"
     "孩子已于2日凌晨在亲属家中找到，身体无碍。感谢广大网友关注。"),
    # a different incident in the same county the same week
    ("dog", "weibo", "2026-06-02T10:00:00+08:00",
     "九台区西营城镇一名5岁女童在村口被流浪狗咬伤脸部，已送往长春市儿童医院救治，村民呼吁处理流浪犬。"),
    ("dog", "news:新文化报", "2026-06-02T15:30:00+08:00",
     "2日上午，九台区西营城镇某村一名5岁女孩在村口玩耍时遭流浪犬攻击，面部多处咬伤。家属称已多次反映村里流浪狗问题。"),
    # the same kind of incident elsewhere the same day
    ("boy2", "weibo", "2026-06-01T19:00:00+08:00",
     "扩散！敦化市江源镇一名10岁男孩傍晚在河边玩后没回家，家人正在找，穿红色上衣，有消息请联系派出所。"),
    # alone
    ("weather", "weibo", "2026-06-01T20:00:00+08:00", "长春今晚有雷阵雨，明天气温回升，大家出门记得带伞。"),
]


def test_dedupe_contract_and_crafted_families(run):
    lines = [json.dumps({"id": f"i{n}", "text": text, "type": "sentiment", "published_at": at, "source": source},
                        ensure_ascii=False) for n, (_, source, at, text) in enumerate(FAMILIES)]
    result = run("sentiment", "dedupe", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["id"] for o in out] == [f"i{n}" for n in range(len(FAMILIES))]
    assert all(set(o) == {"id", "event"} and isinstance(o["event"], str) for o in out)
    event_of = {o["id"]: o["event"] for o in out}
    for a, (fa, *_) in enumerate(FAMILIES):
        for b, (fb, *_) in enumerate(FAMILIES):
            assert (event_of[f"i{a}"] == event_of[f"i{b}"]) == (fa == fb), (FAMILIES[a][3][:30], FAMILIES[b][3][:30])


def test_dedupe_refuses_bad_lines(run):
    result = CliRunner().invoke(main, ["sentiment", "dedupe", "-"], input='{"id": "x"}\n')
    assert result.exit_code != 0 and "第 1 行" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["sentiment", "dedupe", "-"], input="[1]\n")
    assert result.exit_code != 0 and "JSON 对象" in result.output
    assert run("sentiment", "dedupe", input="").output == ""
