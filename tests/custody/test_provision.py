"""`custody.provision` lays out a group the nodes run from, and its local ceremonies keep the key usable:
a DKG gives shares any threshold of which signs, a refresh keeps the key, a repair rebuilds a share."""

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

import custody.provision.ceremonies as ceremonies_module
from custody import audit
from custody.envelope import NodeIdentity
from custody.errors import WrongPassphrase
from custody.frost import (
    InvalidSignatureShare,
    UnusableGroupKey,
    is_onchain_verifiable,
    verify_signature,
)
from custody.keystore import Kek, KeyStore
from custody.node.records.identity import IDENTITY_RECORD
from custody.node.records.shares import find_key, save_key, share_record
from custody.node.settings import NodeSettings
from custody.policy.errors import PolicyConfigError
from custody.provision import (
    GroupExists,
    GroupLayout,
    GroupNotFound,
    ProvisionRefused,
    install_key,
    load_public_key,
    local_dkg,
    local_refresh,
    local_repair,
    local_sign,
    provision_group,
    save_public_key,
)
from custody.tls import Credential
from tests.helpers.custody_nodes import TEST_POLICY
from tests.helpers.frost_signing import fixed_key, sign_with_key

KEK = Kek(bytes(range(32)))
KEY_ID = "treasury"
DIGEST = hashlib.sha256(b"pay 100 to bob").digest()


def provision(root: Path, node_ids=(1, 2, 3), **options) -> GroupLayout:
    ports = [7200 + node_id for node_id in node_ids]
    return provision_group(root, list(node_ids), ports, unlocker=KEK, policy_text=TEST_POLICY, **options)


@pytest.fixture
def layout(tmp_path: Path) -> GroupLayout:
    return provision(tmp_path / "group")


@pytest.fixture
def keyed(layout: GroupLayout) -> GroupLayout:
    """The group with a 2-of-3 key made by a local DKG."""
    local_dkg(layout, 2, 3, KEY_ID, unlocker=KEK)
    return layout


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def signs(layout: GroupLayout, signers: list[int]) -> bool:
    group_key, signature = local_sign(layout, signers, DIGEST, key_id=KEY_ID, unlocker=KEK)
    return verify_signature(group_key, DIGEST, signature)


def share(layout: GroupLayout, node_id: int):
    with KeyStore.open(layout.node(node_id).keystore, KEK) as store:
        return find_key(store, KEY_ID)


# -- layout --------------------------------------------------------------------------------------------------


def test_a_group_has_every_file_a_node_and_the_coordinator_need(layout: GroupLayout) -> None:
    roster = layout.roster()
    ca = layout.certificate_authority()
    assert mode(layout.ca_key) == 0o600
    assert mode(layout.coordinator_tls.key) == 0o600
    coordinator = Credential.read(layout.coordinator_tls.certificate, layout.coordinator_tls.key)
    assert coordinator.common_name == "tpw-coordinator"
    assert coordinator.certificate.issuer == ca.certificate.subject
    assert roster.node_ids == [1, 2, 3] == layout.node_ids
    for node in layout.nodes.values():
        assert mode(node.directory) == 0o700
        assert mode(node.tls.key) == 0o600
        credential = Credential.read(node.tls.certificate, node.tls.key)
        entry = roster.node(node.node_id)
        assert credential.common_name == f"tpw-node-{node.node_id}"
        assert entry.tls_sha256 == credential.fingerprint
        assert entry.url == node.url == f"https://127.0.0.1:{7200 + node.node_id}"
        assert node.tls.ca.read_bytes() == layout.ca_certificate.read_bytes()
        assert node.policy.read_text() == TEST_POLICY
        assert json.loads(node.roster.read_text()) == roster.to_json()
        with KeyStore.open(node.keystore, KEK) as store:
            identity = NodeIdentity.from_json(store.get_json(IDENTITY_RECORD))
            assert store.list() == [IDENTITY_RECORD]
        assert identity.public_keys() == entry.keys


def test_the_node_environment_makes_the_node_read_exactly_the_layout(
    layout: GroupLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = layout.node(2)
    for name, value in layout.node_environment(2).items():
        monkeypatch.setenv(name, value)
    settings = NodeSettings()  # type: ignore[call-arg]
    assert (settings.node_id, settings.host, settings.listen_port) == (2, "127.0.0.1", 7202)
    assert settings.tls_paths == node.tls
    assert (settings.keystore_dir, settings.roster_path, settings.policy_file, settings.audit_path) == (
        node.keystore,
        node.roster,
        node.policy,
        node.audit,
    )
    assert layout.node_argv(2)[1:] == ["-m", "custody.node"]
    assert not any("KEK" in name or "PASSPHRASE" in name for name in layout.node_environment(2))


def test_a_layout_reads_back_from_its_roster(layout: GroupLayout, tmp_path: Path) -> None:
    assert GroupLayout.load(layout.root) == layout
    with pytest.raises(GroupNotFound, match="no custody group"):
        GroupLayout.load(tmp_path / "elsewhere")


def test_an_existing_group_is_never_overwritten_unless_asked(layout: GroupLayout) -> None:
    old_ca = layout.ca_certificate.read_bytes()
    with pytest.raises(GroupExists, match="refusing to overwrite"):
        provision(layout.root)
    assert layout.ca_certificate.read_bytes() == old_ca
    replaced = provision(layout.root, (1, 2), overwrite=True)
    assert replaced.ca_certificate.read_bytes() != old_ca
    assert not (layout.root / "node-3").exists()
    assert replaced.roster().node_ids == [1, 2]


def test_a_partial_group_counts_as_a_group(tmp_path: Path) -> None:
    (tmp_path / "group" / "node-4").mkdir(parents=True)
    with pytest.raises(GroupExists, match="node-4"):
        provision(tmp_path / "group")


def test_a_failure_half_way_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "group"
    root.mkdir()
    (root / "notes.txt").write_text("not the group's")
    calls = []
    real_create = KeyStore.create

    def failing_create(path, unlocker, **options):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_create(path, unlocker, **options)

    monkeypatch.setattr(KeyStore, "create", failing_create)
    with pytest.raises(OSError, match="disk full"):
        provision(root)
    assert sorted(path.name for path in root.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize(
    ("node_ids", "ports", "host", "message"),
    [
        ([1], [7201], "127.0.0.1", "at least two nodes"),
        ([1, 1], [7201, 7202], "127.0.0.1", "at least two nodes"),
        ([1, 2], [7201, 7201], "127.0.0.1", "same port"),
        ([1, 2], [7201], "127.0.0.1", "2 node ids but 1 ports"),
        ([1, 2], [0, 7202], "127.0.0.1", "not in"),
        ([1, 2], [7201, 7202], "10.0.0.1", "certificates are for"),
    ],
)
def test_a_plan_that_cannot_work_is_refused_before_anything_is_written(
    tmp_path: Path, node_ids: list[int], ports: list[int], host: str, message: str
) -> None:
    with pytest.raises(ProvisionRefused, match=message):
        provision_group(tmp_path / "g", node_ids, ports, unlocker=KEK, policy_text=TEST_POLICY, host=host)
    assert not (tmp_path / "g").exists()


def test_an_invalid_policy_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(PolicyConfigError):
        provision_group(tmp_path / "g", [1, 2], [7201, 7202], unlocker=KEK, policy_text="version: 2\n")
    assert not (tmp_path / "g").exists()


# -- DKG -----------------------------------------------------------------------------------------------------


def test_a_local_dkg_gives_each_node_a_share_any_two_of_which_sign(keyed: GroupLayout) -> None:
    public = load_public_key(keyed, KEY_ID)
    assert public.min_signers == 2
    assert sorted(public.verifying_shares) == [1, 2, 3]
    assert is_onchain_verifiable(public.group_public_key)
    for node_id in (1, 2, 3):
        stored = share(keyed, node_id)
        assert stored is not None
        assert stored.public_key_package == public
        assert stored.key_package.identifier == node_id
    assert len({share(keyed, node_id).key_package.signing_share for node_id in (1, 2, 3)}) == 3
    for signers in ([1, 2], [1, 3], [2, 3], [1, 2, 3]):
        assert signs(keyed, signers)


def test_a_dkg_never_replaces_a_key(keyed: GroupLayout) -> None:
    before = share(keyed, 1)
    with pytest.raises(ProvisionRefused, match="already has a key"):
        local_dkg(keyed, 2, 3, KEY_ID, unlocker=KEK)
    keyed.public_key_path(KEY_ID).unlink()
    with pytest.raises(ProvisionRefused, match="node 1 already holds a share"):
        local_dkg(keyed, 2, 3, KEY_ID, unlocker=KEK)
    assert share(keyed, 1) == before


@pytest.mark.parametrize(
    ("threshold", "signers", "key_id", "message"),
    [
        (1, 3, KEY_ID, "threshold must be"),
        (4, 3, KEY_ID, "threshold must be"),
        (2, 2, KEY_ID, "has 3 nodes"),
        (2, 3, "../escape", "key id"),
    ],
)
def test_dkg_parameters_that_do_not_fit_the_group_are_refused(
    layout: GroupLayout, threshold: int, signers: int, key_id: str, message: str
) -> None:
    with pytest.raises(ProvisionRefused, match=message):
        local_dkg(layout, threshold, signers, key_id, unlocker=KEK)
    assert not layout.keys_dir.exists()


def test_a_group_key_the_contracts_cannot_take_restarts_the_dkg(
    layout: GroupLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real_part3 = ceremonies_module.dkg_part3

    def part3(*args):
        calls.append(args[0].identifier)
        if len(calls) == 1:
            raise UnusableGroupKey("x >= N")
        return real_part3(*args)

    monkeypatch.setattr(ceremonies_module, "dkg_part3", part3)
    local_dkg(layout, 2, 3, KEY_ID, unlocker=KEK)
    assert calls == [1, 1, 2, 3]
    assert signs(layout, [2, 3])


def test_a_dealer_key_installs_like_a_dkg_key(layout: GroupLayout) -> None:
    key_packages, public = fixed_key(77)
    install_key(layout, KEY_ID, key_packages, public, unlocker=KEK, ceremony="dealer")
    assert load_public_key(layout, KEY_ID) == public
    assert share(layout, 3).key_package == key_packages[3]
    assert signs(layout, [1, 3])
    with pytest.raises(ProvisionRefused, match="already has a key"):
        install_key(layout, KEY_ID, key_packages, public, unlocker=KEK, ceremony="dealer")


# -- refresh and repair --------------------------------------------------------------------------------------


def test_a_refresh_keeps_the_group_key_and_old_shares_stop_combining(keyed: GroupLayout) -> None:
    before = load_public_key(keyed, KEY_ID)
    old = {node_id: share(keyed, node_id).key_package for node_id in (1, 2, 3)}
    after = local_refresh(keyed, KEY_ID, unlocker=KEK)
    assert after.group_public_key == before.group_public_key
    assert after.verifying_shares != before.verifying_shares
    assert load_public_key(keyed, KEY_ID) == after
    new = {node_id: share(keyed, node_id).key_package for node_id in (1, 2, 3)}
    assert all(new[node_id].signing_share != old[node_id].signing_share for node_id in new)
    assert signs(keyed, [1, 3])
    with pytest.raises(InvalidSignatureShare):
        sign_with_key(({1: old[1], 3: new[3]}, after), DIGEST, [1, 3])


def test_a_repair_rebuilds_a_lost_share_exactly(keyed: GroupLayout) -> None:
    lost = share(keyed, 2)
    with KeyStore.open(keyed.node(2).keystore, KEK) as store:
        store.delete(share_record(KEY_ID))
    with pytest.raises(ProvisionRefused, match="node 2 holds no share"):
        signs(keyed, [1, 2])
    assert local_repair(keyed, KEY_ID, 2, unlocker=KEK) == [1, 3]
    repaired = share(keyed, 2)
    assert repaired.key_package == lost.key_package
    assert repaired.ceremony.startswith("local-repair-")
    assert signs(keyed, [1, 2])
    with pytest.raises(ProvisionRefused, match="needs no repair"):
        local_repair(keyed, KEY_ID, 2, unlocker=KEK)


def test_a_share_left_behind_by_a_refresh_is_refused_then_repaired(keyed: GroupLayout) -> None:
    stale = share(keyed, 3)
    local_refresh(keyed, KEY_ID, unlocker=KEK)
    with KeyStore.open(keyed.node(3).keystore, KEK) as store:
        save_key(store, stale, replace=True)  # as if node 3 had crashed before the refresh reached it
    with pytest.raises(ProvisionRefused, match="current generation"):
        signs(keyed, [2, 3])
    with pytest.raises(ProvisionRefused, match="current generation"):
        local_refresh(keyed, KEY_ID, unlocker=KEK)
    assert local_repair(keyed, KEY_ID, 3, [1, 2], unlocker=KEK) == [1, 2]
    assert signs(keyed, [2, 3])


@pytest.mark.parametrize(
    ("node_id", "helpers", "message"),
    [
        (2, [1], "at least 2 helpers"),
        (2, [1, 2], "its own share"),
        (2, [1, 1, 3], "named twice"),
        (2, [1, 4], "hold no share"),
        (4, None, "no node 4"),
    ],
)
def test_repair_helpers_that_cannot_work_are_refused(
    keyed: GroupLayout, node_id: int, helpers: list[int] | None, message: str
) -> None:
    with pytest.raises(ProvisionRefused, match=message):
        local_repair(keyed, KEY_ID, node_id, helpers, unlocker=KEK)


# -- signing -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signers", "digest", "key_id", "message"),
    [
        ([1], DIGEST, KEY_ID, "needs at least 2 signers; 1 named"),
        ([1, 4], DIGEST, KEY_ID, "no node 4"),
        ([1, 1], DIGEST, KEY_ID, "named twice"),
        ([1, 2], DIGEST[:31], KEY_ID, "32 bytes"),
        ([1, 2], DIGEST, "cold", "no key 'cold'"),
    ],
    ids=["too-few", "unknown-node", "repeated", "short-digest", "unknown-key"],
)
def test_signing_requests_that_cannot_work_are_refused(
    keyed: GroupLayout, signers: list[int], digest: bytes, key_id: str, message: str
) -> None:
    with pytest.raises(ProvisionRefused, match=message):
        local_sign(keyed, signers, digest, key_id=key_id, unlocker=KEK)


def test_every_local_ceremony_is_in_the_audit_log_of_each_node_it_used(keyed: GroupLayout) -> None:
    assert signs(keyed, [1, 3])
    actions = {
        node_id: [record.action for record in audit.AuditLog.open_file(keyed.node(node_id).audit).records()]
        for node_id in (1, 2, 3)
    }
    assert actions == {1: ["keys.local-dkg", "sign.local"], 2: ["keys.local-dkg"], 3: actions[1]}
    last = list(audit.AuditLog.open_file(keyed.node(3).audit).records())[-1]
    assert (last.actor, last.subject) == ("tpw-custody", f"key:{KEY_ID}")
    assert last.details == {"digest": DIGEST.hex(), "signers": [1, 3]}
    assert audit.verify(keyed.node(3).audit).ok


def test_a_wrong_unlocker_opens_no_store(keyed: GroupLayout) -> None:
    with pytest.raises(WrongPassphrase):
        local_sign(keyed, [1, 2], DIGEST, key_id=KEY_ID, unlocker=Kek(bytes(32)))


def test_a_saved_public_key_is_fsynced_with_its_directory(
    keyed: GroupLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """keys/<key_id>.json says a key exists: once saved, a power cut must not take it back."""
    public = load_public_key(keyed, KEY_ID)
    real_fsync = os.fsync
    synced: list[Path] = []

    def recording_fsync(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    path = save_public_key(keyed, KEY_ID, public, "resaved")
    assert synced[-1] == path.parent
    assert synced[0].parent == path.parent  # the temporary file, before its rename
    assert mode(path) == 0o644
    assert load_public_key(keyed, KEY_ID) == public
