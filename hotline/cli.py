"""The ``hotline`` command. Each command is one unit of work: build the app, open one transaction,
call services, print. Errors are printed in Chinese with exit code 2, never as a traceback."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

import click
from flask import Flask

from hotline import create_app
from hotline.config import ConfigError
from hotline.errors import HotlineError
from hotline.state import AppState


def _state(app: Flask) -> AppState:
    return app.extensions["hotline"]


def friendly_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected errors into a one-line message on stderr and exit code 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (HotlineError, ConfigError, ValueError, OSError) as exc:
            message = exc.message if isinstance(exc, HotlineError) else str(exc)
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
    from hotline.services import bootstrap

    app = create_app()
    state = _state(app)
    report = bootstrap.initialise(state, demo=demo)
    click.echo(f"数据库已就绪：{state.settings.database_url.split('@')[-1]}")
    click.echo(f"地区与承办单位：新增 {report.reference_rows} 条")
    if demo:
        if report.demo_credentials:
            click.echo("演示账号（密码只显示这一次，请妥善保存）：")
            for username, role, password in report.demo_credentials:
                click.echo(f"  {role:<13} {username:<16} {password}")
        else:
            click.echo("演示账号已存在（密码只在首次创建时显示；可用 hotline user set-password 重设）。")
        click.echo(f"演示工单：新增 {report.demo_tickets} 张")


@main.command()
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="监听端口（默认 5000 或 HOTLINE_PORT）。")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
@friendly_errors
def serve(port: int | None, host: str, threads: int) -> None:
    """启动 Web 服务（waitress）。"""
    from waitress import serve as waitress_serve

    app = create_app()
    port = port or _state(app).settings.port
    click.echo(f"服务地址：http://{host}:{port}/  （Ctrl+C 停止）")
    waitress_serve(app, host=host, port=port, threads=threads, ident="hotline")


@main.group()
def user() -> None:
    """管理用户。"""


@user.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, help="operator / dispatcher / agency_staff / supervisor / admin")
@click.option("--unit", "unit_code", default=None, help="承办单位代码，如 civil_affairs:长春市/朝阳区")
@click.option("--display-name", default="")
@click.option("--password-stdin", is_flag=True, required=True, help="从标准输入读取密码。")
@friendly_errors
def user_create(username: str, role: str, unit_code: str | None, display_name: str, password_stdin: bool) -> None:
    """创建用户（密码从标准输入读取，不出现在命令行）。"""
    from hotline.services.accounts import create_user

    password = _read_password()
    with _state(create_app()).db.transaction() as session:
        created = create_user(session, username, role, password, unit_code=unit_code, display_name=display_name)
        click.echo(f"已创建用户 {created.username}（{created.role}）")


@user.command("set-password")
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True, required=True)
@friendly_errors
def user_set_password(username: str, password_stdin: bool) -> None:
    """重设用户密码（从标准输入读取）。"""
    from hotline.services.accounts import set_password

    password = _read_password()
    with _state(create_app()).db.transaction() as session:
        set_password(session, username, password)
    click.echo(f"已重设 {username} 的密码")


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
@friendly_errors
def token_create(name: str, role: str, unit_code: str | None) -> None:
    """创建访问令牌；令牌只打印这一次（库中只保存其哈希）。"""
    from hotline.services.accounts import create_token

    with _state(create_app()).db.transaction() as session:
        _, secret = create_token(session, name, role, unit_code=unit_code)
    click.echo(secret)


@main.command()
@click.option("--from", "start", required=True, help="派单时间，ISO 8601，如 2026-06-01T09:00:00+08:00")
@click.option("--urgency", required=True)
@click.option("--kind", required=True)
@friendly_errors
def sla(start: str, urgency: str, kind: str) -> None:
    """打印该时刻派单的各项时限（JSON，+08:00）。"""
    from hotline.config import policy_paths
    from hotline.services.deadlines import DeadlinePolicy
    from hotline.services.workcalendar import SHANGHAI, WorkCalendar
    from hotline.taxonomy import get_taxonomy

    sla_policy_path, holidays_path = policy_paths()
    taxonomy = get_taxonomy()
    if urgency not in taxonomy.urgency:
        raise ValueError(f"未知紧急程度“{urgency}”，可选：{', '.join(taxonomy.urgency)}")
    if kind not in taxonomy.kinds:
        raise ValueError(f"未知诉求类型“{kind}”，可选：{', '.join(taxonomy.kinds)}")
    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        raise ValueError(f"时间格式无效：{start}（示例 2026-06-01T09:00:00+08:00）") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    calendar = WorkCalendar(holidays_path)
    deadlines = DeadlinePolicy.from_file(sla_policy_path, calendar).for_dispatch(moment, urgency, kind)
    for year in sorted(calendar.missing_years):
        click.echo(f"警告：工作日历缺少 {year} 年的节假日数据，已按周末计算；请在 {holidays_path} 中补充。", err=True)
    click.echo(json.dumps(deadlines.as_contract(), ensure_ascii=False))


if __name__ == "__main__":  # pragma: no cover
    main()
