"""The funded development accounts of every devnet chain: anvil's default mnemonic, which Ape's `test`
network uses too (so Ape's test accounts are anvil's). Publicly known keys: for devnets and tests only.
"""

from eth_account import Account
from eth_account.signers.local import LocalAccount

DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNT_COUNT = 10

Account.enable_unaudited_hdwallet_features()


def dev_accounts(count: int = DEV_ACCOUNT_COUNT) -> list[LocalAccount]:
    """The funded development accounts of every anvil started here (publicly known keys: devnet only)."""
    return [
        Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}") for index in range(count)
    ]
