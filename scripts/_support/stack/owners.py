"""The devnet treasury owners acting together: dev accounts 1-3 own each chain's `MultisigTreasury` (2 of 3,
`stack_deployments.deploy_contracts`); two of them sign an owners' `TreasuryTx` that calls a contract, and a
relayer with no authority submits it (`chain.treasury`).

This is how the stack configures what only the treasury may (the bridges' allowlists: the treasury is their
guardian) and how the demo's guardian vetoes a bridge batch: the owners' real multisig path, each owner
signing the EIP-712 digest with their own key, never a shortcut through an account with the guardian's
powers.
"""

from typing import Final

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from chain.dev_accounts import dev_accounts
from chain.treasury import Treasury, call_tx, sign_digest

OWNER_INDICES: Final = (1, 2)
"""The two owners (of dev accounts 1-3) who sign the devnet's owners' transactions."""
DEADLINE_SECONDS: Final = 600
"""How long an owners' transaction signed here stays valid."""


def owners_call(w3: Web3, treasury_address: str, call: ContractFunction, relayer: LocalAccount) -> TxReceipt:
    """Two owners sign a `TreasuryTx` making the treasury run `call` (its contract and data), at the
    treasury's next owners' nonce; `relayer` submits it. Raises `chain.treasury.OwnersCallFailed` with the
    called contract's revert reason if the call failed (the nonce is spent all the same)."""
    treasury = Treasury(w3, treasury_address)
    deadline = int(w3.eth.get_block("latest")["timestamp"]) + DEADLINE_SECONDS
    data = bytes.fromhex(call._encode_transaction_data().removeprefix("0x"))
    tx = call_tx(call.address, data, treasury.owners_nonce(), deadline)
    digest = treasury.tx_digest(tx)
    signatures = [sign_digest(bytes(dev_accounts()[index].key), digest) for index in OWNER_INDICES]
    return treasury.submit_with_owners(relayer, tx, treasury.collect(tx, signatures))
