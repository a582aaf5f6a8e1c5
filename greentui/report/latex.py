"""The report as LaTeX for a paper: booktabs tables with ± spreads and a caption that explains the marks.

The output is a fragment to `\\input` (it needs `\\usepackage{booktabs,graphicx}` in the preamble) and is
plain ASCII, so it compiles under pdfLaTeX without inputenc tricks. Stored text (technique
roles, run names, sources) is escaped: a name can never become a LaTeX command.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Sequence

from greentui.report.attribution import FIGURES, Attribution
from greentui.report.selection import Selection
from greentui.report.tables import (
    DEPLOYED,
    NOISE_MARK,
    PARETO_MARK,
    SETUP_MARK,
    TRAINING,
    count_text,
    in_points,
    short_change,
    stat_text,
)

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
            "|": r"\textbar{}"}
# The non-ASCII characters greentui's own text uses; anything else is transliterated or dropped.
_SYMBOLS = {"±": r"$\pm$", NOISE_MARK: r"$\approx$", PARETO_MARK: r"$\star$", SETUP_MARK: r"$\dagger$", "Δ": r"$\Delta$",
            "×": r"$\times$", "₂": r"\textsubscript{2}", "–": "--", "—": "---", "·": r"$\cdot$", "…": r"\ldots{}",
            "⚠": "(!)", "’": "'", "“": "``", "”": "''", "→": r"$\to$", "≥": r"$\geq$", "≤": r"$\leq$", "µ": r"$\mu$"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def escape(text: object) -> str:
    """Any text as LaTeX that typesets it literally, in ASCII."""
    out = []
    for char in str(text):
        if char in _SPECIAL:
            out.append(_SPECIAL[char])
        elif char in _SYMBOLS:
            out.append(_SYMBOLS[char])
        elif ord(char) < 128:
            out.append(_CONTROL.sub(" ", char))
        else:  # é -> e; what has no ASCII form is dropped rather than breaking the build
            out.append(unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii"))
    return "".join(out)


# Column titles short enough for a paper's table; each Δ column follows its measure's.
_TITLES = {"energy": "energy (kWh)", "time": "time (s)", "co2": r"CO\textsubscript{2} (g)", "accuracy": "accuracy",
           "inference_per_1k": "kWh/1k pred.", "latency_p50_b1": "latency b1 (ms)", "model_size": "size (MB)",
           "inference_accuracy": "inf. accuracy", "lifetime": "lifetime (kWh)"}


def _head(name: str) -> list[str]:
    return [_TITLES[name], r"$\Delta$ (pt)" if in_points(name) else r"$\Delta$ (\%)"]


def _cells(row: Attribution, name: str) -> list[str]:
    change = "--" if row.role == "baseline" else escape(short_change(row, name))  # the row names itself
    return [escape(stat_text(row.stats[name], FIGURES[name].spec)), change]


def _role(row: Attribution) -> str:
    return escape(row.role) + (r"$^\dagger$" if row.other_setup else "")


def _tabular(head: list[str], body: list[list[str]], caption: str, label: str) -> list[str]:
    spec = "l" + "r" * (len(head) - 1)
    return [r"\begin{table}[t]", r"\centering", r"\small", r"\setlength{\tabcolsep}{4pt}",
            rf"\caption{{{caption}}}", rf"\label{{{label}}}",
            # Scaled to the text width: ten figure columns do not fit a paper's column at \small.
            r"\resizebox{\linewidth}{!}{%", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
            " & ".join(head) + r" \\", r"\midrule", *(" & ".join(cells) + r" \\" for cells in body),
            r"\bottomrule", r"\end{tabular}}", r"\end{table}", ""]


def _legend(rows: Sequence[Attribution]) -> str:
    text = (r"Mean $\pm$ standard deviation over repeats; $\Delta$: change of the mean against the baseline, "
            r"in \% (accuracy in percentage points). $\approx$: the change is smaller than the combined spread "
            r"(not distinguishable from noise); ?: fewer than two completed repeats on a side; "
            r"$\star$: on the energy--accuracy Pareto front.")
    if any(row.other_setup for row in rows):
        text += r" $\dagger$: measured on another machine or by another method than the baseline (compare with care)."
    return text


def latex_tables(selection: Selection) -> str:
    """The training table and, where rows have them, the deployed model's table."""
    rows = selection.rows
    notes = " ".join(escape(note) for note in selection.notes)
    label = "tab:greentui-" + re.sub(r"[^a-z0-9]+", "-", selection.title.lower()).strip("-")[:40]
    head = ["Techniques", "Runs", *(h for name in TRAINING for h in _head(name)), "Front"]
    body = [[_role(r), str(r.runs), *(c for name in TRAINING for c in _cells(r, name)), r"$\star$" if r.pareto else ""]
            for r in rows]
    lines = ["% greentui report: needs \\usepackage{booktabs,graphicx}", *_tabular(
        head, body, f"{escape(selection.title)}: training. {_legend(rows)} {notes}", label)]
    deployed = [name for name in DEPLOYED if any(row.stats[name] for row in rows)]
    if deployed:
        n = count_text(rows[0].lifetime_predictions)
        caption = (f"{escape(selection.title)}: the model as deployed (after any quantization or pruning)."
                   + (f" Lifetime energy: training energy plus {escape(n)} predictions at the measured kWh per 1k."
                      if "lifetime" in deployed else "") + f" Marks as in Table~\\ref{{{label}}}.")
        lines += _tabular(["Techniques", "Runs", *(h for name in deployed for h in _head(name))],
                          [[_role(r), str(r.runs), *(c for name in deployed for c in _cells(r, name))] for r in rows],
                          caption, label + "-deployed")
    return "\n".join(lines)


def latex_appendix(selection: Selection) -> str:
    """The compute appendix as a LaTeX section: the paragraph, the facts, and each run's command."""
    from greentui.report.appendix import appendix_facts, fact_lines, paragraph

    facts = appendix_facts(selection)
    commands = [rf"\item \texttt{{{escape(r['id'])}}} ({escape(r['status'])}): \texttt{{{escape(r['command'])}}}"
                for r in facts["runs"]]
    return "\n".join([r"\section*{Compute appendix}", escape(paragraph(facts)), "", r"\begin{itemize}",
                      *(rf"\item {escape(line)}" for line in fact_lines(facts)), r"\end{itemize}", "",
                      r"Each run and the command that reproduces it:", r"\begin{itemize}", r"\small", *commands,
                      r"\end{itemize}", ""])
