"""RFC 6238 Appendix B: every code of the table, from the same functions that verify users' codes."""

import json
from typing import Any

import pytest

from chain.paths import PROJECT_ROOT
from risk.factors.totp import TotpParameters, code_at, matching_step

VECTORS: dict[str, Any] = json.loads((PROJECT_ROOT / "tests" / "vectors" / "rfc6238-totp.json").read_text())
CASES = [pytest.param(vector, id=f"{vector['mode']}-{vector['time']}") for vector in VECTORS["vectors"]]


def _parameters(mode: str) -> TotpParameters:
    return TotpParameters(algorithm=mode, step_seconds=VECTORS["step_seconds"], digits=VECTORS["digits"])


@pytest.mark.parametrize("vector", CASES)
def test_code_of_the_rfc_table(vector: dict[str, Any]):
    seed = VECTORS["seeds_ascii"][vector["mode"]].encode()
    assert code_at(seed, vector["time"], _parameters(vector["mode"])) == vector["totp"]


@pytest.mark.parametrize("vector", CASES)
def test_the_rfc_code_matches_its_own_step(vector: dict[str, Any]):
    seed = VECTORS["seeds_ascii"][vector["mode"]].encode()
    step = matching_step(seed, vector["totp"], vector["time"], _parameters(vector["mode"]))
    assert step == int(vector["step_hex"], 16)


def test_the_default_parameters_are_the_authenticator_apps():
    parameters = TotpParameters()
    assert (parameters.algorithm, parameters.step_seconds, parameters.digits) == ("sha1", 30, 6)
    seed = VECTORS["seeds_ascii"]["sha1"].encode()
    # RFC 4226 Appendix D: the 6-digit HOTP of the same seed at counter 1 (= the step of t=59).
    assert code_at(seed, 59, parameters) == "287082"
