"""A fresh in-process chain for tests that drive contracts through plain web3 (no Ape), as the relay, the
settlement job and the API do."""

from eth.vm.forks.prague import PragueVM
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester, PyEVMBackend
from eth_utils import keccak
from web3 import EthereumTesterProvider, Web3
from web3.types import Wei

FUNDS = 10**20


def fresh_chain(relayer_label: str) -> tuple[EthereumTester, Web3, str, LocalAccount]:
    """A py-evm chain on the Prague rules, its first unlocked account, and a relayer key (derived from
    `relayer_label`) funded with FUNDS wei. Give each chain its own label: `chain.transactions` remembers
    nonces per sender, across chains."""
    tester = EthereumTester(PyEVMBackend(vm_configuration=((0, PragueVM),)))
    w3 = Web3(EthereumTesterProvider(tester))
    owner = w3.eth.accounts[0]
    relayer = Account.from_key(keccak(text=relayer_label))
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": owner, "to": relayer.address, "value": Wei(FUNDS)})
    )
    return tester, w3, owner, relayer
