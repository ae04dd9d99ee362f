"""The `hotline` command: init (idempotent), users, tokens, sla — and the shared contract checker."""

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from hotline.accounts.models import ApiToken, User
from hotline.children.models import Child
from hotline.cli import given, main
from hotline.sentiment.models import SentimentEvent, SentimentItem
from hotline.tickets.models import Ticket
from hotline.timeutil import utcnow


@pytest.fixture
def run(state):
    """Run a command in-process on the test's runtime (inside the test's transaction)."""

    def _run(*args: str, input: str | None = None):
        return CliRunner().invoke(main, list(args), obj=given(state), input=input, catch_exceptions=False)

    return _run


def demo_passwords(output: str) -> dict[str, str]:
    """role -> password, from the lines `hotline init --demo` prints for new demo accounts."""
    return {line.split()[0]: line.split()[2] for line in output.splitlines() if line.startswith("  ")}


def test_init_demo_is_idempotent_and_prints_passwords_once(run, state):
    first = run("init", "--demo")
    assert first.exit_code == 0, first.output
    printed = demo_passwords(first.output)
    assert set(printed) == {"operator", "dispatcher", "agency_staff", "supervisor", "admin", "child_supervisor",
                            "child_director"}
    passwords = set(printed.values())
    assert len(passwords) == 7 and all(len(p) >= 12 for p in passwords)
    second = run("init", "--demo")
    assert second.exit_code == 0
    assert not any(p in second.output for p in passwords)
    assert "已存在" in second.output
    with state.db.transaction(readonly=True) as session:
        assert session.scalar(select(func.count(User.id))) == 7
        assert session.scalar(select(func.count(Ticket.id))) == 6
        assert session.scalar(select(func.count(Child.id))) == 5  # fabricated demo children, once
        # the demo sentiment items: stored once, grouped into their six stories, the newest an hour old
        assert session.scalar(select(func.count(SentimentItem.id))) == 36
        assert session.scalar(select(func.count(SentimentEvent.id))) == 6
        assert utcnow() - session.scalar(select(func.max(SentimentItem.published_at))) < timedelta(hours=2)
        assert utcnow() - session.scalar(select(func.min(SentimentItem.published_at))) < timedelta(days=4)
        hashes = session.scalars(select(User.password_hash)).all()
    assert all(h.startswith("pbkdf2:sha256:600000$") for h in hashes)  # ASVS 2.4.6 cost
    assert not any(p in h for p in passwords for h in hashes)


def test_demo_passwords_are_not_fixed(run, state):
    first = run("init", "--demo").output
    with state.db.transaction() as session:  # a fresh installation (rolled back with the test)
        for table in ("ticket_events", "ticket_co_units", "tickets", "visit_tasks", "child_versions", "guardians",
                      "children", "user_places", "users"):
            session.execute(text(f"DELETE FROM {table}"))
    second = run("init", "--demo").output
    assert len(demo_passwords(second)) == 7
    assert not set(demo_passwords(first).values()) & set(demo_passwords(second).values())


def test_user_create_reads_the_password_from_stdin(run, state):
    result = run(
        "user",
        "create",
        "--username",
        "li.ming",
        "--role",
        "agency_staff",
        "--unit",
        "civil_affairs:长春市/朝阳区",
        "--password-stdin",
        input="Strong-Passw0rd-1\n",
    )
    assert result.exit_code == 0, result.output
    with state.db.transaction(readonly=True) as session:
        user = session.scalar(select(User).where(User.username == "li.ming"))
        assert user.unit.name == "长春市朝阳区民政局"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "operator"], "short\n", "至少 12 个字符"),
        (["--role", "operator"], "alllowercaseletters\n", "至少三类"),
        (["--role", "wizard"], "Strong-Passw0rd-1\n", "未知角色"),
        (["--role", "agency_staff"], "Strong-Passw0rd-1\n", "--unit"),
        (["--role", "agency_staff", "--unit", "civil_affairs:沈阳市"], "Strong-Passw0rd-1\n", "不存在"),
        (["--role", "operator", "--unit", "civil_affairs:长春市"], "Strong-Passw0rd-1\n", "只有承办单位"),
        (["--role", "operator"], "\n", "没有密码"),
    ],
)
def test_user_create_errors_are_clear(run, args, stdin, message):
    result = run("user", "create", "--username", "x.user", *args, "--password-stdin", input=stdin)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_duplicate_username(run):
    args = ("user", "create", "--username", "dup", "--role", "operator", "--password-stdin")
    assert run(*args, input="Strong-Passw0rd-1\n").exit_code == 0
    result = run(*args, input="Strong-Passw0rd-2\n")
    assert result.exit_code == 2 and "已存在" in result.output


def test_token_is_printed_once_and_only_its_hash_is_stored(run, state, client):
    result = run("token", "create", "--name", "telephony", "--role", "operator")
    assert result.exit_code == 0
    token = result.output.strip()
    assert token.startswith("hl_") and len(token) > 40
    with state.db.transaction(readonly=True) as session:
        stored = session.scalar(select(ApiToken).where(ApiToken.name == "telephony"))
        assert token not in (stored.token_sha256,)
    resp = client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200


def test_agency_token_needs_a_real_unit(run):
    result = run("token", "create", "--name", "x", "--role", "agency_staff", "--unit", "civil_affairs:火星市")
    assert result.exit_code == 2 and "不存在" in result.output


def test_sla_prints_the_contract(run):
    result = run("sla", "--from", "2026-02-13T10:00:00+08:00", "--urgency", "normal", "--kind", "complaint")
    assert result.exit_code == 0
    assert json.loads(result.output) == {
        "sign": "2026-02-14T10:00:00+08:00",
        "first_feedback": None,
        "resolve": "2026-02-27T10:00:00+08:00",
    }


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "tomorrow", "--urgency", "normal", "--kind", "help"],
        ["--from", "2026-06-01T09:00:00+08:00", "--urgency", "asap", "--kind", "help"],
        ["--from", "2026-06-01T09:00:00+08:00", "--urgency", "normal", "--kind", "rant"],
    ],
)
def test_sla_bad_input(run, args):
    result = run("sla", *args)
    assert result.exit_code == 2 and result.output.startswith("错误：")


def test_sla_warns_when_the_calendar_runs_out(run):
    result = run("sla", "--from", "2027-03-01T09:00:00+08:00", "--urgency", "urgent", "--kind", "help")
    assert result.exit_code == 0
    assert "2027" in result.output and "警告" in result.output  # CliRunner mixes stderr into output


def test_commands_on_an_uninitialised_database_say_so(tmp_path):
    env = {"HOTLINE_INSTANCE_PATH": str(tmp_path / "fresh")}
    result = CliRunner().invoke(main, ["kb", "search", "留守儿童", "--json"], env=env)
    assert result.exit_code == 2
    assert "hotline init" in result.output and "Traceback" not in result.output


def test_kb_import_is_idempotent_and_kb_search_finds_the_plan(run):
    result = run("kb", "import")
    assert result.exit_code == 0 and "新增 0，更新 0，删除 0" in result.output
    hits = json.loads(run("kb", "search", "父母一方坐牢孩子算困境儿童吗", "--limit", "3", "--json").output)
    assert hits[0]["id"] == "jilin-action-plan-2024#二(二)3"


def test_places_import_and_place_scoped_users(run, state, tmp_path):
    csv_file = tmp_path / "places.csv"
    csv_file.write_text("区县,乡镇（街道）,村（社区）,区划代码\n农安县,巴吉垒镇,,\n长春市/农安县,巴吉垒镇,王家村,220122105201\n"
                        "农安县,巴吉垒镇,赵家村,\n",
                        encoding="utf-8-sig")
    first = run("places", "import", str(csv_file))
    assert first.exit_code == 0 and "新增 3 个地点" in first.output, first.output
    assert "新增 0 个地点，已存在 3 个" in run("places", "import", str(csv_file)).output
    bad = tmp_path / "bad.csv"
    bad.write_text("区县,乡镇（街道）,村（社区）\n农安县,巴吉垒镇,李家村\n火星县,某镇,\n", encoding="utf-8")
    refused = CliRunner().invoke(main, ["places", "import", str(bad)], obj=given(state))
    assert refused.exit_code != 0 and "第 3 行" in refused.output and "火星县" in refused.output
    made = run("user", "create", "--username", "zhuren.wang", "--role", "child_director", "--place",
               "长春市/农安县/巴吉垒镇/王家村", "--password-stdin", input="Strong-Passw0rd-1\n")
    assert made.exit_code == 0, made.output
    no_place = CliRunner().invoke(main, ["user", "create", "--username", "zhuren.li", "--role", "child_director",
                                         "--password-stdin"], obj=given(state), input="Strong-Passw0rd-1\n")
    assert no_place.exit_code != 0 and "--place" in no_place.output
    moved = run("user", "places", "--username", "zhuren.wang", "--place", "农安县/巴吉垒镇/王家村", "--place",
                "长春市/农安县/巴吉垒镇/赵家村")
    assert moved.exit_code == 0 and "赵家村" in moved.output, moved.output
    with state.db.transaction(readonly=True) as session:
        user = session.scalar(select(User).where(User.username == "zhuren.wang"))
        assert {p.name for p in user.places} == {"王家村", "赵家村"}


def test_lists_import_matches_a_file_from_disk(run, state, tmp_path):
    from children_support import add_child, guardian, person

    from hotline.children import agency_lists
    from hotline.children.matching import check_digit

    father = "22012219850214011" + check_digit("22012219850214011")
    add_child(state, person(state, "admin"), guardians=[guardian("father", "李建国", id_number=father)])
    with state.db.transaction() as session:
        values = {f.name: None for f in agency_lists.SOURCE_SPEC.fields}
        values.update(kind="prison_admission", name="省监狱管理局收监名单", retention_days=30)
        agency_lists.save_source(session, values)
    listing = tmp_path / "收监.csv"
    listing.write_text(f"姓名,公民身份号码,日期\n李建国,{father},2026-11-20\n张三,,2026-11-21\n", encoding="utf-8")
    result = run("lists", "import", "--source", "省监狱管理局收监名单", str(listing))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["rows"], summary["matched"], summary["reviews"]) == (2, 1, 1)
    unknown = CliRunner().invoke(main, ["lists", "import", "--source", "没有这个来源", str(listing)], obj=given(state))
    assert unknown.exit_code != 0 and "不存在" in unknown.output


def test_evaluate_reads_a_directory_of_sets_and_reports_agency_accuracy(run, fixture_model_dir, tmp_path):
    sets = tmp_path / "blind"
    sets.mkdir()
    (sets / "tickets.jsonl").write_text(
        json.dumps({"id": "b1", "type": "ticket", "text": "孩子他爸正在打孩子，快来人，农安县", "category": "guardianship",
                    "kind": "report", "urgency": "emergency", "prefecture": "长春市", "county": "农安县",
                    "agency": "civil_affairs"}, ensure_ascii=False) + "\n", encoding="utf-8")
    (sets / "sentiment.jsonl").write_text(
        json.dumps({"id": "s1", "type": "sentiment", "title": "热议", "text": "某地孩子失踪三天了 #求扩散", "relevant": True,
                    "category": "missing_child", "polarity": "negative", "risk": "high", "prefecture": None,
                    "county": None}, ensure_ascii=False) + "\n", encoding="utf-8")
    report = tmp_path / "report.json"
    result = run("evaluate", "--model", str(fixture_model_dir), "--data", str(sets), "--report", str(report))
    assert "items: 1 tickets, 1 sentiment" in result.output and "agency_accuracy" in result.output
    assert json.loads(report.read_text(encoding="utf-8"))["heads"]["agency"]["n"] == 1
