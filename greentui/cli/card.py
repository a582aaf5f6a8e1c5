"""`greentui card RUN_ID`: a Hugging Face model card, CO2-eq metadata included, beside a run's saved model."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

# The card's machinery (yaml, the report) is imported by the command: `greentui --help` builds this parser.

CARD_FILE = "README.md"  # where the Hub, and from_pretrained's folder, look for a model card


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `card` sub-command."""
    card = sub.add_parser("card", help="write a Hugging Face model card (README.md, with its CO2) beside a saved model")
    card.add_argument("run_id", metavar="RUN_ID", help="a completed run that saved its model (save_model = true)")
    card.add_argument("--force", action="store_true", help=f"replace the model folder's existing {CARD_FILE}")


def cmd_card(args: argparse.Namespace, store_path: Path) -> int:
    """Write runs/ID/model/README.md; one line says where."""
    from greentui.report.errors import ReportError
    from greentui.report.model_card import model_card
    from greentui.report.printable import printable
    from greentui.store.atomic import replace_text
    from greentui.store.run_dirs import saved_model_folder
    from greentui.store.run_store import RunStore

    record, folder = saved_model_folder(RunStore(store_path), args.run_id)
    text = model_card(record)  # before anything is touched: a record that cannot make a card changes nothing
    path = folder / CARD_FILE
    if os.path.lexists(path) and not args.force:
        raise ReportError(f"{printable(path)} already exists; --force replaces it")
    try:
        replace_text(path, text)  # a symlinked README.md is replaced, never written through
    except OSError as err:
        raise ReportError(f"cannot write {printable(path)}: {err.strerror or err}") from None
    print(f"wrote the model card of run {record.id} to {printable(path)}")
    return 0
