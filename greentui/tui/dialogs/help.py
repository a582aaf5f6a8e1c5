"""The `?` help: what each screen is for and its keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP_MARKDOWN = """\
# greentui keys

Everything works from the keyboard; the footer shows the keys of the current screen.

**Anywhere**: `f1` or `?` this help · `f2` setup · `f3` history · `f4` sweep · `q` (outside a
text field) or `ctrl+q` quit.
Quitting never stops a run: start greentui again and it re-attaches.

**Setup** (the form): `tab` / `shift+tab` move between fields, `ctrl+r` start the run,
`ctrl+s` save the config as TOML, `ctrl+o` load one. The side panel explains the focused
field; an invalid value shows its reason under it and blocks the run, and so does a technique
this machine cannot run (fp16 without CUDA). Choosing a preset fills the whole form; once
edited, the preset box says `(edited)` and choosing the preset again resets the form.

**Live run**: `x` stop the run (asks first; partial results are kept), `g` start now (a run
waiting for a low-carbon window), `escape` back.
Charts: power (GPU, or CodeCarbon's CPU and RAM estimate), loss, cumulative CO2.

**History**: `/` filter (`status:completed`, `tech:lora`, `acc>0.85`, `kwh<0.001`,
`time<60s`, or any text), `o` sort by a column chosen from a list (the same again, or a click on
its header: the other way), `s` sort by the next column, `S` reverse, `C` choose and order the
columns (remembered; those that do not fit the terminal's width wait for a wider one), `end` or
`G` the last run, `home` or `g` the first, `space` select, `a`
select all shown, `c` compare selected, `e` export selected to CSV, `d` delete, `n` rename,
`t` tags (`paper final`; filter with `tag:paper`), `N` a note, `R` rerun (the setup form filled
with the run's config, to change and start), `enter` the live view of a running run, or a
finished run's page.

**Run page** (a finished run): `c` compare it with another run (it is the baseline), `R`
rerun: the setup form filled with its config, to change and start again, `e` export it to
CSV, `d` delete it (asks first), `escape` back.

**Sweep**: a baseline (preset plus `KEY=VALUE` changes), the techniques to study
(`mixed_precision=bf16,optimizer=sgd`), the plan (ablation: baseline, each alone, all
together; grid: every combination) and repeats; `ctrl+r` queues it. Runs go one after
another; the table shows mean ± spread over repeats and the change against the baseline,
`≈` where the change is within the spread, `★` on the energy–accuracy front. A sweep left
unfinished resumes on the next `greentui` (or `greentui sweep --resume`). `ctrl+t` writes the
sweep's report: the file name picks LaTeX (`.tex`), Markdown, JSON or CSV.

**Compare**: `1`–`9` make run N the baseline, `b` the next one, `r` write the report of these runs against the baseline
(`.tex`, `.md`, `.json` or `.csv`), `escape` back. Green: better than the baseline.

Press `escape` to close this help.
"""


class HelpDialog(ModalScreen[None]):
    """Scrollable key reference."""

    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "Close")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        """The help text."""
        with VerticalScroll(classes="dialog help-dialog"):
            yield Markdown(HELP_MARKDOWN)

    def action_close(self) -> None:
        """Back to where the user was."""
        self.dismiss(None)
