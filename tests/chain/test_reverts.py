"""Revert reasons, from raw revert data and from web3's ContractLogicError (`chain.reverts`)."""

from eth_abi import encode
from web3.exceptions import ContractLogicError

from chain.reverts import ERROR_SELECTOR, logic_error_reason, revert_reason


def test_revert_data_is_read_as_its_error_string_or_shown_as_hex() -> None:
    assert revert_reason(ERROR_SELECTOR + encode(["string"], ["subscriptions: plan is paused"])) == (
        "subscriptions: plan is paused"
    )
    assert revert_reason(b"") == "no revert data (out of gas?)"
    assert revert_reason(b"\x01\x02") == "0x0102"
    assert revert_reason(ERROR_SELECTOR + b"\x00") == "0x08c379a000"


def test_web3s_logic_error_gives_its_reason_without_web3s_prefix() -> None:
    reverted = ContractLogicError("execution reverted: treasury: nonce is not the token's next custody nonce")
    assert logic_error_reason(reverted) == "treasury: nonce is not the token's next custody nonce"
    assert logic_error_reason(ContractLogicError("execution reverted")) == "execution reverted"
    assert logic_error_reason(ContractLogicError("")) is None
