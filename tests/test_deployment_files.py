"""compose.yaml and deploy/kubernetes/: every variable they set is a real setting, every command
a real CLI command, and the probes point at routes the app serves. (hadolint checks the Dockerfile.)"""

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from app.cli import cli
from app.core.config import Settings
from app.main import create_app

ROOT = Path(__file__).resolve().parent.parent
KUBERNETES = ROOT / "deploy" / "kubernetes"
OUR_IMAGE = "enterprise-api"
# A value for each `${VAR:?...}` compose asks the operator for.
OPERATOR_VALUES = {"JWT_SECRET": "x" * 48, "FIRST_SUPERUSER_PASSWORD": "an-operator-password"}


def env_example_names() -> set[str]:
    """Every name .env.example sets or shows commented out (`# REDIS_URL=...`)."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))


def compose_services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    return {name: service for name, service in services.items() if service.get("image", "").startswith(OUR_IMAGE)}


def kubernetes_documents() -> list[dict[str, Any]]:
    documents = [doc for path in sorted(KUBERNETES.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text())]
    return [doc for doc in documents if doc and doc["kind"] != "Kustomization"]


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for doc in kubernetes_documents() if doc["kind"] == kind]


def our_containers() -> list[dict[str, Any]]:
    workloads = [*of_kind("Deployment"), *of_kind("Job")]
    containers = [c for doc in workloads for c in doc["spec"]["template"]["spec"]["containers"]]
    return [container for container in containers if container["image"].startswith(OUR_IMAGE)]


def substituted(value: str) -> str:
    """A compose value with `${VAR:-default}` / `${VAR:?message}` filled in as `up` would."""

    def fill(match: re.Match[str]) -> str:
        name, operator, rest = match.group(1), match.group(2), match.group(3)
        return OPERATOR_VALUES.get(name, rest if operator == ":-" else "")

    return re.sub(r"\$\{(\w+)(:[-?])([^}]*)\}", fill, value)


def assert_is_cli_command(argv: list[str]) -> None:
    assert argv[:3] == ["python", "-m", "app"], argv
    command: Any = typer.main.get_group(cli)
    for name in argv[3:]:
        assert name in getattr(command, "commands", {}), f"{argv}: no command {name!r}"
        command = command.commands[name]


def commands_of(command: list[str]) -> list[list[str]]:
    """The CLI invocations in a container command (`sh -c "a && b"` included)."""
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in command[2].split("&&")]
    return [command]


def test_compose_runs_app_consumer_and_a_one_off_migration_beside_the_three_servers() -> None:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]

    assert {"app", "consumer", "migrate", "postgres", "redis", "rabbitmq"} <= set(services)
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["restart"] == "no"


@pytest.mark.parametrize("name", ["app", "consumer", "migrate"])
def test_compose_sets_only_real_settings_that_validate(name: str) -> None:
    service = compose_services()[name]
    environment = {key: substituted(str(value)) for key, value in service["environment"].items()}

    assert set(environment) <= set(Settings.model_fields), set(environment) - set(Settings.model_fields)
    assert set(environment) <= env_example_names(), set(environment) - env_example_names()
    Settings.model_validate(environment)  # APP_ENV=prod refuses a weak secret, a wrong type fails here
    for argv in commands_of(service["command"]):
        assert_is_cli_command(argv)


def test_kubernetes_sets_only_real_settings() -> None:
    names = {key for doc in of_kind("ConfigMap") for key in doc["data"]}
    names |= {key for doc in of_kind("Secret") for key in doc["stringData"]}
    names |= {entry["name"] for container in our_containers() for entry in container.get("env", [])}

    assert names <= set(Settings.model_fields), names - set(Settings.model_fields)
    assert names <= env_example_names(), names - env_example_names()
    config = {key: str(value) for doc in of_kind("ConfigMap") for key, value in doc["data"].items()}
    secrets = {key: str(value) for doc in of_kind("Secret") for key, value in doc["stringData"].items()}
    Settings.model_validate({**config, **secrets})


def test_kubernetes_containers_reference_existing_config_and_run_cli_commands() -> None:
    defined = {(doc["kind"], doc["metadata"]["name"]) for doc in kubernetes_documents()}

    for container in our_containers():
        for source in container["envFrom"]:
            kind, ref = (
                ("ConfigMap", source["configMapRef"]) if "configMapRef" in source else ("Secret", source["secretRef"])
            )
            assert (kind, ref["name"]) in defined, (container["name"], kind, ref["name"])
        for argv in commands_of(container["command"]):
            assert_is_cli_command(argv)


def test_kubernetes_probes_service_and_autoscaler_fit_the_api_deployment() -> None:
    [api] = [doc for doc in of_kind("Deployment") if doc["metadata"]["name"] == "enterprise-api"]
    [container] = api["spec"]["template"]["spec"]["containers"]
    [service] = of_kind("Service")
    [autoscaler] = of_kind("HorizontalPodAutoscaler")
    paths = set(create_app(Settings(APP_ENV="test")).openapi()["paths"])

    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert {container["readinessProbe"]["httpGet"]["path"], container["livenessProbe"]["httpGet"]["path"]} <= paths
    assert api["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    assert service["spec"]["selector"].items() <= api["spec"]["template"]["metadata"]["labels"].items()
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == api["metadata"]["name"]
    assert of_kind("Job"), "a migration Job"
    listed = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(
        p.name for p in KUBERNETES.glob("*.yaml") if "example" not in p.name and p.name != "kustomization.yaml"
    )


def test_the_dockerfile_builds_in_two_stages_and_runs_unprivileged_with_a_health_check() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]

    assert len([line for line in lines if line.startswith("FROM ")]) == 2
    [user] = [line for line in lines if line.startswith("USER ")]
    assert user.split()[1] not in {"root", "0"}
    assert any(line.startswith("HEALTHCHECK ") for line in lines)
