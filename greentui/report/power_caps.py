"""Which GPU power cap a sweep should recommend: the least energy at a stated time budget.

Zeus's power-limit optimiser asks the same question: a lower cap draws less power but may take
longer, so "the cap with the lowest energy" only means something with the slowdown one accepts.
Rows are the sweep's single-technique power_limit_w rows (`power_limit_w` or `power_limit_w=150`);
each row's changes against the baseline are the attribution's (mean over repeats).
"""

from __future__ import annotations

from typing import Sequence

from greentui.report.attribution import Attribution

DEFAULT_TIME_BUDGET_PCT = 10.0  # "no more than 10 % slower than uncapped"
KEY = "power_limit_w"


def is_cap_row(role: str) -> bool:
    """A row that changes the power cap and nothing else."""
    return role == KEY or (role.startswith(f"{KEY}=") and "+" not in role)


def cap_notes(rows: Sequence[Attribution], time_budget_pct: float = DEFAULT_TIME_BUDGET_PCT) -> list[str]:
    """The report's line on power caps: the lowest-energy cap within the time budget, and the caps over it."""
    caps = [r for r in rows if is_cap_row(r.role) and r.change_pct.get("energy") is not None
            and r.change_pct.get("time") is not None]
    if not caps:
        return []
    within = [r for r in caps if (r.change_pct["time"] or 0.0) <= time_budget_pct]
    over = [r for r in caps if r not in within]
    budget = f"a time budget of {time_budget_pct:+g} % against the uncapped baseline"
    if not within:
        return [f"Power caps: none keeps within {budget} ({', '.join(_slower(r) for r in over)})."]
    best = min(within, key=lambda r: r.change_pct["energy"] or 0.0)
    noise = " (within the spread of repeats)" if best.noise.get("energy") else ""
    text = (f"Power caps: within {budget}, {best.role} uses the least energy: {best.change_pct['energy']:+.1f} %"
            f"{noise}, time {best.change_pct['time']:+.1f} %")
    if over:
        text += f"; over the budget: {', '.join(_slower(r) for r in over)}"
    return [text + "."]


def _slower(row: Attribution) -> str:
    return f"{row.role} (time {row.change_pct['time']:+.1f} %)"
