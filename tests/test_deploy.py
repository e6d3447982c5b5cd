"""The deployment files name commands and options that really exist."""

import json
import re
import shlex
import shutil
import subprocess
import textwrap
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.__main__ import build_parser
from bot.services.web_access import SIGN_IN_PATH

from .conftest import ROOT

DEPLOY = ROOT / "deploy"


def parses(argv: list[str]) -> bool:
    try:
        build_parser().parse_args(argv)
    except SystemExit:
        return False
    return True


def test_the_systemd_unit_starts_the_bot_with_a_real_command():
    unit = (DEPLOY / "aftercare.service").read_text(encoding="utf-8")
    exec_start = re.search(r"^ExecStart=(.+)$", unit, re.MULTILINE).group(1)
    program, *argv = shlex.split(exec_start)
    assert program.endswith("/aftercare") and argv[0] == "run"
    assert parses(argv)
    assert "KillSignal=SIGTERM" in unit and "UMask=0077" in unit


def test_the_container_runs_a_real_command_as_a_non_root_user():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    entry = re.search(r'^ENTRYPOINT \["aftercare"\]$', dockerfile, re.MULTILINE)
    cmd = re.search(r"^CMD (\[.+\])$", dockerfile, re.MULTILINE).group(1)
    assert entry and parses(json.loads(cmd))
    assert re.search(r"^USER aftercare$", dockerfile, re.MULTILINE)
    for copied in re.findall(r"^COPY (\S+)", dockerfile, re.MULTILINE):
        assert (ROOT / copied).exists(), copied


def test_the_instructions_use_commands_that_exist():
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = re.findall(r"(?:bin/|-- )aftercare ([^\n]+)$", readme, re.MULTILINE)
    assert len(lines) >= 2
    for line in lines:
        argv = shlex.split(re.sub(r"\$\(date [^)]*\)", "today", line))
        assert parses(argv), line


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_the_systemd_unit_exposes_little():
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(DEPLOY / "aftercare.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    assert float(found.group(1)) <= 2.0, result.stdout


def _locked() -> dict[str, str]:
    lock = (DEPLOY / "requirements.lock").read_text(encoding="utf-8")
    entry = r"^([a-z0-9_.-]+)==(\S+) \\\n((?:    --hash=sha256:[0-9a-f]{64}.*\n)+)"
    entries = re.findall(entry, lock, re.MULTILINE)
    pinned = re.findall(r"^[a-z0-9_.-]+==", lock, re.MULTILINE)
    assert len(entries) == len(pinned), "every pinned requirement carries its hashes"
    return {canonicalize_name(name): version for name, version, _ in entries}


def test_the_image_is_pinned_and_installs_only_what_is_locked():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim@sha256:[0-9a-f]{64}$", dockerfile, re.MULTILINE)
    assert "--require-hashes -r requirements.lock" in dockerfile
    assert "--no-deps ." in dockerfile
    locked = _locked()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for dependency in map(Requirement, project["dependencies"]):
        version = locked.get(canonicalize_name(dependency.name))
        assert version is not None, f"{dependency.name} is not in deploy/requirements.lock"
        assert dependency.specifier.contains(version), (
            f"{dependency.name}=={version} misses {dependency.specifier}"
        )


def test_the_token_never_travels_in_the_environment_of_a_container():
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "-e TELEGRAM_BOT_TOKEN" not in readme
    assert "/run/secrets/telegram_token:ro" in readme and "-m 0400" in readme


def test_litestream_replicates_the_database_the_unit_uses():
    litestream = (DEPLOY / "litestream.yml").read_text(encoding="utf-8")
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    path = re.search(r"^  - path: (\S+)$", litestream, re.MULTILINE).group(1)
    assert f'database = "{path}"' in readme
    unit = (DEPLOY / "aftercare.service").read_text(encoding="utf-8")
    assert f"ReadWritePaths={Path(path).parent}" in unit
    assert re.search(r"^\s+age:\n\s+recipients:", litestream, re.MULTILINE)


# ---- Kubernetes (deploy/kubernetes.yaml) ---------------------------------------------------------
# PyYAML is not a dependency, and the recipe uses a small part of YAML: block mappings and lists,
# flow lists, quoted and plain scalars, one literal block. This reader knows that part and fails on
# anything else, so a recipe it cannot read fails here rather than passing unread.


def _scalar(text: str):
    if text.startswith(("[", '"')):
        return json.loads(text)
    if re.fullmatch(r"0[0-7]+", text):
        return int(text, 8)  # YAML 1.1, as Kubernetes reads it: 0400 is octal
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    assert not text.startswith(("{", "'", "&", "*", "!", "|", ">")), f"not read by this test: {text}"
    return text


def _lines(document: str) -> list[tuple[int, str, str | None]]:
    """(indent, text without comment, literal block text or None) for each line that holds data."""
    raw, out, i = document.splitlines(), [], 0
    while i < len(raw):
        line, i = raw[i], i + 1
        text = line.strip().split(" #")[0]
        if not text or text.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        literal = None
        if text.endswith(": |"):
            body = []
            while i < len(raw) and (not raw[i].strip() or len(raw[i]) - len(raw[i].lstrip(" ")) > indent):
                body.append(raw[i])
                i += 1
            literal, text = textwrap.dedent("\n".join(body)).strip("\n") + "\n", text[:-2]
        out.append((indent, text, literal))
    return out


def _block(lines: list, i: int):
    indent = lines[i][0]
    if lines[i][1].startswith("- "):
        items = []
        while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
            item = lines[i][1][2:]
            if re.match(r"[\w./-]+:( |$)", item):  # a mapping item: read it as a block two deeper
                lines[i] = (indent + 2, item, lines[i][2])
                value, i = _block(lines, i)
            else:
                value, i = _scalar(item), i + 1
            items.append(value)
        return items, i
    mapping = {}
    while i < len(lines) and lines[i][0] == indent and not lines[i][1].startswith("- "):
        _, text, literal = lines[i]
        key, colon, value = text.partition(":")
        assert colon, f"not read by this test: {text}"
        i += 1
        if literal is not None:
            mapping[key] = literal
        elif value.strip():
            mapping[key] = _scalar(value.strip())
        else:
            assert lines[i][0] > indent, f"{key}: a nested block must be indented"
            mapping[key], i = _block(lines, i)
    return mapping, i


def kubernetes_objects() -> dict[str, dict]:
    text = (DEPLOY / "kubernetes.yaml").read_text(encoding="utf-8")
    objects = {}
    for document in re.split(r"^---$", text, flags=re.MULTILINE):
        lines = _lines(document)
        if lines:
            value, end = _block(lines, 0)
            assert end == len(lines), f"unread from: {lines[end]}"
            objects[value["kind"]] = value
    return objects


def pod() -> dict:
    return kubernetes_objects()["Deployment"]["spec"]["template"]["spec"]


def mounts(container: dict) -> dict[str, str]:
    return {m["name"]: m["mountPath"] for m in container["volumeMounts"]}


def test_kubernetes_runs_one_poller_per_token():
    deployment = kubernetes_objects()["Deployment"]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}  # the old pod stops before the new starts


def test_kubernetes_runs_the_image_command_as_the_image_user(tmp_path):
    spec = pod()
    [container] = spec["containers"]
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    image_uid = int(re.search(r"useradd [^\n]*--uid (\d+)", dockerfile).group(1))
    image_gid = int(re.search(r"groupadd [^\n]*--gid (\d+)", dockerfile).group(1))
    context = spec["securityContext"]
    assert context["runAsNonRoot"] is True and context["runAsUser"] == image_uid
    assert context["runAsGroup"] == context["fsGroup"] == image_gid
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert parses(container["args"])
    config_path = Path(container["args"][container["args"].index("--config") + 1])
    volumes = {v["name"]: v for v in spec["volumes"]}
    config_volume = next(n for n, path in mounts(container).items() if path == str(config_path.parent))
    config_map = kubernetes_objects()["ConfigMap"]
    assert volumes[config_volume]["configMap"]["name"] == config_map["metadata"]["name"]
    assert config_path.name in config_map["data"]
    data_volume = volumes["data"]["persistentVolumeClaim"]["claimName"]
    assert data_volume == kubernetes_objects()["PersistentVolumeClaim"]["metadata"]["name"]
    config = recipe_config(tmp_path)
    assert config.storage.database.parent == Path(mounts(container)["data"])


def recipe_config(tmp_path):
    """The ConfigMap's clinic config, checked by the bot's own loader."""
    from bot.guidance.config import load_config

    path = tmp_path / "clinic.toml"
    path.write_text(kubernetes_objects()["ConfigMap"]["data"]["clinic.toml"], encoding="utf-8")
    return load_config(path)


def test_kubernetes_hands_the_bot_its_token_file_mode_0400(tmp_path):
    spec = pod()
    volumes = {v["name"]: v for v in spec["volumes"]}
    secret = next(v["secret"] for v in volumes.values() if "secret" in v)
    assert secret["defaultMode"] == 0o400 == 256
    [item] = secret["items"]
    [copier] = spec["initContainers"]
    [bot] = spec["containers"]
    secret_volume = next(name for name, v in volumes.items() if "secret" in v)
    source = f"{mounts(copier)[secret_volume]}/{item['path']}"
    program, *options, copied_from, copied_to = copier["command"]
    assert (program, options, copied_from) == ("install", ["-m", "0400"], source)
    token_file = recipe_config(tmp_path).telegram.token_file
    assert str(token_file) == copied_to
    shared = next(name for name, path in mounts(bot).items() if path == str(token_file.parent))
    assert mounts(copier)[shared] == str(token_file.parent)
    assert volumes[shared]["emptyDir"]["medium"] == "Memory"
    assert secret_volume not in mounts(bot)  # the bot reads its own copy only


def file_modes() -> dict[str, int]:
    """The token file's mode as the bot finds it: the init container's copy, and (were the bot to read
    it) the Secret's file, to which Kubernetes adds group read when the pod has an fsGroup
    (pkg/volume SetVolumeOwnership: mode | 0440 on a read-only volume)."""
    spec = pod()
    secret = next(v["secret"] for v in spec["volumes"] if "secret" in v)
    command = spec["initContainers"][0]["command"]
    fs_group_bits = 0o440 if spec["securityContext"].get("fsGroup") is not None else 0
    return {"copy": int(command[command.index("-m") + 1], 8), "secret": secret["defaultMode"] | fs_group_bits}


@pytest.mark.parametrize("file, starts", [("copy", True), ("secret", False)])
def test_the_bot_reads_its_copy_and_would_refuse_the_secret_itself(tmp_path, monkeypatch, file, starts):
    """Without an fsGroup the Secret's file stays root's own 0400, which the image's user cannot read
    (and the database volume is not the user's to write): so the pod has one, and the bot reads a
    copy of its own."""
    from bot.guidance.config import ConfigError, TelegramConfig

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    token = tmp_path / "telegram_token"
    token.write_text("123456:TEST-TOKEN")
    token.chmod(file_modes()[file])
    telegram = TelegramConfig(api_base_url="https://api.telegram.org/bot", token_file=token)
    if starts:
        assert telegram.token() == "123456:TEST-TOKEN"
    else:
        with pytest.raises(ConfigError, match="can be read by other users"):
            telegram.token()


def test_the_kubernetes_instructions_name_the_recipe_and_keep_the_token_out_of_the_shell():
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "kubectl apply -f deploy/kubernetes.yaml" in readme
    assert "kubectl create secret generic aftercare-telegram --from-file=telegram_token=" in readme
    assert "--from-literal" not in readme  # a token typed on the command line stays in the shell's history


def test_the_reverse_proxies_reach_the_worklist_and_keep_sign_in_links_out_of_logs():
    nginx = (DEPLOY / "nginx-aftercare.conf").read_text(encoding="utf-8")
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert nginx.count("proxy_pass http://127.0.0.1:8080;") == 2
    assert re.search(rf"location {SIGN_IN_PATH} {{\s+access_log off;", nginx)
    assert "reverse_proxy 127.0.0.1:8080" in caddy and not re.search(r"^\s*log\b", caddy, re.MULTILINE)
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert '# listen = "127.0.0.1:8080"' in example
