"""Application settings, read once from the environment (and `.env` when present)."""

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_JWT_SECRET = "change-me-in-production-this-is-not-a-secret"
MIN_PROD_SECRET_BYTES = 32


class Settings(BaseSettings):
    # `KEY=` in .env (as .env.example has for optional settings) means "use the default".
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    APP_ENV: Literal["dev", "test", "prod"] = "dev"
    HOST: str = "127.0.0.1"
    PORT: int = 8000
    WORKERS: int = Field(default=1, ge=1)
    DATABASE_URL: str = "sqlite+aiosqlite:///./data/app.db"
    DATABASE_POOL_SIZE: int = Field(default=20, ge=1)
    REDIS_URL: str | None = None
    RABBITMQ_URL: str | None = None
    # Namespaces every Redis key, so several deployments (or test runs) can share one server.
    REDIS_PREFIX: str = "app:"
    # Bounds every Redis call, so a Redis that hangs costs a request this much at most, once.
    REDIS_TIMEOUT_SECONDS: float = Field(default=1.0, gt=0)

    JWT_SECRET: str = DEFAULT_JWT_SECRET
    JWT_ALGORITHM: str = "HS256"
    JWT_ISSUER: str = "enterprise-api"
    JWT_AUDIENCE: str = "enterprise-api-clients"
    ACCESS_TOKEN_MINUTES: int = Field(default=15, ge=1)
    REFRESH_TOKEN_DAYS: int = Field(default=7, ge=1)
    # A refresh token presented again this soon after its use (a double submit, concurrent
    # tabs) is refused without ending its session; later, reuse means theft and ends it.
    REFRESH_REUSE_LEEWAY_SECONDS: float = Field(default=5, ge=0)

    FIRST_SUPERUSER_EMAIL: str | None = "admin@example.com"
    FIRST_SUPERUSER_PASSWORD: str | None = None

    CORS_ORIGINS: Annotated[list[str], NoDecode] = []
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    LOG_FORMAT: Literal["json", "console"] | None = None
    API_PREFIX: str = ""
    CACHE_TTL_SECONDS: int = Field(default=60, ge=0)
    LOGIN_MAX_ATTEMPTS: int = Field(default=5, ge=1)
    LOGIN_WINDOW_SECONDS: int = Field(default=300, ge=1)
    # Failures per email per window across all clients: slows guessing spread over many addresses.
    LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: int = Field(default=50, ge=1)
    # `Strict-Transport-Security: max-age=N` on every response when > 0 (only behind HTTPS).
    HSTS_SECONDS: int = Field(default=0, ge=0)
    # When set, `GET /metrics` wants `Authorization: Bearer <METRICS_TOKEN>`.
    METRICS_TOKEN: str | None = None
    MAX_BODY_BYTES: int = Field(default=1024 * 1024, ge=1)
    EVENTS_EXCHANGE: str = "app.events"
    # `events consume`: its durable queue and the routing-key patterns bound to it.
    EVENTS_QUEUE: str = "app.events.log"
    EVENTS_BINDINGS: Annotated[list[str], NoDecode] = ["user.*"]
    # Run the outbox relay inside each app process; turn off when dedicated `events relay` processes run.
    EVENTS_RELAY_IN_APP: bool = True
    EVENTS_POLL_SECONDS: float = Field(default=1.0, gt=0)
    EVENTS_BATCH_SIZE: int = Field(default=100, ge=1)
    EVENTS_MAX_BACKOFF_SECONDS: float = Field(default=30.0, gt=0)
    AUDIT_ARCHIVE_DIR: str = "./data/audit-archive"
    TRUSTED_PROXIES: Annotated[list[str], NoDecode] = []
    # Tracing (docs/OBSERVABILITY.md), under OpenTelemetry's own names; the SDK reads its other OTEL_* itself.
    OTEL_TRACES_EXPORTER: Literal["otlp", "console", "none"] = "none"
    OTEL_SERVICE_NAME: str = "enterprise-api"
    OTEL_EXPORTER_OTLP_ENDPOINT: str | None = None
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: str | None = None  # the traces URL itself; wins over the base above
    OTEL_TRACES_SAMPLER: Literal[
        "always_on",
        "always_off",
        "traceidratio",
        "parentbased_always_on",
        "parentbased_always_off",
        "parentbased_traceidratio",
    ] = "parentbased_always_on"
    OTEL_TRACES_SAMPLER_ARG: float = Field(default=1.0, ge=0, le=1)

    @field_validator("CORS_ORIGINS", "TRUSTED_PROXIES", "EVENTS_BINDINGS", mode="before")
    @classmethod
    def split_comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("LOG_LEVEL", mode="before")
    @classmethod
    def upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("API_PREFIX")
    @classmethod
    def normalize_prefix(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        return f"/{value.lstrip('/')}" if value else ""

    @model_validator(mode="after")
    def refuse_weak_secret_in_prod(self) -> "Settings":
        # A guessable signing key lets anyone mint tokens: production must bring its own.
        if self.APP_ENV == "prod":
            if self.JWT_SECRET == DEFAULT_JWT_SECRET:
                raise ValueError("JWT_SECRET is the built-in default; set a secret of your own in prod")
            if len(self.JWT_SECRET.encode()) < MIN_PROD_SECRET_BYTES:
                raise ValueError(f"JWT_SECRET must be at least {MIN_PROD_SECRET_BYTES} bytes in prod")
        return self

    @property
    def log_format(self) -> Literal["json", "console"]:
        if self.LOG_FORMAT is not None:
            return self.LOG_FORMAT
        return "json" if self.APP_ENV == "prod" else "console"

    @property
    def is_sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The settings, or exit with what is wrong; never a traceback echoing a secret back."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc'])) or 'settings'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        raise SystemExit(f"Invalid configuration: {problems}") from None
