# The service image: `docker build -t enterprise-api .` (docs/DEPLOYMENT.md).
# Stage 1 installs the dependencies into a virtualenv; stage 2 copies that virtualenv and the
# code into a slim image that runs as an unprivileged user, without pip's cache or build files.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
# The dependencies only: the service runs from /srv, beside alembic.ini and its migrations.
RUN /opt/venv/bin/pip install --no-cache-dir . \
    && /opt/venv/bin/pip uninstall --yes enterprise-api

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 --user-group app
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
COPY alembic.ini ./
COPY alembic ./alembic
COPY app ./app
# SQLite and the default audit cold storage live in ./data: the one directory the service writes.
RUN mkdir data && chown app:app data
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/srv \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    APP_ENV=prod \
    HOST=0.0.0.0 \
    PORT=8000
USER 10001
EXPOSE 8000
# Liveness only: /health/ready also fails while Redis or RabbitMQ is down (docs/DEPLOYMENT.md).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
CMD ["python", "-m", "app", "serve"]
