import time
from typing import Any
from web3.exceptions import ContractLogicError as W3Err
from ape.exceptions import ContractLogicError
from tests.contracts.test_schnorr import Signed, signed  # noqa

def test_probe(schnorr_harness: Any, signed: Signed) -> None:
    import dataclasses
    bad = dataclasses.replace(signed, ry=signed.ry ^ 1)
    t = time.time()
    for _ in range(20):
        try:
            schnorr_harness.verify(*bad.args())
        except ContractLogicError:
            pass
    print("ape revert ms", (time.time() - t) * 50)
    w3 = schnorr_harness.chain_manager.provider.web3
    data = schnorr_harness.verify.as_transaction(*bad.args()).data
    t = time.time()
    for _ in range(20):
        try:
            w3.eth.call({"to": schnorr_harness.address, "data": data})
        except W3Err as e:
            msg = e.message
    print("w3 revert ms", (time.time() - t) * 50, msg)
    t = time.time()
    for _ in range(20):
        schnorr_harness.verify.as_transaction(*bad.args()).data
    print("encode ms", (time.time() - t) * 50)
    from eth_abi import encode
    t = time.time()
    for _ in range(20):
        schnorr_harness.verify(*signed.args())
    print("ape ok ms", (time.time() - t) * 50)
