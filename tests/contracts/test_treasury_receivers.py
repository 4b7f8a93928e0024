"""MultisigTreasury.vy as an ERC-721 and ERC-1155 holder: safe transfers to it are accepted (the receiver
hooks answer their selectors, ERC-165 announces them), and the owners move such tokens out with a call.
"""

from typing import Any

import pytest

from chain.intents import ZERO_ADDRESS
from tests.helpers.treasury import TreasuryDriver

pytestmark = pytest.mark.chain

NFT_ID = 7
MULTI_IDS = [1, 2, 3]
MULTI_AMOUNTS = [10, 20, 30]


@pytest.fixture(scope="module")
def holder(accounts: Any) -> Any:
    """Someone who sends tokens to the treasury."""
    return accounts[3]


def test_an_nft_safe_transfer_is_accepted_and_the_owners_move_it_out(
    project: Any, deployer: Any, holder: Any, treasury: TreasuryDriver
) -> None:
    nft = project.TestNft.deploy(sender=deployer)
    nft.mint(holder, NFT_ID, sender=deployer)
    nft.safeTransferFrom(holder, treasury.contract, NFT_ID, b"a gift", sender=holder)
    assert nft.ownerOf(NFT_ID) == treasury.address
    data = bytes(nft.transferFrom.encode_input(treasury.address, holder.address, NFT_ID))
    treasury.execute(treasury.transfer_tx(nft.address, ZERO_ADDRESS, 0, data=data))
    assert nft.ownerOf(NFT_ID) == holder.address


def test_erc1155_single_and_batch_safe_transfers_are_accepted(
    project: Any, deployer: Any, holder: Any, treasury: TreasuryDriver
) -> None:
    multi = project.TestMultiToken.deploy(sender=deployer)
    for token_id, amount in zip(MULTI_IDS, MULTI_AMOUNTS, strict=True):
        multi.mint(holder, token_id, 2 * amount, sender=deployer)
    multi.safeTransferFrom(holder, treasury.contract, MULTI_IDS[0], MULTI_AMOUNTS[0], b"", sender=holder)
    multi.safeBatchTransferFrom(holder, treasury.contract, MULTI_IDS, MULTI_AMOUNTS, b"batch", sender=holder)
    held = [multi.balanceOf(treasury.contract, token_id) for token_id in MULTI_IDS]
    assert held == [2 * MULTI_AMOUNTS[0], *MULTI_AMOUNTS[1:]]


def test_the_receiver_hooks_answer_their_selectors(treasury: TreasuryDriver, holder: Any) -> None:
    contract = treasury.contract
    assert contract.onERC721Received(holder, holder, 1, b"") == bytes.fromhex("150b7a02")
    assert contract.onERC1155Received(holder, holder, 1, 2, b"") == bytes.fromhex("f23a6e61")
    assert contract.onERC1155BatchReceived(holder, holder, [1], [2], b"") == bytes.fromhex("bc197c81")


def test_erc165_announces_the_receiver_interfaces(treasury: TreasuryDriver) -> None:
    contract = treasury.contract
    for interface_id in ("01ffc9a7", "150b7a02", "4e2312e0"):
        assert contract.supportsInterface(bytes.fromhex(interface_id)), interface_id
    for interface_id in ("ffffffff", "80ac58cd", "d9b67a26", "00000000"):
        assert not contract.supportsInterface(bytes.fromhex(interface_id)), interface_id
