"""An allocation plan as people read it: token amounts with decimals, and the schedule table the allocate
script prints before it acts."""

from collections.abc import Iterable

from chain.allocation.plan import PlannedGrant, schedule_kind, utc_date


def format_tokens(amount: int, decimals: int) -> str:
    """`amount` base units as tokens with thousands separators and no trailing zeros: 1,234.5."""
    whole, fraction = divmod(amount, 10**decimals)
    text = f"{whole:,}"
    if fraction:
        text += "." + str(fraction).rjust(decimals, "0").rstrip("0")
    return text


def schedule_table(grants: Iterable[PlannedGrant], decimals: int) -> str:
    """The grants as an aligned text table: category, beneficiary, amount, cliff, end, kind, revocable."""
    header = ("category", "beneficiary", "amount (TPW)", "cliff", "end", "kind", "revocable")
    rows = [
        (
            grant.category,
            grant.beneficiary,
            format_tokens(grant.amount, decimals),
            utc_date(grant.schedule.cliff_time),
            utc_date(grant.schedule.end),
            schedule_kind(grant.schedule),
            "yes" if grant.revocable else "no",
        )
        for grant in grants
    ]
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(len(header))]
    right_aligned = {2}
    lines = []
    for row in (header, *rows):
        cells = [
            cell.rjust(width) if column in right_aligned else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
