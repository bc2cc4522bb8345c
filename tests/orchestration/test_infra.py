"""What cannot run here (Docker, Kubernetes, a Qdrant server) is checked statically: the compose
file, the Dagster instance and workspace, the Helm values and the Dockerfile parse, and every
service, port, image and variable they name agrees with the others and with the code."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from core.settings import Settings
from orchestration.assets.model import GPU_STEP_TAGS

INFRA = Path(__file__).resolve().parents[2] / "infra"
REPO = INFRA.parent
SETTINGS_VARS = {f"FLYWHEEL_{name.upper()}" for name in Settings.model_fields}
OTHER_VARS = {"MLFLOW_TRACKING_URI", "DAGSTER_HOME", "HF_HUB_OFFLINE"} | {
    f"DAGSTER_PG_{x}" for x in ("HOST", "USER", "PASSWORD", "DB")
}


def _substitute(text: str) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?message} with sample values."""
    return re.sub(
        r"\$\{(\w+)(?::[-?]([^}]*))?\}",
        lambda m: m.group(2) if m.group(0).count(":-") else f"<{m.group(1)}>",
        text,
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(_substitute((INFRA / "compose.yaml").read_text()))


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else list(command)


def _option(command: list[str], *names: str) -> str | None:
    for i, part in enumerate(command):
        for name in names:
            if part == name and i + 1 < len(command):
                return command[i + 1]
            if part.startswith(name + "="):
                return part.split("=", 1)[1]
    return None


def test_every_variable_the_services_set_is_one_the_code_reads(compose) -> None:
    for name, service in compose["services"].items():
        for variable in service.get("environment") or {}:
            if variable.startswith("FLYWHEEL_"):
                assert variable in SETTINGS_VARS, f"{name}: {variable} is no setting"
            elif not variable.startswith(("POSTGRES_", "QDRANT__")):
                assert variable in OTHER_VARS, f"{name}: {variable} is read by nothing"


def test_the_production_environment_is_a_valid_production_profile(compose, monkeypatch) -> None:
    environment = compose["services"]["dagster-code"]["environment"]
    for variable, value in environment.items():
        monkeypatch.setenv(variable, str(value))
    from core.settings import load_settings

    settings = load_settings()
    assert settings.profile == "production"
    assert settings.report_dirs == [Path("/reports")]


def test_server_addresses_name_a_service_and_the_port_it_listens_on(compose) -> None:
    services = compose["services"]
    env = services["dagster-code"]["environment"]
    # PostgreSQL: the findings store and the MLflow store; databases made by init.sql.
    init = (INFRA / "postgres" / "init.sql").read_text()
    databases = {services["postgres"]["environment"]["POSTGRES_DB"]} | set(
        re.findall(r"CREATE DATABASE (\w+)", init)
    )
    mlflow_store = _option(_command(services["mlflow"]), "--backend-store-uri")
    for url in (env["FLYWHEEL_DB_URL"], mlflow_store):
        parts = urlsplit(url)
        assert (parts.hostname, parts.port) == ("postgres", 5432), url
        assert parts.path.lstrip("/") in databases, url
        assert parts.username == services["postgres"]["environment"]["POSTGRES_USER"]
    assert env["DAGSTER_PG_HOST"] == "postgres" and env["DAGSTER_PG_DB"] in databases
    # Qdrant and MLflow: the URL's host is the service, its port the one the service serves.
    qdrant = urlsplit(env["FLYWHEEL_QDRANT_URL"])
    assert (
        qdrant.hostname == "qdrant"
        and f"{qdrant.port}:{qdrant.port}" in (services["qdrant"]["ports"])
    )
    mlflow = urlsplit(env["MLFLOW_TRACKING_URI"])
    assert mlflow.hostname == "mlflow"
    assert _option(_command(services["mlflow"]), "--port") == str(mlflow.port)
    # Dagster: webserver and daemon load the code server the workspace names.
    workspace = yaml.safe_load((INFRA / "dagster" / "workspace.yaml").read_text())
    grpc = workspace["load_from"][0]["grpc_server"]
    code = _command(services["dagster-code"])
    assert grpc["host"] in services and grpc["host"] == "dagster-code"
    assert _option(code, "-p", "--port") == str(grpc["port"])
    assert _option(code, "-m", "--module-name") == "orchestration.definitions"
    container_workspace = "/opt/flywheel/infra/dagster/workspace.yaml"
    for name in ("dagster-webserver", "dagster-daemon"):
        assert _option(_command(services[name]), "-w") == container_workspace
    assert _option(_command(services["dagster-webserver"]), "-p") == "3000"
    assert "3000:3000" in services["dagster-webserver"]["ports"]


def test_the_dagster_instance_reads_variables_compose_sets(compose) -> None:
    instance = yaml.safe_load((INFRA / "dagster" / "dagster.yaml").read_text())
    postgres = instance["storage"]["postgres"]["postgres_db"]
    wanted = {value["env"] for value in postgres.values() if isinstance(value, dict)}
    assert wanted == {f"DAGSTER_PG_{x}" for x in ("HOST", "USER", "PASSWORD", "DB")}
    for name in ("dagster-code", "dagster-webserver", "dagster-daemon"):
        assert wanted <= set(compose["services"][name]["environment"])
    assert instance["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert instance["telemetry"]["enabled"] is False


def test_images_are_pinned_and_the_code_image_is_the_one_built(compose) -> None:
    dockerfile = (INFRA / "docker" / "Dockerfile").read_text()
    for name, service in compose["services"].items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: {image} not pinned"
    code_image = compose["services"]["dagster-code"]["image"]
    assert code_image == "findings-flywheel:0.1.0" and code_image in dockerfile
    for copied in re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.M):
        for path in copied.split():
            assert (REPO / path).exists(), f"Dockerfile copies {path}, which does not exist"
    assert "infra/dagster/dagster.yaml" in dockerfile
    # Every program a service runs is installed in the image (a console script of the stack).
    programs = {_command(s)[0] for s in compose["services"].values() if _command(s)}
    assert programs == {"flywheel", "mlflow", "dagster", "dagster-webserver", "dagster-daemon"}
    for program in programs:
        assert shutil.which(program, path=str(Path(__file__).parents[2] / ".venv" / "bin")) or (
            shutil.which(program)
        ), program


def test_helm_values_use_the_same_image_code_and_settings() -> None:
    values = yaml.safe_load((INFRA / "helm" / "values.yaml").read_text())
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert deployment["image"]["repository"].endswith("findings-flywheel")
    assert deployment["image"]["tag"] == "0.1.0"
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", "orchestration.definitions"]
    env = {item["name"]: item["value"] for item in deployment["env"]}
    for variable in env:
        assert variable in SETTINGS_VARS | OTHER_VARS, f"helm: {variable} is read by nothing"
    assert env["FLYWHEEL_PROFILE"] == "production" and env["FLYWHEEL_EXECUTOR"] == "k8s"
    assert json.loads(env["FLYWHEEL_REPORT_DIRS"]) == ["/data/reports"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["postgresqlDatabase"] == "dagster"
    # The GPU node label the comment documents is the one the training steps ask for.
    selector = GPU_STEP_TAGS["dagster-k8s/config"]["pod_spec_config"]["node_selector"]
    label = ",".join(f"{k}={v}" for k, v in selector.items())
    assert label in (INFRA / "helm" / "values.yaml").read_text()


def test_the_k8s_executor_puts_training_steps_on_gpu_nodes(tmp_path: Path) -> None:
    from orchestration.definitions import build_definitions

    defs = build_definitions(Settings(home=tmp_path, executor="k8s"))
    job = defs.resolve_job_def("retrain_job")
    assert job.executor_def.name == "k8s"
    for step in ("lora_adapter", "rl_adapter", "model_evaluation"):
        tags = job.graph.node_named(step).definition.tags
        assert json.loads(tags["dagster-k8s/config"]) == GPU_STEP_TAGS["dagster-k8s/config"]
    assert build_definitions(Settings(home=tmp_path)).resolve_job_def(
        "retrain_job"
    ).executor_def.name in ("multi_or_in_process_executor", "multiprocess")
