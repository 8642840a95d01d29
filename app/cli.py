"""The operator's command line: `python -m app --help`."""

import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import install_audit_hooks
from app.audit.archive.cli import audit_cli
from app.cli_errors import Options
from app.core.config import get_settings
from app.core.database import transaction
from app.core.models import utcnow

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic and uvicorn are imported by the commands that use them: every other command, and
# --help, starts without them (about 0.2 s of a command's start).

cli = typer.Typer(
    help="Enterprise API: serve, migrate, seed and operate the service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # a frame's locals may hold a password
)
db_cli = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)
auth_cli = typer.Typer(help="Authentication maintenance.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(auth_cli, name="auth")
cli.add_typer(audit_cli, name="audit")
events_cli = typer.Typer(help="Domain events: the outbox relay and a consumer (docs/EVENTS.md).", no_args_is_help=True)
cli.add_typer(events_cli, name="events")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str | None = None) -> "Config":
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


@cli.callback()
def options(debug: bool = typer.Option(False, "--debug", help="Show the full traceback of an error")) -> None:
    # Settings are checked before any command runs: a bad one is one line and exit 1.
    Options.debug = debug
    get_settings()
    # Before any command opens a session: no write to an audited table goes around the trail.
    install_audit_hooks()


def where(url: str | None) -> str:
    """Where a URL points, for a start line: the scheme, host and port or file, never credentials."""
    if not url:
        return "(not configured)"
    parts = urlsplit(url)
    if parts.hostname is None:
        return f"{parts.scheme}:{parts.path.removeprefix('/')}"
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"


@cli.command()
def serve(
    host: str | None = typer.Option(None, help="Defaults to the HOST setting"),
    port: int | None = typer.Option(None, help="Defaults to the PORT setting"),
    workers: int | None = typer.Option(None, help="Defaults to the WORKERS setting"),
    reload: bool = typer.Option(False, help="Restart on code changes (development)"),
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    settings = get_settings()
    host, port, workers = host or settings.HOST, port or settings.PORT, workers or settings.WORKERS
    typer.echo(
        f"Serving on http://{host}:{port} with {workers} worker(s) on {where(settings.DATABASE_URL)};"
        f" docs at http://{host}:{port}/docs; Ctrl-C to stop"
    )
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        access_log=False,
        proxy_headers=False,
        log_config=None,
    )


@db_cli.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)


@db_cli.command("downgrade")
def db_downgrade(revision: str = typer.Argument("-1")) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    from alembic import command

    command.downgrade(alembic_config(), revision)


@db_cli.command("check")
def db_check() -> None:
    """Fail when the models and the migrations disagree."""
    from alembic import command

    command.check(alembic_config())


@cli.command()
def seed() -> None:
    """Create the default roles and the first superuser (idempotent)."""
    from app.seeds import run_seed

    settings = get_settings()
    created = asyncio.run(run_seed(settings))
    if created:
        typer.echo(f"Seeded: {', '.join(created)}")
    elif settings.FIRST_SUPERUSER_PASSWORD:
        typer.echo("Nothing to seed: the built-in roles and the first superuser exist already")
    else:
        typer.echo("Nothing to seed: the built-in roles exist already (no FIRST_SUPERUSER_PASSWORD, so no superuser)")


@cli.command("create-superuser")
def create_superuser_command(
    email: str = typer.Option(..., prompt=True),
    password: str | None = typer.Option(None, help="Asked for, unechoed, when not given"),
    name: str = typer.Option("Admin"),
) -> None:
    """Create a superuser (fails if the email is taken)."""
    from app.seeds import create_superuser

    if password is None:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat the password: ") != password:
            raise typer.BadParameter("the passwords differ", param_hint="password")

    asyncio.run(_with_session(lambda session: create_superuser(session, email, password, name)))
    typer.echo(f"Superuser {email} created")


@auth_cli.command("prune-tokens")
def prune_tokens() -> None:
    """Delete revoked access tokens and sessions that have expired anyway (run it daily)."""
    from app.auth.service import AuthService

    settings = get_settings()

    async def prune(session: AsyncSession) -> None:
        tokens, sessions = await AuthService(session, settings).prune_expired()
        typer.echo(f"Pruned {tokens} revoked tokens and {sessions} expired sessions")

    asyncio.run(_with_session(prune))


@auth_cli.command("create-api-key")
def create_api_key(
    email: str = typer.Option(..., help="The key's owner: it acts as this user"),
    name: str = typer.Option(..., help="What the key is for, e.g. nightly-export"),
    permissions: str | None = typer.Option(
        None, help="A role's shape, e.g. '{\"products\": [\"read\"]}'; omitted: all of the owner's"
    ),
) -> None:
    """Create an API key for a user and print it (it is shown this once)."""
    from pydantic import ValidationError

    from app.auth.accounts import UserRepository
    from app.auth.api_keys.schemas import ApiKeyCreate
    from app.auth.api_keys.service import ApiKeyService
    from app.core.errors import AppError

    try:
        body = ApiKeyCreate.model_validate_json(
            json.dumps({"name": name, **({"permissions": json.loads(permissions)} if permissions else {})})
        )
    except (ValueError, ValidationError) as exc:
        raise typer.BadParameter(str(exc)) from exc

    async def create(session: AsyncSession) -> None:
        owner = await UserRepository(session).get_by_email(email.lower())
        if owner is None or owner.id is None:
            raise typer.BadParameter(f"no user with email {email}")
        try:
            created = await ApiKeyService(session).create(owner.id, body.model_dump(exclude_unset=True))
        except AppError as exc:
            raise typer.BadParameter(exc.message) from exc
        typer.echo(f"API key {created.id} ({created.prefix}) for {email}; store it now, it is not shown again:")
        typer.echo(created.key)

    asyncio.run(_with_session(create))


async def _with_session(work: Callable[[AsyncSession], Awaitable[object]]) -> None:
    from app.main import standalone_sessions

    async with standalone_sessions(get_settings()) as sessions, sessions() as session:
        await work(session)


@events_cli.command("relay")
def events_relay() -> None:
    """Publish pending outbox events to EVENTS_EXCHANGE until stopped; several may run at once."""
    from app.core.workers import run_relay

    settings = get_settings()
    typer.echo(
        f"Relaying outbox events from {where(settings.DATABASE_URL)} to exchange {settings.EVENTS_EXCHANGE}"
        f" on {where(settings.RABBITMQ_URL)}; Ctrl-C to stop"
    )
    asyncio.run(run_relay(settings))


@events_cli.command("prune")
def events_prune(
    sent_days: int = typer.Option(7, min=0, help="Delete outbox rows published more than this many days ago"),
    processed_days: int = typer.Option(30, min=0, help="Delete consumer receipts older than this many days"),
) -> None:
    """Delete published outbox rows and old consumer receipts (run it daily); pending events stay."""
    from app.core.inbox import prune_processed
    from app.core.outbox import prune_sent

    async def prune(session: AsyncSession) -> None:
        now = utcnow()
        async with transaction(session):
            sent = await prune_sent(session, now - timedelta(days=sent_days))
            processed = await prune_processed(session, now - timedelta(days=processed_days))
        typer.echo(f"Pruned {sent} sent outbox events and {processed} consumer receipts")

    asyncio.run(_with_session(prune))


@events_cli.command("consume")
def events_consume(
    queue: str | None = typer.Option(None, help="Durable queue; defaults to the EVENTS_QUEUE setting"),
    binding: list[str] | None = typer.Option(None, help="Routing-key pattern, repeatable; defaults to EVENTS_BINDINGS"),
) -> None:
    """Log every event bound to the queue, once per event id; acknowledge after handling."""
    from app.core.workers import run_consumer

    settings = get_settings()
    overrides: dict[str, object] = {"EVENTS_QUEUE": queue} if queue else {}
    if binding:
        overrides["EVENTS_BINDINGS"] = binding
    settings = settings.model_copy(update=overrides)
    typer.echo(
        f"Consuming queue {settings.EVENTS_QUEUE} (bound to {', '.join(settings.EVENTS_BINDINGS)} on exchange"
        f" {settings.EVENTS_EXCHANGE}) on {where(settings.RABBITMQ_URL)}; Ctrl-C to stop"
    )
    asyncio.run(run_consumer(settings))
