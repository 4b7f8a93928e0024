"""End to end over HTTP (SQLite and PostgreSQL): the merchant's category reaches the risk engine on a
confirmation. The same 500 EUR card payment by the same customer is stepped up (SCA: too much for an
exemption) at an uncategorised merchant, and sent to review once an admin files the merchant as a money
transfer business (4829); clearing the category again takes it back to a step-up."""

from risk.kyc.tiers import Tier
from tests.api.merchants.conftest import Onboarded
from tests.api.risk.conftest import CustomerFactory, OperatorFactory, pay
from tests.payments.intents.conftest import ScriptedRail

AMOUNT = "50000"  # 500 EUR: the money transfer category rule's threshold, under the high-amount step-up
CATEGORY_RULE = "money-transfer-merchant-category"


def test_the_merchants_category_turns_a_step_up_into_a_review(
    merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail, operator: OperatorFactory
) -> None:
    customer = new_customer()
    customer.set_tier(Tier.FULL)
    customer.enrol_totp()
    admin, reader = operator("merchants:admin"), operator("risk:read")

    def rules_of(intent: dict[str, object]) -> list[str]:
        decision = reader.get(f"/v1/risk/decisions/{intent['risk_decision']}").json()
        return [reason["rule"] for reason in decision["reasons"]]

    stepped = pay(merchant, customer, AMOUNT)
    assert (stepped["status"], stepped["next_action"]["type"]) == ("requires_action", "verify_factor")
    assert CATEGORY_RULE not in rules_of(stepped)

    filed = admin.request("PATCH", f"/v1/merchants/{merchant.id}", {"mcc": "4829"})
    assert filed.status_code == 200, filed.text
    reviewed = pay(merchant, customer, AMOUNT)
    assert (reviewed["status"], reviewed["next_action"]["type"]) == ("requires_action", "risk_review")
    assert CATEGORY_RULE in rules_of(reviewed)
    case = operator("cases:read").get(f"/v1/cases/{reviewed['next_action']['case']}").json()
    assert CATEGORY_RULE in [reason["rule"] for reason in case["reasons"]]

    admin.request("PATCH", f"/v1/merchants/{merchant.id}", {"mcc": None})
    again = pay(merchant, customer, AMOUNT)
    assert again["next_action"]["type"] == "verify_factor"
    assert not rail.calls, "neither a step-up nor a review asks the rail"
