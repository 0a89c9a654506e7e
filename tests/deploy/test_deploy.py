"""deploy/ checked offline (no Docker engine here): structure, variables both ways, and the image's build context.

What can drift without anyone noticing does: a variable the code reads that no manifest sets, a manifest setting
one the code has never heard of, a file the Dockerfile copies that was moved.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.rules_file import load_rules
from cli.settings import CONFIG_FILE, VARIABLES, parse_settings, read_configuration
from ledger.settings import check_ledger_url

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"
SOURCES = ("domain", "ledger", "activities", "workflows", "audit", "cli", "api", "worker.py")
OFFICIAL_TEMPORAL_IMAGES = ("temporalio/auto-setup:", "temporalio/server:", "temporalio/ui:", "temporalio/admin-tools:")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def manifests() -> list[dict[str, Any]]:
    documents = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        documents += [document for document in yaml.safe_load_all(path.read_text(encoding="utf-8")) if document]
    return documents


def kind(name: str) -> list[dict[str, Any]]:
    return [document for document in manifests() if document["kind"] == name]


def variables_read_by_the_code() -> set[str]:
    found: set[str] = set()
    for source in SOURCES:
        paths = [ROOT / source] if source.endswith(".py") else sorted((ROOT / source).rglob("*.py"))
        for path in paths:
            found |= set(re.findall(r"\bGRANTS_[A-Z_]+[A-Z]\b", path.read_text(encoding="utf-8")))
    return found


def worker_container() -> dict[str, Any]:
    (deployment,) = kind("Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def variables_set_for_the_kubernetes_worker() -> set[str]:
    container = worker_container()
    names = {variable["name"] for variable in container.get("env", [])}
    config_maps = {source["configMapRef"]["name"] for source in container.get("envFrom", [])}
    for config_map in kind("ConfigMap"):
        if config_map["metadata"]["name"] in config_maps:
            names |= set(config_map["data"])
    return names


def variables_left_at_defaults() -> set[str]:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Settings left at their defaults", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`(GRANTS_[A-Z_]+)`", section))


class TestVariables:
    def test_the_code_reads_exactly_the_documented_variables(self) -> None:
        """The scans below rest on this: each variable in the code is in the settings table (or the local stack's)."""
        assert variables_read_by_the_code() == {variable.name for variable in VARIABLES} | {
            CONFIG_FILE,
            "GRANTS_ACCOUNT_PASSWORD",  # an input of `grants accounts add|reset`, not a setting
            "GRANTS_TEST_PAUSE_AFTER_COMMIT",  # the reliability tests' hook, inert unless set
        }

    def test_every_variable_the_code_reads_is_set_for_the_worker_or_documented_as_left_at_its_default(self) -> None:
        unaccounted = variables_read_by_the_code() - variables_set_for_the_kubernetes_worker()
        assert unaccounted == variables_left_at_defaults(), "set it in deploy/kubernetes or list it in deploy/README.md"

    def test_no_variable_is_both_set_and_listed_as_left_at_its_default(self) -> None:
        assert not variables_set_for_the_kubernetes_worker() & variables_left_at_defaults()

    @pytest.mark.parametrize(
        "files",
        [["compose.yaml", "Dockerfile"], [f"kubernetes/{path.name}" for path in (DEPLOY / "kubernetes").glob("*")]],
    )
    def test_every_variable_deploy_sets_is_read_by_the_code(self, files: list[str]) -> None:
        text = "\n".join((DEPLOY / name).read_text(encoding="utf-8") for name in files)
        assert set(re.findall(r"\b(GRANTS_[A-Z_]+[A-Z])\b", text)) <= variables_read_by_the_code()


class TestCompose:
    def test_the_services_of_production_shape(self) -> None:
        services = compose()["services"]

        assert {"temporal", "temporal-db", "temporal-ui", "ledger-db", "ledger-init", "worker"} <= set(services)
        assert services["temporal"]["environment"]["DB"] == "postgres12"
        assert services["temporal"]["environment"]["POSTGRES_SEEDS"] == "temporal-db"
        assert services["worker"]["deploy"]["replicas"] == 2
        assert services["ledger-init"]["command"][:2] == ["ledger", "init"]
        assert services["worker"]["depends_on"]["ledger-init"]["condition"] == "service_completed_successfully"

    def test_temporal_images_are_the_official_ones(self) -> None:
        images = [service["image"] for service in compose()["services"].values() if "image" in service]
        temporal = [image for image in images if "temporal" in image]

        assert temporal
        assert all(image.startswith(OFFICIAL_TEMPORAL_IMAGES) for image in temporal), temporal

    def test_the_search_attributes_created_are_the_workflows(self) -> None:
        from workflows.search_attributes import ALL  # noqa: PLC0415 - only this test needs the workflow's keys

        command = compose()["services"]["temporal-search-attributes"]["command"]
        names = [flag.removeprefix("--name=") for flag in command if flag.startswith("--name=")]
        assert names == [key.name for key in ALL]

    def test_the_worker_stops_later_than_it_drains(self) -> None:
        worker = compose()["services"]["worker"]
        assert int(worker["stop_grace_period"].removesuffix("s")) > float(
            worker["environment"]["GRANTS_SHUTDOWN_GRACE"]
        )


class TestKubernetes:
    def test_the_worker_deployment_probes_the_health_endpoints_on_its_configured_port(self) -> None:
        container = worker_container()
        (config,) = [item for item in kind("ConfigMap") if item["metadata"]["name"] == "grants-config"]
        port = int(config["data"]["GRANTS_WORKER_HTTP_ADDRESS"].rsplit(":", 1)[1])
        ports = {item["name"]: item["containerPort"] for item in container["ports"]}

        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
        assert ports["health"] == port
        assert ports["sdk-metrics"] == int(config["data"]["GRANTS_TEMPORAL_METRICS_ADDRESS"].rsplit(":", 1)[1])

    def test_the_pod_is_given_longer_to_stop_than_the_worker_takes_to_drain(self) -> None:
        (deployment,) = kind("Deployment")
        (config,) = [item for item in kind("ConfigMap") if item["metadata"]["name"] == "grants-config"]
        grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert grace > float(config["data"]["GRANTS_SHUTDOWN_GRACE"])

    def test_files_the_settings_name_are_mounted_from_secrets_and_config_maps(self) -> None:
        container = worker_container()
        (config,) = [item for item in kind("ConfigMap") if item["metadata"]["name"] == "grants-config"]
        mounts = [mount["mountPath"] for mount in container["volumeMounts"]]
        files = [value for name, value in config["data"].items() if name.endswith("_FILE")]

        assert files
        for path in files:
            assert any(path.startswith(mount + "/") for mount in mounts), path

    def test_the_init_job_runs_ledger_init_as_the_owner(self) -> None:
        (job,) = kind("Job")
        (container,) = job["spec"]["template"]["spec"]["containers"]
        (url,) = container["env"]

        assert container["args"][:2] == ["ledger", "init"]
        assert url["valueFrom"]["secretKeyRef"]["key"] == "owner-url"
        assert worker_container()["env"][0]["valueFrom"]["secretKeyRef"]["key"] == "app-url"

    def test_the_secrets_hold_the_keys_the_tls_files_and_the_ledger_urls(self) -> None:
        secrets = {secret["metadata"]["name"]: set(secret["stringData"]) for secret in kind("Secret")}

        assert secrets["grants-keys"] == {"checkpoint-signing-key.pem", "master.key"}
        assert secrets["grants-temporal-tls"] == {"tls.crt", "tls.key", "ca.crt"}
        assert secrets["grants-ledger"] >= {"owner-url", "app-url", "app-password"}

    def test_the_rules_config_map_is_a_rules_file_the_worker_accepts(self, tmp_path: Path) -> None:
        (rules,) = [item for item in kind("ConfigMap") if item["metadata"]["name"] == "grants-rules"]
        path = tmp_path / "rules.toml"
        path.write_text(rules["data"]["rules.toml"], encoding="utf-8")

        assert load_rules(path) == load_rules(ROOT / "config" / "rules" / "hunan.toml")

    def test_the_worker_settings_parse(self) -> None:
        """What `grants config check` would say in the pod, short of the mounted files (absent here)."""
        (config,) = [item for item in kind("ConfigMap") if item["metadata"]["name"] == "grants-config"]
        (ledger,) = [item for item in kind("Secret") if item["metadata"]["name"] == "grants-ledger"]
        env = config["data"] | {"GRANTS_LEDGER_URL": ledger["stringData"]["app-url"]}

        _, problems = parse_settings(read_configuration(env))

        assert problems == []
        check_ledger_url(env["GRANTS_LEDGER_URL"])

    def test_kustomization_lists_every_manifest(self) -> None:
        kustomization = yaml.safe_load((DEPLOY / "kubernetes" / "kustomization.yaml").read_text(encoding="utf-8"))
        on_disk = {path.name for path in (DEPLOY / "kubernetes").glob("*.yaml")} - {"kustomization.yaml"}
        assert set(kustomization["resources"]) == on_disk


class TestImage:
    def test_every_file_the_dockerfile_copies_exists_in_the_build_context(self) -> None:
        context = ROOT  # compose.yaml builds with `context: ..`; the README with `-f deploy/Dockerfile .`
        copies = [
            shlex.split(line)[1:-1]
            for line in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines()
            if line.startswith("COPY ")
        ]

        assert copies
        for sources in copies:
            for source in sources:
                assert (context / source).exists(), source

    def test_the_image_holds_every_package_the_project_installs(self) -> None:
        dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
        for source in SOURCES:
            assert re.search(rf"^COPY {re.escape(source)}", dockerfile, re.MULTILINE), source

    def test_compose_builds_from_the_repository_root(self) -> None:
        build = compose()["services"]["ledger-init"]["build"]
        assert (DEPLOY / build["context"]).resolve() == ROOT
        assert (ROOT / build["dockerfile"]).is_file()

    def test_the_worker_runs_as_pid_1_to_receive_sigterm(self) -> None:
        dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
        assert 'ENTRYPOINT ["grants"]' in dockerfile
        assert 'CMD ["worker"]' in dockerfile
