"""``tpw-custody`` end to end: a key made by ``keygen`` signs with any threshold of nodes, survives refresh
and repair, ``node start`` serves over mutual TLS, and every expected failure is one ``error:`` line with the
right exit status, never a traceback, never a secret, never a wait for input that cannot come."""

import hashlib
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

import custody.cli.group as cli_group_module
import custody.cli.secret as cli_secret_module
from custody.audit import AuditLog
from custody.cli import cli
from custody.cli.options import DEFAULT_POLICY
from custody.envelope import NodeIdentity
from custody.frost import Point, Signature, verify_signature
from custody.keystore import KEK_ENV_VAR, MIN_SCRYPT, Kek, KeyStore
from custody.node.records.identity import IDENTITY_RECORD
from custody.node.records.shares import share_record
from custody.node.settings import KEK_FILE_ENV_VAR, PASSPHRASE_ENV_VAR
from custody.provision import GroupLayout, load_public_key, local_dkg, provision_group
from custody.tls import client_context
from scripts._support.processes import ManagedProcess, free_port
from tests.helpers.custody_nodes import TEST_POLICY

KEK_HEX = "7a" * 32
PASSPHRASE = "correct horse battery staple"
DIGEST = hashlib.sha256(b"release 5 ETH to the payroll account").digest()
SCRIPT = Path(sys.executable).with_name("tpw-custody")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(mix_stderr=False)


@pytest.fixture
def kek_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV_VAR, raising=False)
    monkeypatch.setenv(KEK_ENV_VAR, KEK_HEX)


@pytest.fixture
def passphrase_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEK_ENV_VAR, raising=False)
    monkeypatch.setenv(PASSPHRASE_ENV_VAR, PASSPHRASE)
    monkeypatch.setattr(cli_group_module, "KEYSTORE_SCRYPT", MIN_SCRYPT)  # the cheapest production cost


def run(runner: CliRunner, *args: object, stdin: str | None = None) -> Result:
    return runner.invoke(cli, [str(arg) for arg in args], input=stdin)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def failed(result: Result, exit_code: int, message: str) -> None:
    """One line on stderr, ``error: ...`` containing `message`; nothing on stdout; no traceback."""
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def signature_of(stdout: str) -> tuple[Point, Signature]:
    """The group key and signature from `sign`'s output, which is exactly one JSON object on one line."""
    assert stdout.count("\n") == 1
    document = json.loads(stdout)
    assert set(document) == {"group_key", "R", "z"}
    assert (len(document["group_key"]), len(document["R"]), len(document["z"])) == (66, 66, 64)
    return Point.from_bytes(bytes.fromhex(document["group_key"])), Signature(
        Point.from_bytes(bytes.fromhex(document["R"])), int(document["z"], 16)
    )


def sign(runner: CliRunner, directory: Path, signers: str, digest: bytes = DIGEST) -> Result:
    return run(runner, "sign", "--dir", directory, "--signers", signers, "--digest", digest.hex())


def verifies(result: Result, digest: bytes = DIGEST) -> bool:
    group_key, signature = signature_of(ok(result).stdout)
    return verify_signature(group_key, digest, signature)


@pytest.fixture
def group(tmp_path: Path, runner: CliRunner, kek_env: None) -> Path:
    """A 2-of-3 key made by ``keygen`` in a directory that held no group before."""
    directory = tmp_path / "group"
    result = ok(run(runner, "keygen", "--threshold", 2, "--signers", 3, "--dir", directory))
    assert "key treasury: 2-of-3 on nodes 1,2,3" in result.stdout
    return directory


def group_key(directory: Path) -> Point:
    return load_public_key(GroupLayout.load(directory), "treasury").group_public_key


# -- keygen, sign, refresh, repair ---------------------------------------------------------------------------


def test_keygen_then_any_two_nodes_sign_a_digest_the_group_key_verifies(
    runner: CliRunner, group: Path
) -> None:
    for signers in ("1,3", "2,1", "1,2,3"):
        result = sign(runner, group, signers)
        assert verifies(result)
        assert signature_of(result.stdout)[0] == group_key(group)
    assert verifies(sign(runner, group, "2,3", b"\x00" * 32), b"\x00" * 32)
    assert KEK_HEX not in result.stdout + result.stderr


def test_sign_accepts_a_0x_digest(runner: CliRunner, group: Path) -> None:
    result = run(runner, "sign", "--dir", group, "--signers", "1,3", "--digest", "0x" + DIGEST.hex().upper())
    assert verifies(result)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--signers", "1"], "key 'treasury' needs at least 2 signers; 1 named (node 1)"),
        (["--signers", "1,1"], "a signer is named twice"),
        (["--signers", "1,4"], "has no node 4"),
        (["--signers", "1,x"], "not a comma-separated list of node ids"),
        (["--signers", "1,3", "--key", "cold"], "has no key 'cold'"),
        (["--signers", "1,3", "--digest", "ab" * 31], "a digest is 32 bytes written as 64 hex digits"),
        (["--signers", "1,3", "--digest", "zz" * 32], "a digest is 32 bytes written as 64 hex digits"),
        (["--signers", "1,3", "--digest", "ab" * 33], "a digest is 32 bytes written as 64 hex digits"),
    ],
    ids=["too-few", "repeated", "unknown", "not-ids", "unknown-key", "short", "not-hex", "long"],
)
def test_sign_refuses_what_cannot_work_with_a_clear_message(
    runner: CliRunner, group: Path, args: list[str], message: str
) -> None:
    arguments = ["sign", "--dir", str(group), *args]
    if "--digest" not in args:
        arguments += ["--digest", DIGEST.hex()]
    failed(run(runner, *arguments), 2, message)


def test_commands_on_a_directory_without_a_group_say_so(
    runner: CliRunner, tmp_path: Path, kek_env: None
) -> None:
    failed(sign(runner, tmp_path / "nothing", "1,2"), 2, f"no custody group in {tmp_path / 'nothing'}")
    failed(run(runner, "refresh", "--dir", tmp_path, "--key", "treasury"), 2, "no custody group")
    failed(run(runner, "node", "start", "--dir", tmp_path, "--node", 1), 2, "no custody group")


def test_usage_errors_are_one_line_with_exit_status_2(runner: CliRunner, group: Path) -> None:
    failed(run(runner, "sign", "--dir", group, "--signers", "1,2"), 2, "Missing option '--digest'")
    failed(run(runner, "frobnicate"), 2, "No such command 'frobnicate'")
    failed(run(runner, "keygen", "--threshold", 2, "--signers", 2, "--dir", group), 2, "has 3 nodes")
    failed(run(runner, "keygen", "--threshold", 2, "--signers", 3, "--dir", group), 2, "already has a key")


def test_every_command_has_help(runner: CliRunner) -> None:
    for command in (
        [],
        ["init-ca"],
        ["keygen"],
        ["node"],
        ["node", "start"],
        ["refresh"],
        ["repair"],
        ["sign"],
        ["audit"],
        ["audit", "verify"],
        ["audit", "export-head"],
        ["migrate-keystores"],
    ):
        result = ok(run(runner, *command, "--help"))
        assert result.stdout.startswith("Usage: ")


def test_refresh_keeps_the_group_key_and_signing_still_works(runner: CliRunner, group: Path) -> None:
    before = group_key(group)
    shares_before = load_public_key(GroupLayout.load(group), "treasury").verifying_shares
    result = ok(run(runner, "refresh", "--dir", group, "--key", "treasury"))
    assert f"group key {before.to_bytes().hex()} unchanged" in result.stdout
    assert group_key(group) == before
    assert load_public_key(GroupLayout.load(group), "treasury").verifying_shares != shares_before
    assert verifies(sign(runner, group, "2,3"))


def test_repair_rebuilds_a_deleted_share(runner: CliRunner, group: Path) -> None:
    layout = GroupLayout.load(group)
    with KeyStore.open(layout.node(2).keystore, Kek.parse(KEK_HEX)) as store:
        store.delete(share_record("treasury"))
    failed(sign(runner, group, "1,2"), 2, "node 2 holds no share of key 'treasury'")
    result = ok(run(runner, "repair", "--dir", group, "--key", "treasury", "--node", 2, "--helpers", "3,1"))
    assert result.stdout == "repaired node 2's share of key treasury with helpers 1,3\n"
    assert verifies(sign(runner, group, "1,2"))
    failed(run(runner, "repair", "--dir", group, "--key", "treasury", "--node", 2), 2, "needs no repair")
    failed(
        run(runner, "repair", "--dir", group, "--key", "treasury", "--node", 1, "--helpers", "2"),
        2,
        "needs at least 2 helpers",
    )


# -- the key stores' secret ----------------------------------------------------------------------------------


def test_the_passphrase_comes_from_the_environment(
    runner: CliRunner, tmp_path: Path, passphrase_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "group"
    results = [ok(run(runner, "keygen", "--threshold", 2, "--signers", 3, "--dir", directory))]
    header = json.loads((directory / "node-1" / "keystore" / "keystore.json").read_text())
    assert header["kdf"]["name"] == "scrypt"
    results.append(sign(runner, directory, "1,3"))
    assert verifies(results[-1])
    monkeypatch.setenv(PASSPHRASE_ENV_VAR, "not the passphrase at all")
    results.append(sign(runner, directory, "1,3"))
    failed(results[-1], 2, "the passphrase does not open this key store")
    monkeypatch.setenv(KEK_ENV_VAR, KEK_HEX)  # a KEK does not stand in for a passphrase store's passphrase
    monkeypatch.setenv(PASSPHRASE_ENV_VAR, PASSPHRASE)
    results.append(sign(runner, directory, "1,2"))
    assert verifies(results[-1])
    for result in results:
        assert PASSPHRASE not in result.stdout + result.stderr


def test_a_passphrase_is_asked_for_on_a_terminal_twice_when_new(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV_VAR, raising=False)
    monkeypatch.delenv(KEK_ENV_VAR, raising=False)
    monkeypatch.setattr(cli_group_module, "KEYSTORE_SCRYPT", MIN_SCRYPT)
    monkeypatch.setattr(cli_secret_module, "_stdin_is_terminal", lambda: True)
    directory = tmp_path / "group"
    keygen = ["keygen", "--threshold", 2, "--signers", 3, "--dir", directory]
    created = ok(run(runner, *keygen, stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n"))
    assert "New key-store passphrase" in created.stderr
    assert "Repeat for confirmation" in created.stderr
    signed = run(
        runner,
        "sign",
        "--dir",
        directory,
        "--signers",
        "2,3",
        "--digest",
        DIGEST.hex(),
        stdin=f"{PASSPHRASE}\n",
    )
    assert "Repeat" not in signed.stderr
    # CliRunner echoes a hidden prompt's newline to stdout; a terminal's getpass writes it to the terminal.
    group_key, signature = signature_of(ok(signed).stdout.lstrip())
    assert verify_signature(group_key, DIGEST, signature)
    for result in (created, signed):
        assert PASSPHRASE not in result.stdout + result.stderr


def test_a_short_new_passphrase_is_refused_before_anything_is_written(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEK_ENV_VAR, raising=False)
    monkeypatch.setenv(PASSPHRASE_ENV_VAR, "short")
    failed(run(runner, "init-ca", "--dir", tmp_path / "g"), 2, "at least 12 characters")
    assert not (tmp_path / "g").exists()


def test_a_kek_sealed_group_needs_the_kek(
    runner: CliRunner, group: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEK_ENV_VAR)
    monkeypatch.setenv(PASSPHRASE_ENV_VAR, PASSPHRASE)
    failed(sign(runner, group, "1,3"), 2, f"sealed with a KEK: set {KEK_ENV_VAR}")
    monkeypatch.setenv(KEK_ENV_VAR, "not a kek")
    failed(sign(runner, group, "1,3"), 2, "a KEK is 32 bytes")
    monkeypatch.setenv(KEK_ENV_VAR, "11" * 32)
    failed(sign(runner, group, "1,3"), 2, "the KEK does not open this key store")


# -- init-ca and node start ----------------------------------------------------------------------------------


def test_init_ca_writes_the_whole_group_with_private_keys_0600(
    runner: CliRunner, tmp_path: Path, kek_env: None
) -> None:
    directory = tmp_path / "group"
    result = ok(run(runner, "init-ca", "--dir", directory, "--nodes", 4, "--first-port", 7301))
    assert f"custody group of 4 nodes in {directory}" in result.stdout
    private = [directory / "ca" / "ca.key", directory / "coordinator" / "coordinator.key"]
    public = [
        directory / "ca" / "ca.crt",
        directory / "coordinator" / "coordinator.crt",
        directory / "roster.json",
    ]
    for node_id in (1, 2, 3, 4):
        node = directory / f"node-{node_id}"
        private += [node / "tls" / "node.key", node / "keystore" / "keystore.json"]
        public += [
            node / "tls" / "node.crt",
            node / "tls" / "ca.crt",
            node / "roster.json",
            node / "policy.yaml",
        ]
        assert (node / "policy.yaml").read_text() == DEFAULT_POLICY.read_text()
        assert f"https://127.0.0.1:{7300 + node_id}" in result.stdout
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in public:
        assert path.is_file(), path
    layout = GroupLayout.load(directory)
    with KeyStore.open(layout.node(4).keystore, Kek.parse(KEK_HEX)) as store:
        identity = NodeIdentity.from_json(store.get_json(IDENTITY_RECORD))
    assert layout.roster().node(4).keys == identity.public_keys()

    ca = (directory / "ca" / "ca.crt").read_bytes()
    failed(run(runner, "init-ca", "--dir", directory), 2, "already holds a custody group")
    ok(run(runner, "init-ca", "--dir", directory, "--force"))
    assert (directory / "ca" / "ca.crt").read_bytes() != ca
    assert GroupLayout.load(directory).node_ids == [1, 2, 3]


def test_init_ca_refuses_a_bad_policy_in_one_line(runner: CliRunner, tmp_path: Path, kek_env: None) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ndefault:\n  chains:\n    1:\n      contracts: {}\n      surprise: 1\n")
    failed(run(runner, "init-ca", "--dir", tmp_path / "g", "--policy", policy), 2, "invalid policy")
    assert not (tmp_path / "g").exists()


def test_node_start_execs_the_node_with_its_environment_and_only_one_secret(
    runner: CliRunner, group: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = []
    monkeypatch.setenv(PASSPHRASE_ENV_VAR, "ignored for a KEK store")
    monkeypatch.setattr(os, "execve", lambda path, argv, env: started.append((path, argv, env)))
    ok(run(runner, "node", "start", "--dir", group, "--node", 2))
    [(path, argv, env)] = started
    assert argv == [path, "-m", "custody.node"]
    assert KEK_ENV_VAR not in env  # the secret never goes into the node's environment (/proc/<pid>/environ)
    assert PASSPHRASE_ENV_VAR not in env
    pipe = env[KEK_FILE_ENV_VAR]
    assert pipe.startswith("/dev/fd/")
    fd = int(pipe.removeprefix("/dev/fd/"))
    try:
        assert os.get_inheritable(fd)
        assert os.read(fd, 1024) == KEK_HEX.encode()
    finally:
        os.close(fd)
    assert {name: env[name] for name in GroupLayout.load(group).node_environment(2)} == {
        "TPW_NODE_NODE_ID": "2",
        "TPW_NODE_DATA_DIR": str(group / "node-2"),
        "TPW_NODE_HOST": "127.0.0.1",
        "TPW_NODE_PORT": "7102",
    }
    failed(run(runner, "node", "start", "--dir", group, "--node", 5), 2, "has no node 5")


# -- audit verify --------------------------------------------------------------------------------------------


def test_audit_verify_tells_a_good_log_from_a_tampered_one(runner: CliRunner, group: Path) -> None:
    assert verifies(sign(runner, group, "1,3"))
    log = group / "node-1" / "audit.jsonl"
    good = ok(run(runner, "audit", "verify", log))
    assert good.stdout.startswith("audit log OK: 2 record(s)")
    as_json = json.loads(ok(run(runner, "audit", "verify", log, "--json")).stdout)
    assert (as_json["ok"], as_json["count"], as_json["findings"]) == (True, 2, [])

    lines = log.read_text().splitlines()
    lines[1] = lines[1].replace(DIGEST.hex(), hashlib.sha256(b"something else").hexdigest())
    log.write_text("\n".join(lines) + "\n")
    tampered = run(runner, "audit", "verify", log)
    assert tampered.exit_code == 1
    assert tampered.stdout.startswith("audit log BROKEN (1 finding(s))")
    assert "line 2 (seq 2): edited" in tampered.stdout
    assert json.loads(run(runner, "audit", "verify", log, "--json").stdout)["ok"] is False


def test_migrate_keystores_leaves_current_stores_as_they_are(runner: CliRunner, group: Path) -> None:
    result = ok(run(runner, "migrate-keystores", "--dir", group))
    assert result.stdout.splitlines() == [f"node {n}: key store already current" for n in (1, 2, 3)]
    assert verifies(sign(runner, group, "1,2"))


def test_sign_help_says_it_is_a_local_tool_over_every_share(runner: CliRunner) -> None:
    text = " ".join(ok(run(runner, "sign", "--help")).stdout.split())
    assert "A local tool, on purpose" in text
    assert "holds every signer's key store on this one machine" in text


def test_export_head_then_verify_finds_a_log_cut_back_after_it(runner: CliRunner, group: Path) -> None:
    layout = GroupLayout.load(group)
    log = layout.node(1).audit
    assert verifies(sign(runner, group, "1,3"))
    head_file = group / "node-1-head.json"
    head_file.write_text(ok(run(runner, "audit", "export-head", "--dir", group, "--node", 1)).stdout)
    statement = json.loads(head_file.read_text())
    assert statement["node_id"] == 1
    assert statement["seq"] == len(log.read_text().splitlines())
    args = ("audit", "verify", log, "--roster", layout.roster_path, "--node", 1, "--head", head_file)
    with KeyStore.open(layout.node(1).keystore, Kek.parse(KEK_HEX)) as store:
        identity = NodeIdentity.from_json(store.get_json(IDENTITY_RECORD))
    AuditLog.open_file(log).checkpoint(identity.signing_key, actor="tpw-node-1")
    assert ok(run(runner, *args)).stdout.startswith("audit log OK")

    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[: statement["seq"] - 1]))  # cut back past the exported head
    cut = run(runner, *args)
    assert cut.exit_code == 1
    assert "truncated" in cut.stdout
    assert "records were removed from its end" in cut.stdout

    statement["seq"] += 1  # a statement edited by hand no longer verifies
    head_file.write_text(json.dumps(statement))
    failed(run(runner, *args), 1, "not validly signed")
    other = run(
        runner, "audit", "verify", log, "--roster", layout.roster_path, "--node", 2, "--head", head_file
    )
    failed(other, 2, "states node 1's head, not node 2's")
    failed(run(runner, "audit", "verify", log, "--head", head_file), 2, "--head needs --roster and --node")


def test_audit_verify_checks_checkpoints_against_the_roster(runner: CliRunner, group: Path) -> None:
    layout = GroupLayout.load(group)
    log = layout.node(2).audit
    unsigned = run(runner, "audit", "verify", log, "--roster", layout.roster_path)
    assert unsigned.exit_code == 1
    assert "checkpoint-missing" in unsigned.stdout
    with KeyStore.open(layout.node(2).keystore, Kek.parse(KEK_HEX)) as store:
        identity = NodeIdentity.from_json(store.get_json(IDENTITY_RECORD))
    AuditLog.open_file(log).checkpoint(identity.signing_key, actor="tpw-node-2")
    assert ok(run(runner, "audit", "verify", log, "--roster", layout.roster_path)).stdout.startswith(
        "audit log OK"
    )
    trusted = identity.public_keys().ed25519.hex()
    ok(run(runner, "audit", "verify", log, "--trusted-key", trusted))
    stranger = NodeIdentity.generate().public_keys().ed25519.hex()
    assert run(runner, "audit", "verify", log, "--trusted-key", stranger).exit_code == 1
    failed(run(runner, "audit", "verify", log, "--trusted-key", "abc"), 2, "not an Ed25519 public key")
    failed(run(runner, "audit", "verify", group / "missing.jsonl"), 2, "does not exist")


# -- the installed script, as a process ---------------------------------------------------------------------


def script_environment(**secrets: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("TPW_")}
    env.update(secrets)
    return env


def test_the_installed_script_signs_and_its_json_verifies(group: Path) -> None:
    assert SCRIPT.is_file(), "run `pip install -e . --no-deps` to install the tpw-custody script"
    done = subprocess.run(
        [SCRIPT, "sign", "--dir", group, "--signers", "1,3", "--digest", DIGEST.hex()],
        env=script_environment(**{KEK_ENV_VAR: KEK_HEX}),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    group_key, signature = signature_of(done.stdout)
    assert verify_signature(group_key, DIGEST, signature)


def test_without_a_terminal_or_a_secret_the_script_fails_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [SCRIPT, "keygen", "--threshold", "2", "--signers", "3", "--dir", tmp_path / "group"],
        env=script_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"error: no key-store passphrase: set {PASSPHRASE_ENV_VAR} or {KEK_ENV_VAR} "
        "(stdin is not a terminal to ask on)\n"
    )
    assert time.monotonic() - started < 60
    assert not (tmp_path / "group").exists()


def test_node_start_runs_a_node_that_answers_its_health_route_over_mutual_tls(tmp_path: Path) -> None:
    kek = Kek.parse(KEK_HEX)
    layout = provision_group(
        tmp_path / "group", [1, 2], [free_port(), free_port()], unlocker=kek, policy_text=TEST_POLICY
    )
    local_dkg(layout, 2, 2, "treasury", unlocker=kek)
    node = layout.node(1)
    tls = client_context(layout.coordinator_tls)

    def health() -> httpx.Response:
        with httpx.Client(verify=tls, timeout=2.0) as client:
            return client.get(f"{node.url}/v1/health")

    process = ManagedProcess(
        "tpw-custody-node-1",
        [str(SCRIPT), "node", "start", "--dir", str(layout.root), "--node", "1"],
        log_path=tmp_path / "node-1.log",
        env=script_environment(**{KEK_ENV_VAR: KEK_HEX}),
    )
    with process:
        process.wait_ready(lambda: health().status_code == 200, timeout=60)
        assert health().json() == {"status": "ok", "node_id": 1, "keys": ["treasury"]}
        process.stop()
        assert not process.running()
    assert "stopped by signal SIGTERM" in process.log_tail()
