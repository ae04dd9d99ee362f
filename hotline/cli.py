"""The ``hotline`` command. Each command is one unit of work: it builds what it needs (a ``Runtime``, or
less), opens one transaction, calls services and prints. Errors are printed in Chinese with exit code 2,
never as a traceback. Nothing heavy is imported before a command needs it: ``hotline --help`` loads
neither Flask nor the model nor the knowledge base."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hotline.config import DEFAULT_THREADS, ConfigError
from hotline.errors import HotlineError

if TYPE_CHECKING:
    from hotline.runtime import Runtime


@contextmanager
def _runtime() -> Iterator[Runtime]:
    """The runtime given by the caller (``obj`` of the click context: tests, an embedding program), or one
    built from the environment and closed when the command ends."""
    given = click.get_current_context().find_object(_Given)
    if given is not None:
        yield given.runtime
        return
    from hotline.runtime import Runtime

    runtime = Runtime.from_env()
    try:
        yield runtime
    finally:
        runtime.close()


class _Given:
    """Wraps a prebuilt runtime passed as the click context's ``obj`` (``main(obj=given(runtime))``)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime


def given(runtime: Runtime) -> _Given:
    return _Given(runtime)


def _database_message(exc: Exception) -> str | None:
    """A one-line Chinese message for a database error, or None when ``exc`` is not one."""
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

    if not isinstance(exc, DBAPIError):
        return None
    reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
    if isinstance(exc, OperationalError | ProgrammingError):
        return f"数据库不可用或未初始化（请先运行 hotline init）：{reason}"
    return f"数据库拒绝了这次写入，未做任何修改：{reason}"


def friendly_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected errors into a one-line message on stderr and exit code 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (HotlineError, ConfigError, ValueError, OSError) as exc:
            message = exc.message if isinstance(exc, HotlineError) else str(exc)
        except Exception as exc:
            from classifier import ArtifactError

            message = str(exc) if isinstance(exc, ArtifactError) else _database_message(exc)
            if message is None:
                raise
        click.echo(f"错误：{message}", err=True)
        sys.exit(2)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """12345 儿童关爱热线与舆情分拣系统。"""


@main.command()
@click.option("--demo", is_flag=True, help="同时创建演示账号（每个角色一个，密码只显示一次）和演示工单。")
@friendly_errors
def init(demo: bool) -> None:
    """初始化数据库：迁移到最新结构，载入地区与承办单位（可重复执行）。"""
    from hotline import bootstrap

    with _runtime() as runtime:
        report = bootstrap.initialise(runtime, demo=demo)
        click.echo(f"数据库已就绪：{runtime.settings.database_url.split('@')[-1]}")
        click.echo(f"地区与承办单位：新增 {report.reference_rows} 条")
    if report.kb:
        kb = report.kb
        click.echo(f"知识库：{kb.articles} 篇、{kb.passages} 段（新增 {kb.added}，更新 {kb.updated}，删除 {kb.removed}）")
    if demo:
        if report.demo_credentials:
            click.echo("演示账号（密码只显示这一次，请妥善保存）：")
            for username, role, password in report.demo_credentials:
                click.echo(f"  {role:<16} {username:<16} {password}")
            click.echo("首次登录须修改密码（初始密码 24 小时内有效）；管理员、调度员还须绑定身份验证器（TOTP）。")
        else:
            click.echo("演示账号已存在（密码只在首次创建时显示；可用 hotline user set-password 重设）。")
        click.echo(f"演示工单：新增 {report.demo_tickets} 张；演示舆情：新增 {report.demo_sentiment} 条；"
                   f"演示儿童档案：新增 {report.demo_children} 份")


@main.command()
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="监听端口（默认 5000 或 HOTLINE_PORT）。")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=DEFAULT_THREADS, show_default=True,
              help="每个进程的线程数（线程越多，争用解释器锁的开销越大）。")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Web 进程数（默认 1 或 HOTLINE_WORKERS）；大于 1 时由 gunicorn 运行，SQLite 在生产模式下只允许 1 个。")
@friendly_errors
def serve(port: int | None, host: str, threads: int, workers: int | None) -> None:
    """启动 Web 服务（1 个进程：waitress；多个进程：gunicorn）。"""
    from waitress import serve as waitress_serve

    from hotline.app import create_app, serve_workers

    with _runtime() as runtime:
        workers = workers or runtime.settings.workers
        if workers > 1:
            port = port or runtime.settings.port
            click.echo(f"服务地址：http://{host}:{port}/  （gunicorn，{workers} 个进程 × {threads} 线程；Ctrl+C 停止）")
            serve_workers(runtime.settings, host=host, port=port, workers=workers, threads=threads)
            return
        app = create_app(runtime=runtime)
        port = port or runtime.settings.port
        if not getattr(runtime.triage, "has_model", False):
            click.echo("提示：尚未训练分类模型，新工单将等待人工分类（运行 hotline train）。")
        runtime.warm_up()  # load the segmenter, model and knowledge-base caches before the first caller
        click.echo(f"服务地址：http://{host}:{port}/  （Ctrl+C 停止）")
        # X-Forwarded-* reach the app only when a proxy is trusted: ProxyFix (HOTLINE_PROXY_HOPS) is their one reader
        waitress_serve(app, host=host, port=port, threads=threads, ident="hotline",
                       clear_untrusted_proxy_headers=not runtime.settings.proxy_hops)


@main.group()
def user() -> None:
    """管理用户。"""


@user.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True,
              help="operator / dispatcher / agency_staff / supervisor / admin / child_supervisor / child_director")
@click.option("--unit", "unit_code", default=None, help="承办单位代码，如 civil_affairs:长春市/朝阳区")
@click.option("--place", "places", multiple=True,
              help="儿童主任的村（可重复）或儿童督导员的乡镇，如 长春市/农安县/合隆镇/陈家店村")
@click.option("--display-name", default="")
@click.option("--password-stdin", is_flag=True, required=True, help="从标准输入读取密码。")
@friendly_errors
def user_create(username: str, role: str, unit_code: str | None, places: tuple[str, ...], display_name: str,
                password_stdin: bool) -> None:
    """创建用户（密码从标准输入读取，不出现在命令行）。这是初始密码：首次登录须修改，24 小时内有效。"""
    from hotline.accounts.tokens import cli_actor
    from hotline.accounts.users import create_user
    from hotline.children.places import find_place

    password = _read_password()
    with _runtime() as runtime, runtime.db.transaction() as session:
        found = [find_place(session, p) for p in places]
        created = create_user(session, username, role, password, unit_code=unit_code, display_name=display_name,
                              places=found, by=cli_actor())
        click.echo(f"已创建用户 {created.username}（{created.role}）")


@user.command("disable")
@click.option("--username", required=True)
@friendly_errors
def user_disable(username: str) -> None:
    """停用账号（其已登录会话立即失效）。"""
    _set_active(username, False)
    click.echo(f"已停用 {username}，其会话已失效")


@user.command("enable")
@click.option("--username", required=True)
@friendly_errors
def user_enable(username: str) -> None:
    """重新启用账号。"""
    _set_active(username, True)
    click.echo(f"已启用 {username}")


def _set_active(username: str, active: bool) -> None:
    from hotline.accounts.tokens import cli_actor
    from hotline.accounts.users import set_active

    with _runtime() as runtime, runtime.db.transaction() as session:
        set_active(session, username, active, by=cli_actor())


@user.command("reset-2fa")
@click.option("--username", required=True)
@friendly_errors
def user_reset_2fa(username: str) -> None:
    """重置双因素认证（手机丢失时）：删除其身份验证器密钥和恢复码，会话立即失效，下次登录时重新绑定。"""
    from hotline.accounts.tokens import cli_actor
    from hotline.accounts.users import reset_second_factor

    with _runtime() as runtime, runtime.db.transaction() as session:
        reset_second_factor(session, username, by=cli_actor())
    click.echo(f"已重置 {username} 的双因素认证，其会话已失效；下次登录时须重新绑定身份验证器")


@user.command("role")
@click.option("--username", required=True)
@click.option("--role", required=True)
@click.option("--unit", "unit_code", default=None)
@click.option("--place", "places", multiple=True)
@friendly_errors
def user_role(username: str, role: str, unit_code: str | None, places: tuple[str, ...]) -> None:
    """更改角色（及单位或负责地点）；其已登录会话立即失效。"""
    from hotline.accounts.tokens import cli_actor
    from hotline.accounts.users import change_role
    from hotline.children.places import find_place

    with _runtime() as runtime, runtime.db.transaction() as session:
        found = [find_place(session, p) for p in places]
        change_role(session, username, role, unit_code=unit_code, places=found, by=cli_actor())
    click.echo(f"已将 {username} 的角色改为 {role}，其会话已失效")


@user.command("places")
@click.option("--username", required=True)
@click.option("--place", "places", multiple=True, required=True,
              help="儿童主任的村（可重复）或儿童督导员的乡镇，如 长春市/农安县/合隆镇/陈家店村")
@friendly_errors
def user_places(username: str, places: tuple[str, ...]) -> None:
    """更改儿童主任、儿童督导员负责的地点（其已登录会话失效）。"""
    from hotline.accounts.tokens import cli_actor
    from hotline.accounts.users import set_places
    from hotline.children.places import find_place

    with _runtime() as runtime, runtime.db.transaction() as session:
        found = [find_place(session, p) for p in places]
        set_places(session, username, found, by=cli_actor())
        labels = "、".join(p.label for p in found)
    click.echo(f"已更新 {username} 的负责地点：{labels}")


@main.group()
def lists() -> None:
    """其他部门的比对名单（数据比对）。"""


@lists.command("import")
@click.option("--source", required=True, help="比对来源的名称或编号（在控制台“比对来源”中建立，含列对应关系）")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@friendly_errors
def lists_import(source: str, file: str) -> None:
    """导入一份名单（CSV 或 XLSX）并与儿童档案比对；打印 JSON 摘要。大于控制台上传上限的名单用此命令。"""
    from hotline.children.agency_lists import import_path

    with _runtime() as runtime:
        done = import_path(runtime, source, Path(file))
    found = done.agency_list
    click.echo(json.dumps({"list_id": found.id, "rows": found.rows, "matched": found.matched,
                           "reviews": done.reviews, "duplicates": done.duplicates}, ensure_ascii=False))


@main.group()
def places() -> None:
    """乡镇（街道）、村（社区）。"""


@places.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@friendly_errors
def places_import(csv_file: str) -> None:
    """从 CSV 导入乡镇、村（表头：区县,乡镇（街道）,村（社区）[,区划代码]；UTF-8）。重复导入不会重复添加。"""
    from hotline.children.places import import_places

    text = Path(csv_file).read_text(encoding="utf-8-sig")
    with _runtime() as runtime, runtime.db.transaction() as session:
        result = import_places(session, text)
    click.echo(f"新增 {result.added} 个地点，已存在 {result.existing} 个")


@user.command("set-password")
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True, required=True)
@friendly_errors
def user_set_password(username: str, password_stdin: bool) -> None:
    """重设用户密码（从标准输入读取）：账号解锁、会话失效；新密码首次登录须修改，24 小时内有效。"""
    from hotline.accounts.tokens import cli_actor
    from hotline.accounts.users import set_password

    password = _read_password()
    with _runtime() as runtime, runtime.db.transaction() as session:
        set_password(session, username, password, by=cli_actor())
    click.echo(f"已重设 {username} 的密码（首次登录须修改，24 小时内有效）")


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ValueError("标准输入中没有密码")
    return password


@main.group()
def token() -> None:
    """管理 API 访问令牌。"""


@token.command("create")
@click.option("--name", required=True)
@click.option("--role", required=True)
@click.option("--unit", "unit_code", default=None)
@click.option("--expires-days", type=int, default=365, show_default=True, help="有效期（天，1-730）")
@click.option("--signed", is_flag=True, help="要求请求签名（HMAC-SHA256）：第二行打印签名密钥，也只打印这一次")
@friendly_errors
def token_create(name: str, role: str, unit_code: str | None, expires_days: int, signed: bool) -> None:
    """创建访问令牌；令牌只打印这一次（库中只保存其哈希）。"""
    from hotline.accounts.tokens import cli_actor, issue_token

    with _runtime() as runtime, runtime.db.transaction() as session:
        issued = issue_token(session, name, role, unit_code=unit_code, expires_days=expires_days,
                             cipher=runtime.cipher if signed else None, by=cli_actor())
    click.echo(issued.token)
    if issued.signing_secret:
        click.echo(issued.signing_secret)


@token.command("revoke")
@click.option("--name", required=True)
@friendly_errors
def token_revoke(name: str) -> None:
    """吊销该名称的全部有效令牌（立即生效）。"""
    from hotline.accounts.tokens import cli_actor, revoke_tokens
    from hotline.timeutil import utcnow

    with _runtime() as runtime, runtime.db.transaction() as session:
        count = revoke_tokens(session, name, utcnow(), by=cli_actor())
    click.echo(f"已吊销 {count} 个令牌")


@token.command("rotate-secret")
@click.option("--name", required=True)
@click.option("--grace-hours", type=int, default=24, show_default=True,
              help="旧签名密钥继续有效的小时数（0-168；0 表示立即作废，用于密钥泄露）")
@friendly_errors
def token_rotate_secret(name: str, grace_hours: int) -> None:
    """为该名称的签名令牌更换签名密钥；新密钥只打印这一次。"""
    from hotline.accounts.tokens import cli_actor, rotate_secret
    from hotline.timeutil import utcnow

    with _runtime() as runtime, runtime.db.transaction() as session:
        secret = rotate_secret(session, name, runtime.cipher, utcnow(), grace_hours=grace_hours, by=cli_actor())
    click.echo(secret)


@token.command("list")
@friendly_errors
def token_list() -> None:
    """列出访问令牌：名称、角色、单位、签名、到期与最近使用时间（北京时间）、状态。"""
    from hotline.accounts.tokens import list_tokens
    from hotline.timeutil import local_minute, utcnow

    now = utcnow()
    with _runtime() as runtime, runtime.db.transaction(readonly=True) as session:
        for row in list_tokens(session):
            state = "已吊销" if row.revoked_at else "已过期" if row.expires_at <= now else "有效"
            click.echo(f"{row.name}\t{row.role}\t{row.unit.code if row.unit else '-'}\t"
                       f"{'签名' if row.signing_secret_sealed else '不签名'}\t到期 {local_minute(row.expires_at)}\t"
                       f"最近使用 {local_minute(row.last_used_at)}\t{state}")


@main.group()
def audit() -> None:
    """审计日志（只追加，HMAC 链）。"""


@main.command("backup")
@click.option("--to", "target", required=True, type=click.Path(file_okay=False), help="新的空目录：备份文件与清单写在这里")
@friendly_errors
def backup_command(target: str) -> None:
    """备份整个数据库（SQLite 在线备份 API 或 pg_dump）并写出清单（各表行数、结构版本、审计链尾）。"""
    from hotline.backup import backup

    with _runtime() as runtime:
        manifest = backup(runtime, Path(target))
    rows = sum(manifest["tables"].values())
    click.echo(f"已备份到 {target}：{len(manifest['tables'])} 张表、{rows} 行，结构版本 {manifest['revision']}，"
               f"审计链{'完整' if manifest['audit_ok'] else '未通过校验'}")


@main.command("restore")
@click.option("--from", "source", required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="目标数据库已有工单时仍然覆盖")
@friendly_errors
def restore_command(source: str, force: bool) -> None:
    """从 hotline backup 的目录恢复，并按清单核对结构版本、各表行数与审计链；不一致时退出码 1。"""
    from hotline.backup import restore

    with _runtime() as runtime:
        report = restore(runtime, Path(source), force=force)
    if not report.ok:
        for problem in report.problems:
            click.echo(f"不一致：{problem}", err=True)
        sys.exit(1)
    click.echo(f"已恢复并核对：{len(report.found.counts)} 张表、{sum(report.found.counts.values())} 行与清单一致，"
               f"结构版本 {report.found.revision}，审计链完整")


@audit.command("verify")
@friendly_errors
def audit_verify() -> None:
    """校验审计链：完整时退出码 0；有记录被修改、删除或插入链外时退出码 1，并给出第一条异常记录的 ID。"""
    from hotline.accounts.audit import verify_chain

    with _runtime() as runtime, runtime.db.transaction(readonly=True) as session:
        result = verify_chain(session)
    click.echo(result.message(), err=not result.ok)
    if result.ok and result.head:
        click.echo(f"链尾：{result.head}")
    if not result.ok:
        sys.exit(1)


@main.command()
@click.option("--from", "start", required=True, help="派单时间，ISO 8601，如 2026-06-01T09:00:00+08:00")
@click.option("--urgency", required=True)
@click.option("--kind", required=True)
@friendly_errors
def sla(start: str, urgency: str, kind: str) -> None:
    """打印该时刻派单的各项时限（JSON，+08:00）。"""
    from hotline.config import policy_paths
    from hotline.taxonomy import get_taxonomy
    from hotline.tickets.deadlines import DeadlinePolicy
    from hotline.tickets.workcalendar import WorkCalendar

    sla_policy_path, holidays_path = policy_paths()
    taxonomy = get_taxonomy()
    if urgency not in taxonomy.urgency:
        raise ValueError(f"未知紧急程度“{urgency}”，可选：{', '.join(taxonomy.urgency)}")
    if kind not in taxonomy.kinds:
        raise ValueError(f"未知诉求类型“{kind}”，可选：{', '.join(taxonomy.kinds)}")
    moment = _moment(start)
    calendar = WorkCalendar(holidays_path)
    deadlines = DeadlinePolicy.from_file(sla_policy_path, calendar).for_dispatch(moment, urgency, kind)
    for year in sorted(calendar.missing_years):
        click.echo(f"警告：工作日历缺少 {year} 年的节假日数据，已按周末计算；请在 {holidays_path} 中补充。", err=True)
    click.echo(json.dumps(deadlines.as_contract(), ensure_ascii=False))


@main.group()
def kb() -> None:
    """知识库：检索与导入。"""


@kb.command("search")
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组（id、title、snippet、text、score、source、cites）。")
@friendly_errors
def kb_search(query: str, limit: int, as_json: bool) -> None:
    """检索知识库，最相关的在前。"""
    with _runtime() as runtime:
        result = runtime.knowledge.search(query, limit=limit)
    if as_json:
        click.echo(json.dumps([h.to_contract() for h in result.hits], ensure_ascii=False))
        return
    if result.corrected_query:
        click.echo(f"（已按“{result.corrected_query}”检索）")
    for i, hit in enumerate(result.hits, 1):
        click.echo(f"{i}. {hit.title}  [{hit.id}]  {hit.score:.2f}\n   {hit.snippet}")
    if not result.hits:
        click.echo("没有找到相关内容。" + (f"您是不是要找：{'、'.join(result.suggestions)}" if result.suggestions else ""))


@kb.command("import")
@click.option("--sources", "sources_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="法律政策原文目录（默认仓库中的 knowledge_base/content/sources，可用 ../shared/kb-sources）。")
@friendly_errors
def kb_import(sources_dir: str | None) -> None:
    """（重新）导入知识库文件；可重复执行，控制台中编辑过的条目保留编辑。"""
    from hotline.knowledge.content import import_articles, load_kb_content

    with _runtime() as runtime:
        articles = load_kb_content(runtime.taxonomy.categories, sources_dir)  # parsed before the transaction
        with runtime.db.transaction() as session:
            report = import_articles(session, articles)
    click.echo(f"知识库：{report.articles} 篇、{report.passages} 段（新增 {report.added}，更新 {report.updated}，删除 {report.removed}）")


def _corpus_dir() -> Path:
    import classifier

    return Path(classifier.__file__).with_name("corpus")


def _model_dir(model: str | None) -> Path:
    from hotline.config import load_settings

    return Path(model) if model else load_settings().artifact_path


@main.command()
@click.option(
    "--corpus", "corpus", multiple=True, type=click.Path(exists=True), help="语料文件或目录（默认 classifier/corpus）。"
)
@click.option("--out", "out", default=None, help="模型目录（默认实例目录下的 model/）。")
@click.option("--with-feedback", is_flag=True, help="加入话务员、调度员对预测标签的修正。")
@click.option("--if-missing", is_flag=True, help="已有可用模型时跳过（make run 使用）。")
@click.option("--seed", type=int, default=42, show_default=True)
@friendly_errors
def train(corpus: tuple[str, ...], out: str | None, with_feedback: bool, if_missing: bool, seed: int) -> None:
    """训练分类模型，写出模型文件与模型卡（固定留出集评估）。"""
    from classifier import ArtifactError, load_classifier
    from classifier import train as train_model
    from hotline.training import versions

    out_dir = _model_dir(out)
    if if_missing and versions.has_model(out_dir):
        try:
            load_classifier(out_dir)
            click.echo(f"已有可用模型：{out_dir}（跳过训练）")
            return
        except ArtifactError as exc:
            click.echo(f"现有模型不可用，重新训练：{exc}", err=True)
    feedback: list = []
    if with_feedback:
        from hotline.tickets.corrections import collect_feedback

        with _runtime() as runtime, runtime.db.transaction(readonly=True) as session:
            feedback = collect_feedback(session)
        click.echo(f"人工修正：{len(feedback)} 张工单", err=True)
    paths = [Path(p) for p in corpus] or [_corpus_dir()]

    def write(target: Path):  # returns the ModelCard
        return train_model(paths, target, seed=seed, feedback=feedback, progress=lambda m: click.echo(f"  {m}", err=True))

    if versions.pointer(out_dir):  # a managed model directory: a new version, put in force at once
        card = versions.install(out_dir, write, decided_by="hotline train", when=datetime.now().astimezone().isoformat(timespec="seconds"))
    else:
        card = write(out_dir)
    click.echo(f"模型已写入 {out_dir}（版本 {card.artifact_version}，使用修正 {card.corrections_used} 条）")
    for head, scores in sorted((card.heldout.get("summary") or {}).items()):
        click.echo(f"  {head}: {scores}")


@main.command()
@click.option(
    "--data",
    "data",
    type=click.Path(exists=True),
    multiple=True,
    help="带标签的 JSON Lines 文件或目录（可重复，如 bench/data/triage_blind）；默认使用语料的固定留出集。",
)
@click.option("--report", "report_path", default=None, help="JSON 报告路径（默认实例目录 reports/）。")
@click.option("--model", "model", default=None)
@friendly_errors
def evaluate(data: tuple[str, ...], report_path: str | None, model: str | None) -> None:
    """评估模型：各类别精确率/召回率/F1、宏平均 F1、混淆矩阵、紧急召回率、地区准确率。"""
    from classifier import evaluate as evaluate_model
    from classifier import format_report, load_classifier, read_corpus, split

    model_dir = _model_dir(model)
    clf = load_classifier(model_dir)
    if data:
        items = read_corpus(list(data)).items
    else:
        items = split(read_corpus([_corpus_dir()]).items)[1]
    if not items:
        raise ValueError("评估数据为空")
    report = evaluate_model(clf, items)
    click.echo(format_report(report))
    target = (
        Path(report_path)
        if report_path
        else model_dir.parent / "reports" / f"evaluation-{datetime.now():%Y%m%d-%H%M%S}.json"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    click.echo(f"报告已写入 {target}")


@main.command()
@click.argument("source", default="-")
@click.option("--model", "model", default=None)
@friendly_errors
def classify(source: str, model: str | None) -> None:
    """分类 JSON Lines（文件或 - 标准输入），每行输出一条结果，顺序与输入一致。"""
    from classifier import load_classifier, read_items, write_predictions

    if source == "-":
        items = read_items(sys.stdin)
    else:
        with open(source, encoding="utf-8") as fh:
            items = read_items(fh)
    clf = load_classifier(_model_dir(model))
    write_predictions(clf.predict(items, explain=False), sys.stdout)


@main.group()
def sentiment() -> None:
    """舆情：导入、订阅源抓取、事件归并。"""


@sentiment.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--batch", type=click.IntRange(1, 1000), default=500, show_default=True, help="每批条数。")
@friendly_errors
def sentiment_import(path: str, batch: int) -> None:
    """导入舆情条目（.csv 带表头，或 .jsonl），逐条校验、去重、归并；最后列出被拒绝的行及原因。"""
    from hotline.sentiment.files import kind_of, read_elements
    from hotline.sentiment.pipeline import ingest_batch

    file = Path(path)
    kind = kind_of(file)
    with file.open(encoding="utf-8-sig", newline="") as fh:
        lines = sum(1 for _ in fh)
    totals = {"accepted": 0, "duplicate": 0, "rejected": 0}
    refused: list[tuple[int, str]] = []
    with _runtime() as runtime, file.open(encoding="utf-8-sig", newline="") as fh, \
            click.progressbar(length=max(lines - (kind == "csv"), 1), label="导入舆情", file=sys.stderr) as bar:
        chunk: list[tuple[int, object]] = []

        def flush() -> None:
            readable = [(n, e) for n, e in chunk if not isinstance(e, Exception)]
            for n, e in chunk:
                if isinstance(e, Exception):
                    totals["rejected"] += 1
                    refused.append((n, str(e)))
            if readable:
                for (n, _), outcome in zip(readable, ingest_batch(runtime, [e for _, e in readable]), strict=True):
                    totals[outcome.status] += 1
                    if outcome.status == "rejected":
                        refused.append((n, f"{outcome.reason}（{outcome.code}）"))
            bar.update(len(chunk))
            chunk.clear()

        for number, element in read_elements(fh, kind):
            chunk.append((number, element))
            if len(chunk) >= batch:
                flush()
        flush()
    click.echo(f"导入完成：接收 {totals['accepted']} 条，重复 {totals['duplicate']} 条，拒绝 {totals['rejected']} 条")
    for number, reason in refused:
        click.echo(f"  第 {number} 行：{reason}")


@sentiment.command("poll")
@friendly_errors
def sentiment_poll() -> None:
    """抓取每个启用的订阅源一次（条件请求、超时、重试）；一个源出错不影响其他源。"""
    from hotline.sentiment.feeds import poll_all

    with _runtime() as runtime:
        results = poll_all(runtime)
    for result in results:
        click.echo(f"{result.name}：{result.summary}")
    if not results:
        click.echo("没有启用的订阅源（在控制台“舆情 → 订阅源”中添加）。")


@sentiment.command("dedupe")
@click.argument("source", default="-")
@click.option("--model", "model", default=None, help="模型目录（默认实例目录下的 model/；没有模型时只用规则）。")
@friendly_errors
def sentiment_dedupe(source: str, model: str | None) -> None:
    """把 JSON Lines 条目归并为事件：每行输出 {"id", "event"}，顺序与输入一致。"""
    from classifier import ArtifactError, load_classifier
    from hotline.sentiment.analysis import group_rows
    from hotline.sentiment.files import read_elements

    handle = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    with handle:
        rows = []
        for number, element in read_elements(handle, "jsonl"):
            if isinstance(element, Exception) or not isinstance(element, dict):
                raise ValueError(f"第 {number} 行：应为 JSON 对象")
            if "id" not in element or not isinstance(element.get("text"), str):
                raise ValueError(f"第 {number} 行：需要 id 和 text")
            rows.append(element)
    try:
        clf = load_classifier(_model_dir(model))
    except ArtifactError:
        clf = None  # rules only: places and incidents still group stories
    events = group_rows(clf, rows)
    for row in rows:
        click.echo(json.dumps({"id": str(row["id"]), "event": events[str(row["id"])]}, ensure_ascii=False))


@main.command()
@click.option("--threads", type=click.IntRange(1, 32), default=2, show_default=True)
@click.option("--requeue-pending", is_flag=True, help="启动时把已入库但尚未处理的条目重新入队（消息中间件故障之后）。")
@friendly_errors
def worker(threads: int, requeue_pending: bool) -> None:
    """舆情处理进程：从消息中间件（HOTLINE_BROKER_URL）取条目，分类、去重、归并；可在多台机器上运行多个。"""
    from hotline.sentiment.pipeline import pending_ids

    with _runtime() as runtime:
        queue = runtime.sentiment_queue
        if queue is None:
            raise ValueError("未配置 HOTLINE_BROKER_URL（amqp://… 或 redis://…）；不配置时舆情在接收时直接处理")
        if requeue_pending:
            ids = pending_ids(runtime)
            queue.enqueue(ids)
            click.echo(f"已重新入队 {len(ids)} 条待处理条目", err=True)
        click.echo(f"舆情处理进程已启动（{threads} 个线程，队列 {queue.queue_name}），Ctrl+C 停止", err=True)
        queue.work(runtime, threads=threads)


@main.command("match")
@click.option("--register", "register_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="儿童花名册（JSON Lines：child_id、name、id_number、birth_date、county、address、guardians）。")
@click.option("--records", "records_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="部门数据（JSON Lines：record_id、source、name、id_number、birth_date、county、address、date）。")
@click.option("--explain", is_flag=True, help="每个匹配附上依据（reasons）。")
@friendly_errors
def match_command(register_path: str, records_path: str, explain: bool) -> None:
    """数据找人：把部门数据逐条与花名册中的儿童及其监护人比对，每条输出一行 {"record_id", "matches"}，顺序与输入一致。"""
    from hotline.children.matching import match

    register = _json_lines(register_path, ("child_id", "name"))
    records = _json_lines(records_path, ("record_id", "name"))
    for record, found in match(register, records):
        out = [{"child_id": m.child_id, "relation": m.relation, "confidence": m.confidence,
                **({"reasons": list(m.reasons)} if explain else {})} for m in found]
        click.echo(json.dumps({"record_id": str(record["record_id"]), "matches": out}, ensure_ascii=False))


def _json_lines(path: str, required: tuple[str, ...]) -> list[dict]:
    """Every line of a JSON Lines file as an object with the required keys; the first bad line stops it all."""
    rows = []
    with open(path, encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise ValueError(f"{path} 第 {number} 行：不是有效的 JSON") from None
            if not isinstance(row, dict) or any(row.get(k) in (None, "") for k in required):
                raise ValueError(f"{path} 第 {number} 行：应为 JSON 对象，且须有 {'、'.join(required)}")
            rows.append(row)
    return rows


@main.group()
def key() -> None:
    """数据密钥（HOTLINE_DATA_KEY，加密身份证号、电话、地址等个人信息）：生成、轮换、检查。"""


@key.command("generate")
def key_generate() -> None:
    """打印一个新的数据密钥（32 字节，URL-safe base64），供 HOTLINE_DATA_KEY 使用。"""
    import base64
    import secrets

    click.echo(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii"))


@key.command("rotate")
@friendly_errors
def key_rotate() -> None:
    """用 HOTLINE_DATA_KEY 重新加密全部加密字段并重算查找摘要；旧值用 HOTLINE_DATA_KEY_PREVIOUS 解密。
    分批提交，中断后重新运行即可（只处理仍用旧密钥的值）；服务可照常运行。"""
    from hotline.accounts.audit import record_event
    from hotline.accounts.tokens import cli_actor
    from hotline.migrate import require_current_schema
    from hotline.models import Base
    from hotline.rekey import rotate

    with _runtime() as runtime:
        with runtime.db.connect(readonly=True) as connection:
            require_current_schema(connection)
        report = rotate(runtime.db, runtime.cipher, Base.metadata,
                        progress=lambda name, done: click.echo(f"  {name}：已重新加密 {done} 个值"))
        total = sum(report.resealed.values())
        with runtime.db.transaction() as session:
            record_event(session, cli_actor(), "admin", "key_rotate",
                         detail=f"key={report.key_id} resealed={total} remaining={report.remaining}")
    click.echo(f"本次重新加密 {total} 个值（当前密钥编号 {report.key_id}）")
    if report.remaining:
        raise ValueError(f"仍有 {report.remaining} 个值使用其他密钥：是否还有服务以旧密钥为 "
                             "HOTLINE_DATA_KEY 运行？请用新密钥重启全部服务后重新运行 hotline key rotate")
    click.echo("轮换完成：全部加密字段均使用当前密钥。现在可以删除 HOTLINE_DATA_KEY_PREVIOUS 并重启服务。")


@key.command("status")
@friendly_errors
def key_status() -> None:
    """每个加密字段中仍使用旧密钥的值的个数（全部为 0 时轮换已完成）。"""
    from hotline.models import Base
    from hotline.rekey import remaining

    with _runtime() as runtime:
        counts = remaining(runtime.db, runtime.cipher, Base.metadata)
        click.echo(f"当前密钥编号 {runtime.cipher.key_id}" + ("（已配置 HOTLINE_DATA_KEY_PREVIOUS）" if runtime.cipher.rotating else ""))
    for name, count in counts.items():
        click.echo(f"  {name}\t{count}")
    click.echo("全部使用当前密钥" if not any(counts.values()) else f"共 {sum(counts.values())} 个值待轮换：运行 hotline key rotate")


@main.command()
@click.option("--now", "now", default=None, help="按此时刻执行（ISO 8601，如 2026-06-01T09:00:00+08:00；缺省为当前时间）。")
@click.option("--job", "jobs", multiple=True, help="只执行这些任务（可重复；缺省为全部到期任务）。")
@friendly_errors
def sweep(now: str | None, jobs: tuple[str, ...]) -> None:
    """把每个到期的定时任务执行一次（如同当前时间为 NOW），输出 JSON 汇总。"""
    from hotline.migrate import require_current_schema
    from hotline.scheduling.jobs import JOB_IDS
    from hotline.scheduling.runner import run_due

    unknown = [j for j in jobs if j not in JOB_IDS]
    if unknown:
        raise ValueError(f"未知任务：{', '.join(unknown)}；可选：{', '.join(JOB_IDS)}")
    moment = _moment(now) if now else None
    with _runtime() as runtime:
        with runtime.db.connect(readonly=True) as connection:
            require_current_schema(connection)
        summary = run_due(runtime, moment, only=jobs or None)
    click.echo(json.dumps(summary, ensure_ascii=False))


def _moment(raw: str) -> datetime:
    """An ISO 8601 time from the command line; without a zone it is Beijing time."""
    from hotline.timeutil import SHANGHAI

    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"时间格式无效：{raw}（示例 2026-06-01T09:00:00+08:00）") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


@main.command()
@friendly_errors
def scheduler() -> None:
    """调度进程：到期任务（时限巡检、通知推送、订阅源、夜间训练、通报）。多个进程中只有一个执行任务，其余热备。"""
    import logging
    import signal
    import threading

    from hotline.migrate import require_current_schema
    from hotline.scheduling.process import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our runner logs what matters
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with _runtime() as runtime:
        with runtime.db.connect(readonly=True) as connection:
            require_current_schema(connection)
        serve(runtime, stop, on_change=lambda message: click.echo(message, err=True))
    click.echo("调度进程已停止", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
