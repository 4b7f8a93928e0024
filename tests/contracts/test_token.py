"""Token.vy: ERC-20 transfers and allowances, minting and burning, roles, EIP-2612 permit (the two-step
ownership hand-over: test_ownable_2step.py).

Permits are signed in Python (eth-account over `chain.intents.Permit`), the way a wallet signs them.
"""

from typing import Any

import ape
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from chain.eip712 import domain_separator
from chain.intents import Permit

pytestmark = pytest.mark.chain

NAME = "Test USD"
SYMBOL = "tUSD"
DECIMALS = 6
MAX_UINT256 = 2**256 - 1
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ONE_HOUR = 3600


@pytest.fixture(scope="module")
def owner(accounts: Any) -> Any:
    return accounts[0]


@pytest.fixture(scope="module")
def minter(accounts: Any) -> Any:
    return accounts[1]


@pytest.fixture(scope="module")
def alice(accounts: Any) -> Any:
    return accounts[2]


@pytest.fixture(scope="module")
def bob(accounts: Any) -> Any:
    return accounts[3]


@pytest.fixture(scope="module")
def attacker(accounts: Any) -> Any:
    return accounts[4]


@pytest.fixture(scope="module")
def holder() -> LocalAccount:
    """A key held only in Python, like a user's wallet: it signs permits and never sends a transaction."""
    return Account.from_key(b"\x42" * 32)


@pytest.fixture(scope="module")
def token(project: Any, owner: Any, minter: Any, alice: Any, holder: LocalAccount) -> Any:
    deployed = project.Token.deploy(NAME, SYMBOL, DECIMALS, sender=owner)
    deployed.set_minter(minter, True, sender=owner)
    deployed.mint(alice, 1_000_000, sender=minter)
    deployed.mint(holder.address, 500_000, sender=minter)
    return deployed


def sign_permit(
    token: Any,
    signer: LocalAccount,
    spender: str,
    value: int,
    deadline: int,
    *,
    nonce: int | None = None,
    chain_id: int | None = None,
    verifying_contract: str | None = None,
    name: str = NAME,
) -> tuple[int, bytes, bytes]:
    """(v, r, s) of `signer`'s permit; by default for `token` on this chain, at the signer's next nonce."""
    permit = Permit(
        owner=signer.address,
        spender=spender,
        value=value,
        nonce=token.nonces(signer.address) if nonce is None else nonce,
        deadline=deadline,
    )
    typed_data = permit.typed_data(
        ape.chain.chain_id if chain_id is None else chain_id,
        token.address if verifying_contract is None else verifying_contract,
        name=name,
    )
    signed = signer.sign_typed_data(full_message=typed_data)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


def later(chain: Any, seconds: int = ONE_HOUR) -> int:
    return chain.pending_timestamp + seconds


# Deployment and metadata


def test_metadata_and_initial_state(token: Any, owner: Any, minter: Any, alice: Any, holder: Any) -> None:
    assert (token.name(), token.symbol(), token.decimals()) == (NAME, SYMBOL, DECIMALS)
    assert token.owner() == owner
    assert token.pending_owner() == ZERO_ADDRESS
    assert token.is_minter(minter)
    assert not token.is_minter(owner)
    assert token.totalSupply() == 1_500_000
    assert token.balanceOf(alice) == 1_000_000
    assert token.balanceOf(holder.address) == 500_000


def test_deployment_emits_ownership_and_takes_decimals(project: Any, owner: Any) -> None:
    tpw = project.Token.deploy("TPWallet Token", "TPW", 18, sender=owner)
    assert tpw.decimals() == 18
    assert tpw.creation_metadata.receipt.events == [
        tpw.OwnershipTransferred(previous_owner=ZERO_ADDRESS, new_owner=owner)
    ]
    assert tpw.totalSupply() == 0


@pytest.mark.parametrize(
    ("name", "symbol", "error"),
    [("", "X", "eip712: empty domain name"), ("Token", "", "token: empty symbol")],
)
def test_empty_name_or_symbol_is_refused(
    project: Any, owner: Any, name: str, symbol: str, error: str
) -> None:
    with ape.reverts(error):
        project.Token.deploy(name, symbol, 6, sender=owner)


def test_permit_domain_is_the_token_name_version_1(token: Any, chain: Any) -> None:
    assert token.eip712Domain()[:5] == (b"\x0f", NAME, "1", chain.chain_id, token.address)
    assert token.DOMAIN_SEPARATOR() == domain_separator(NAME, "1", chain.chain_id, token.address)


# Transfers


def test_transfer_moves_balance_and_emits(token: Any, alice: Any, bob: Any) -> None:
    receipt = token.transfer(bob, 250, sender=alice)
    assert receipt.return_value is True
    assert token.balanceOf(alice) == 999_750
    assert token.balanceOf(bob) == 250
    assert token.totalSupply() == 1_500_000
    assert receipt.events == [token.Transfer(sender=alice, receiver=bob, value=250)]


def test_transfer_of_the_whole_balance_and_of_zero(token: Any, alice: Any, bob: Any) -> None:
    token.transfer(bob, 1_000_000, sender=alice)
    assert token.balanceOf(alice) == 0
    receipt = token.transfer(bob, 0, sender=alice)
    assert receipt.events == [token.Transfer(sender=alice, receiver=bob, value=0)]


def test_transfer_to_self_keeps_the_balance(token: Any, alice: Any) -> None:
    token.transfer(alice, 10, sender=alice)
    assert token.balanceOf(alice) == 1_000_000


def test_transfer_beyond_balance_is_refused(token: Any, alice: Any, bob: Any) -> None:
    with ape.reverts("token: transfer amount exceeds balance"):
        token.transfer(bob, 1_000_001, sender=alice)
    with ape.reverts("token: transfer amount exceeds balance"):
        token.transfer(alice, 1, sender=bob)


def test_transfer_to_the_zero_address_is_refused(token: Any, alice: Any) -> None:
    with ape.reverts("token: transfer to the zero address"):
        token.transfer(ZERO_ADDRESS, 1, sender=alice)


# Allowances


def test_approve_sets_allowance_and_emits(token: Any, alice: Any, bob: Any) -> None:
    receipt = token.approve(bob, 300, sender=alice)
    assert receipt.return_value is True
    assert token.allowance(alice, bob) == 300
    assert receipt.events == [token.Approval(owner=alice, spender=bob, value=300)]
    token.approve(bob, 5, sender=alice)
    assert token.allowance(alice, bob) == 5


def test_approve_to_the_zero_address_is_refused(token: Any, alice: Any) -> None:
    with ape.reverts("token: approve to the zero address"):
        token.approve(ZERO_ADDRESS, 1, sender=alice)


def test_transfer_from_spends_allowance_and_emits(token: Any, alice: Any, bob: Any, attacker: Any) -> None:
    token.approve(bob, 300, sender=alice)
    receipt = token.transferFrom(alice, attacker, 120, sender=bob)
    assert receipt.return_value is True
    assert token.balanceOf(attacker) == 120
    assert token.balanceOf(alice) == 999_880
    assert token.allowance(alice, bob) == 180
    assert receipt.events == [
        token.Approval(owner=alice, spender=bob, value=180),
        token.Transfer(sender=alice, receiver=attacker, value=120),
    ]


def test_infinite_allowance_is_not_decremented(token: Any, alice: Any, bob: Any) -> None:
    token.approve(bob, MAX_UINT256, sender=alice)
    receipt = token.transferFrom(alice, bob, 400, sender=bob)
    assert token.allowance(alice, bob) == MAX_UINT256
    assert receipt.events == [token.Transfer(sender=alice, receiver=bob, value=400)]


def test_transfer_from_beyond_allowance_is_refused(token: Any, alice: Any, bob: Any, attacker: Any) -> None:
    with ape.reverts("token: insufficient allowance"):
        token.transferFrom(alice, attacker, 1, sender=attacker)
    token.approve(bob, 10, sender=alice)
    with ape.reverts("token: insufficient allowance"):
        token.transferFrom(alice, bob, 11, sender=bob)


def test_transfer_from_beyond_balance_is_refused(token: Any, alice: Any, bob: Any) -> None:
    token.approve(bob, MAX_UINT256, sender=alice)
    with ape.reverts("token: transfer amount exceeds balance"):
        token.transferFrom(alice, bob, 1_000_001, sender=bob)


def test_transfer_from_to_the_zero_address_is_refused(token: Any, alice: Any, bob: Any) -> None:
    token.approve(bob, 10, sender=alice)
    with ape.reverts("token: transfer to the zero address"):
        token.transferFrom(alice, ZERO_ADDRESS, 1, sender=bob)


# Minting and burning


def test_mint_creates_supply_and_emits(token: Any, minter: Any, bob: Any) -> None:
    receipt = token.mint(bob, 7_000, sender=minter)
    assert token.balanceOf(bob) == 7_000
    assert token.totalSupply() == 1_507_000
    assert receipt.events == [token.Transfer(sender=ZERO_ADDRESS, receiver=bob, value=7_000)]


@pytest.mark.parametrize("caller", ["owner", "alice", "attacker"])
def test_mint_by_a_non_minter_is_refused(token: Any, request: pytest.FixtureRequest, caller: str) -> None:
    with ape.reverts("token: caller is not a minter"):
        token.mint(request.getfixturevalue(caller), 1, sender=request.getfixturevalue(caller))


def test_mint_to_the_zero_address_is_refused(token: Any, minter: Any) -> None:
    with ape.reverts("token: mint to the zero address"):
        token.mint(ZERO_ADDRESS, 1, sender=minter)


def test_mint_beyond_uint256_supply_reverts(token: Any, minter: Any, bob: Any) -> None:
    with ape.reverts():
        token.mint(bob, MAX_UINT256, sender=minter)


def test_burn_destroys_supply_and_emits(token: Any, alice: Any) -> None:
    receipt = token.burn(400_000, sender=alice)
    assert token.balanceOf(alice) == 600_000
    assert token.totalSupply() == 1_100_000
    assert receipt.events == [token.Transfer(sender=alice, receiver=ZERO_ADDRESS, value=400_000)]


def test_burn_beyond_balance_is_refused(token: Any, alice: Any) -> None:
    with ape.reverts("token: burn amount exceeds balance"):
        token.burn(1_000_001, sender=alice)


def test_burn_from_spends_allowance_and_emits(token: Any, alice: Any, minter: Any) -> None:
    token.approve(minter, 50_000, sender=alice)
    receipt = token.burn_from(alice, 20_000, sender=minter)
    assert token.balanceOf(alice) == 980_000
    assert token.totalSupply() == 1_480_000
    assert token.allowance(alice, minter) == 30_000
    assert receipt.events == [
        token.Approval(owner=alice, spender=minter, value=30_000),
        token.Transfer(sender=alice, receiver=ZERO_ADDRESS, value=20_000),
    ]


def test_burn_from_needs_an_allowance_even_for_a_minter(token: Any, alice: Any, minter: Any) -> None:
    with ape.reverts("token: insufficient allowance"):
        token.burn_from(alice, 1, sender=minter)


def test_burn_from_beyond_balance_is_refused(token: Any, alice: Any, bob: Any) -> None:
    token.approve(bob, MAX_UINT256, sender=alice)
    with ape.reverts("token: burn amount exceeds balance"):
        token.burn_from(alice, 1_000_001, sender=bob)


# Roles and ownership


def test_owner_grants_and_revokes_minters(token: Any, owner: Any, bob: Any) -> None:
    receipt = token.set_minter(bob, True, sender=owner)
    assert token.is_minter(bob)
    assert receipt.events == [token.MinterUpdated(minter=bob, enabled=True)]
    token.mint(bob, 1, sender=bob)
    receipt = token.set_minter(bob, False, sender=owner)
    assert not token.is_minter(bob)
    assert receipt.events == [token.MinterUpdated(minter=bob, enabled=False)]
    with ape.reverts("token: caller is not a minter"):
        token.mint(bob, 1, sender=bob)


@pytest.mark.parametrize("caller", ["minter", "attacker"])
def test_set_minter_by_a_non_owner_is_refused(
    token: Any, request: pytest.FixtureRequest, caller: str, attacker: Any
) -> None:
    with ape.reverts("token: caller is not the owner"):
        token.set_minter(attacker, True, sender=request.getfixturevalue(caller))


def test_zero_address_minter_is_refused(token: Any, owner: Any) -> None:
    with ape.reverts("token: minter is the zero address"):
        token.set_minter(ZERO_ADDRESS, True, sender=owner)


# EIP-2612 permit


def test_permit_sets_allowance_once(
    token: Any, chain: Any, holder: LocalAccount, bob: Any, alice: Any
) -> None:
    deadline = later(chain)
    v, r, s = sign_permit(token, holder, bob.address, 9_000, deadline)
    receipt = token.permit(holder.address, bob, 9_000, deadline, v, r, s, sender=alice)  # anyone relays
    assert receipt.events == [token.Approval(owner=holder.address, spender=bob, value=9_000)]
    assert token.allowance(holder.address, bob) == 9_000
    assert token.nonces(holder.address) == 1
    token.transferFrom(holder.address, bob, 9_000, sender=bob)
    assert token.balanceOf(bob) == 9_000
    with ape.reverts("token: permit signer is not the owner"):
        token.permit(holder.address, bob, 9_000, deadline, v, r, s, sender=alice)


def test_consecutive_permits_use_consecutive_nonces(
    token: Any, chain: Any, holder: LocalAccount, bob: Any
) -> None:
    deadline = later(chain)
    for nonce, value in enumerate([10, 20, 0]):
        v, r, s = sign_permit(token, holder, bob.address, value, deadline, nonce=nonce)
        token.permit(holder.address, bob, value, deadline, v, r, s, sender=bob)
        assert token.allowance(holder.address, bob) == value
    assert token.nonces(holder.address) == 3


def test_permit_is_valid_until_its_deadline_inclusive(
    token: Any, chain: Any, holder: LocalAccount, bob: Any
) -> None:
    deadline = later(chain)
    v, r, s = sign_permit(token, holder, bob.address, 5, deadline)
    chain.pending_timestamp = deadline
    token.permit(holder.address, bob, 5, deadline, v, r, s, sender=bob)
    assert token.allowance(holder.address, bob) == 5


def test_expired_permit_is_refused(token: Any, chain: Any, holder: LocalAccount, bob: Any) -> None:
    deadline = later(chain)
    v, r, s = sign_permit(token, holder, bob.address, 5, deadline)
    chain.pending_timestamp = deadline + 1
    with ape.reverts("token: permit expired"):
        token.permit(holder.address, bob, 5, deadline, v, r, s, sender=bob)


@pytest.mark.parametrize(
    "signed",
    [{"nonce": 1}, {"chain_id": 1}, {"name": "TPWallet"}],
    ids=["future-nonce", "other-chain", "other-name"],
)
def test_permit_signed_for_another_nonce_or_domain_is_refused(
    token: Any, chain: Any, holder: LocalAccount, bob: Any, signed: dict[str, Any]
) -> None:
    deadline = later(chain)
    v, r, s = sign_permit(token, holder, bob.address, 5, deadline, **signed)
    with ape.reverts("token: permit signer is not the owner"):
        token.permit(holder.address, bob, 5, deadline, v, r, s, sender=bob)


@pytest.mark.parametrize("tampered", ["spender", "value", "deadline"])
def test_permit_with_a_tampered_field_is_refused(
    token: Any, chain: Any, holder: LocalAccount, bob: Any, attacker: Any, tampered: str
) -> None:
    deadline = later(chain)
    v, r, s = sign_permit(token, holder, bob.address, 5, deadline)
    fields = {"spender": bob, "value": 5, "deadline": deadline}
    fields[tampered] = {"spender": attacker, "value": 6, "deadline": deadline + 1}[tampered]
    with ape.reverts("token: permit signer is not the owner"):
        token.permit(
            holder.address, fields["spender"], fields["value"], fields["deadline"], v, r, s, sender=bob
        )


def test_permit_for_a_twin_token_is_refused(
    project: Any, token: Any, chain: Any, owner: Any, holder: LocalAccount, bob: Any
) -> None:
    twin = project.Token.deploy(NAME, SYMBOL, DECIMALS, sender=owner)
    deadline = later(chain)
    v, r, s = sign_permit(token, holder, bob.address, 5, deadline, verifying_contract=twin.address)
    with ape.reverts("token: permit signer is not the owner"):
        token.permit(holder.address, bob, 5, deadline, v, r, s, sender=bob)
    twin.permit(holder.address, bob, 5, deadline, v, r, s, sender=bob)
    assert twin.allowance(holder.address, bob) == 5


def test_permit_signed_by_someone_else_is_refused(
    token: Any, chain: Any, holder: LocalAccount, bob: Any, attacker: Any
) -> None:
    deadline = later(chain)
    forger = Account.from_key(b"\x43" * 32)
    permit = Permit(owner=holder.address, spender=attacker.address, value=500_000, nonce=0, deadline=deadline)
    signed = forger.sign_typed_data(full_message=permit.typed_data(chain.chain_id, token.address, name=NAME))
    r, s = signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
    with ape.reverts("token: permit signer is not the owner"):
        token.permit(holder.address, attacker, 500_000, deadline, signed.v, r, s, sender=attacker)


def test_permit_with_a_high_s_signature_is_refused(
    token: Any, chain: Any, holder: LocalAccount, bob: Any
) -> None:
    deadline = later(chain)
    v, r, s = sign_permit(token, holder, bob.address, 5, deadline)
    high_s = (SECP256K1_ORDER - int.from_bytes(s, "big")).to_bytes(32, "big")
    with ape.reverts("ecdsa: s is in the upper half of the order"):
        token.permit(holder.address, bob, 5, deadline, 55 - v, r, high_s, sender=bob)


def test_permit_with_a_bad_v_is_refused(token: Any, chain: Any, holder: LocalAccount, bob: Any) -> None:
    deadline = later(chain)
    v, r, s = sign_permit(token, holder, bob.address, 5, deadline)
    with ape.reverts("ecdsa: v is not 27 or 28"):
        token.permit(holder.address, bob, 5, deadline, v - 27, r, s, sender=bob)


def test_permit_for_the_zero_owner_is_refused(token: Any, chain: Any, bob: Any) -> None:
    deadline = later(chain)
    r = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798).to_bytes(32, "big")
    with ape.reverts("token: permit signer is not the owner"):
        token.permit(ZERO_ADDRESS, bob, 5, deadline, 27, r, (1).to_bytes(32, "big"), sender=bob)


def test_permit_to_the_zero_spender_is_refused(
    token: Any, chain: Any, holder: LocalAccount, bob: Any
) -> None:
    deadline = later(chain)
    v, r, s = sign_permit(token, holder, ZERO_ADDRESS, 5, deadline)
    with ape.reverts("token: approve to the zero address"):
        token.permit(holder.address, ZERO_ADDRESS, 5, deadline, v, r, s, sender=bob)
