"""GET /v1/vesting/grants/{grant_id} and /v1/vesting/beneficiaries/{address}/grants on an in-process chain.

TPW and a VestingEscrow are deployed on the in-process l1 (py-evm) and recorded in the l1 registry; the
answers are checked against `chain.vesting` at the block the API read.
"""

from dataclasses import dataclass
from typing import Any, cast

import pytest
from eth_tester import EthereumTester
from fastapi.testclient import TestClient
from web3 import EthereumTesterProvider, Web3
from web3.types import Wei

from api.settings import ApiSettings
from chain.artifacts import contract, deploy
from chain.deployments import Deployments
from chain.vesting import Schedule, create_grant_arguments, grant_id, vested_amount

DAY = 86_400
TPW = 10**18


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: the vesting routes read the chain and never the database, so one backend is enough."""
    return sqlite_url


@pytest.fixture(scope="module")
def compiled(project: Any) -> None:
    """The build manifest the chain package reads ABIs and bytecode from, compiled if sources changed."""
    project.load_contracts()


@dataclass(frozen=True)
class Vesting:
    w3: Web3
    escrow: str
    admin: str
    beneficiary: str
    heir: str
    schedule: Schedule

    def create(self, beneficiary: str, amount: int, *, revocable: bool = True) -> int:
        escrow = contract(self.w3, "VestingEscrow", self.escrow)
        number = escrow.functions.grant_count().call()
        schedule = self.schedule
        arguments = create_grant_arguments(beneficiary, amount, schedule, revocable)
        escrow.functions.create_grant(*arguments).transact({"from": self.admin})
        return grant_id(number, schedule, revocable)

    def travel(self, timestamp: int) -> None:
        tester = cast(EthereumTesterProvider, self.w3.provider).ethereum_tester
        assert isinstance(tester, EthereumTester)
        tester.time_travel(timestamp)


def record(api_settings: ApiSettings, w3: Web3, name: str, address: str, receipt: Any, kind: str) -> None:
    network = api_settings.deployments_network("l1")
    registry = Deployments.load_or_create(network, w3.eth.chain_id, api_settings.deployments_dir)
    registry.record(
        name,
        address=address,
        tx_hash=receipt["transactionHash"],
        block_number=receipt["blockNumber"],
        contract_type=kind,
    )
    registry.save()


@pytest.fixture
def vesting(compiled: None, l1_in_process: Web3, api_settings: ApiSettings) -> Vesting:
    """TPW and an escrow on the in-process l1, both in its registry; monthly tranches starting now."""
    w3 = l1_in_process
    accounts = list(w3.eth.accounts)
    admin, beneficiary, heir = accounts[0], accounts[1], accounts[2]
    token, token_receipt = deploy(w3, "Token", "TPWallet", "TPW", 18, sender=admin)
    escrow, escrow_receipt = deploy(w3, "VestingEscrow", token, sender=admin)
    tpw = contract(w3, "Token", token)
    tpw.functions.set_minter(admin, True).transact({"from": admin})
    tpw.functions.mint(admin, 10**9 * TPW).transact({"from": admin})
    tpw.functions.approve(escrow, 2**256 - 1).transact({"from": admin})
    record(api_settings, w3, "TPW", token, token_receipt, "Token")
    record(api_settings, w3, "VestingEscrow", escrow, escrow_receipt, "VestingEscrow")
    start = int(w3.eth.get_block("latest")["timestamp"])
    schedule = Schedule(start=start, cliff=60 * DAY, duration=12 * 30 * DAY, period=30 * DAY)
    return Vesting(w3, escrow, admin, beneficiary, heir, schedule)


def test_a_grant_reads_with_what_has_vested(client: TestClient, vesting: Vesting) -> None:
    created = vesting.create(vesting.beneficiary, 1_200 * TPW)
    vesting.travel(vesting.schedule.start + 95 * DAY)
    vesting.w3.eth.send_transaction({"from": vesting.admin, "to": vesting.admin, "value": Wei(0)})  # mines

    response = client.get(f"/v1/vesting/grants/{created}")
    assert response.status_code == 200, response.text
    body = response.json()
    block = vesting.w3.eth.get_block(body["block_number"])
    assert body["block_timestamp"] == block["timestamp"] >= vesting.schedule.start + 95 * DAY
    vested = vested_amount(1_200 * TPW, vesting.schedule, False, block["timestamp"])
    assert vested == 300 * TPW  # three monthly tranches of twelve
    assert body == {
        "network": "l1",
        "chain_id": str(vesting.w3.eth.chain_id),
        "escrow": vesting.escrow,
        "block_number": block["number"],
        "block_timestamp": block["timestamp"],
        "grant": {
            "grant_id": str(created),
            "number": "0",
            "beneficiary": vesting.beneficiary,
            "amount": str(1_200 * TPW),
            "claimed": "0",
            "vested": str(vested),
            "claimable": str(vested),
            "start": vesting.schedule.start,
            "cliff_end": vesting.schedule.start + 60 * DAY,
            "end": vesting.schedule.start + 360 * DAY,
            "kind": "tranche",
            "period": 30 * DAY,
            "tranches": 12,
            "revocable": True,
            "revoked": False,
        },
    }


def test_claims_and_revocations_show(client: TestClient, vesting: Vesting) -> None:
    created = vesting.create(vesting.beneficiary, 1_200 * TPW)
    escrow = contract(vesting.w3, "VestingEscrow", vesting.escrow)
    vesting.travel(vesting.schedule.start + 65 * DAY)
    escrow.functions.claim(created).transact({"from": vesting.beneficiary})
    escrow.functions.revoke(created).transact({"from": vesting.admin})

    grant = client.get(f"/v1/vesting/grants/{created}").json()["grant"]
    assert (grant["amount"], grant["claimed"], grant["vested"], grant["claimable"]) == (
        str(200 * TPW),
        str(200 * TPW),
        str(200 * TPW),
        "0",
    )
    assert grant["revoked"] is True


def test_an_unknown_grant_is_404(client: TestClient, vesting: Vesting) -> None:
    created = vesting.create(vesting.beneficiary, TPW)
    response = client.get(f"/v1/vesting/grants/{created + 1}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:tpwallet:problem:grant-not-found"


@pytest.mark.parametrize(
    "grant_id_text", ["-1", "+1", "01", " 1", "1.0", "1e3", str(2**256), "0x10", "grant", "\u0661"]
)
def test_a_malformed_grant_id_is_422(client: TestClient, vesting: Vesting, grant_id_text: str) -> None:
    response = client.get(f"/v1/vesting/grants/{grant_id_text}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "grant_id"


def test_a_beneficiary_lists_the_grants_it_holds(client: TestClient, vesting: Vesting) -> None:
    first = vesting.create(vesting.beneficiary, 100 * TPW)
    other = vesting.create(vesting.heir, 200 * TPW)
    second = vesting.create(vesting.beneficiary, 300 * TPW, revocable=False)
    contract(vesting.w3, "VestingEscrow", vesting.escrow).functions.transfer_grant(
        first, vesting.heir
    ).transact({"from": vesting.beneficiary})

    held = client.get(f"/v1/vesting/beneficiaries/{vesting.beneficiary}/grants").json()
    assert held["beneficiary"] == vesting.beneficiary
    assert [(grant["grant_id"], grant["amount"]) for grant in held["data"]] == [(str(second), str(300 * TPW))]
    heir = client.get(f"/v1/vesting/beneficiaries/{vesting.heir.lower()}/grants").json()
    assert heir["beneficiary"] == vesting.heir
    assert [grant["grant_id"] for grant in heir["data"]] == [str(first), str(other)]
    assert heir["has_more"] is False
    nobody = client.get(f"/v1/vesting/beneficiaries/0x{'11' * 20}/grants").json()
    assert (nobody["data"], nobody["has_more"], nobody["next_cursor"]) == ([], False, None)


def test_a_beneficiarys_grants_page_by_cursor(client: TestClient, vesting: Vesting) -> None:
    created = [vesting.create(vesting.beneficiary, (n + 1) * TPW) for n in range(3)]
    path = f"/v1/vesting/beneficiaries/{vesting.beneficiary}/grants"
    first = client.get(path, params={"limit": 2}).json()
    assert ([grant["grant_id"] for grant in first["data"]], first["has_more"]) == (
        [str(g) for g in created[:2]],
        True,
    )
    rest = client.get(path, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert ([grant["grant_id"] for grant in rest["data"]], rest["has_more"]) == (
        [str(g) for g in created[2:]],
        False,
    )

    elsewhere = client.get(
        f"/v1/vesting/beneficiaries/{vesting.heir}/grants", params={"cursor": first["next_cursor"]}
    )
    assert elsewhere.status_code == 400  # a cursor belongs to its beneficiary's list
    assert elsewhere.json()["errors"][0]["field"] == "cursor"
    assert client.get(path, params={"limit": 0}).json()["errors"][0]["field"] == "limit"


def test_a_mistyped_address_is_422(client: TestClient, vesting: Vesting) -> None:
    address = vesting.beneficiary
    flipped = address[:-1] + (address[-1].lower() if address[-1].isupper() else address[-1].upper())
    if flipped == address:  # the last character is a digit: flip the case of the last letter instead
        index = max(i for i, char in enumerate(address) if char.isalpha() and i > 1)
        flipped = address[:index] + address[index].swapcase() + address[index + 1 :]
    response = client.get(f"/v1/vesting/beneficiaries/{flipped}/grants")
    assert response.status_code == 422
    assert response.json()["type"] == "urn:tpwallet:problem:invalid-address"
    assert client.get("/v1/vesting/beneficiaries/0x1234/grants").status_code == 422


def test_no_escrow_is_404(client: TestClient, l1_in_process: Web3, api_settings: ApiSettings) -> None:
    response = client.get("/v1/vesting/grants/1")
    assert response.status_code == 404
    assert response.json()["type"] == "urn:tpwallet:problem:vesting-not-deployed"
    Deployments.create(
        api_settings.deployments_network("l1"), l1_in_process.eth.chain_id, api_settings.deployments_dir
    ).save()
    assert client.get("/v1/vesting/grants/1").json()["type"] == "urn:tpwallet:problem:vesting-not-deployed"


def test_a_registry_of_another_chain_is_refused(
    client: TestClient, l1_in_process: Web3, api_settings: ApiSettings
) -> None:
    Deployments.create(api_settings.deployments_network("l1"), 999, api_settings.deployments_dir).save()
    response = client.get("/v1/vesting/grants/1")
    assert response.status_code == 503
    assert response.json()["type"] == "urn:tpwallet:problem:registry-mismatch"


def test_a_node_that_is_down_is_503_and_an_unknown_network_404(client: TestClient) -> None:
    response = client.get("/v1/vesting/grants/1", params={"network": "l2"})
    assert response.status_code == 503
    assert response.json()["type"] == "urn:tpwallet:problem:chain-unavailable"
    response = client.get(f"/v1/vesting/beneficiaries/0x{'11' * 20}/grants", params={"network": "l3"})
    assert response.status_code == 404
    assert response.json()["type"] == "urn:tpwallet:problem:unknown-network"
