"""Flow 6, the money core, in order: the merchant's webhook server starts, the merchant is onboarded, money
moves (FX), and at the end every event the merchant's server received must have verified."""

from scripts._support.demo.merchants import fx_flow, onboard
from scripts._support.demo.receiver import running_receiver
from scripts._support.demo.report import Summary
from scripts._support.stack import DevnetStack
from scripts._support.stack_config import Progress


def money_flow(stack: DevnetStack, progress: Progress, summary: Summary) -> None:
    Progress.heading("flow 6: the money core: a merchant onboarded, an FX conversion on the ledger")
    with running_receiver() as receiver:
        onboard(stack, progress, summary, receiver)
        fx_flow(stack, progress, summary)
