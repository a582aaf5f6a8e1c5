"""Fine-tune the pretrained teacher on sentiment-demo through greentui's own training path.

The Trainer a `greentui run` builds (greentui.worker.training.build_plan), with the `tiny`
preset's settings except those in TEACHER_RECIPE, so the teacher is trained as a user's run would be.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from greentui.presets import preset
from greentui.worker.training import build_plan

# The tiny preset's own recipe: with two epochs at lr 5e-4 the teacher stopped at 0.907, below the
# student it is to teach (0.947), which makes no teacher at all.
TEACHER_RECIPE: dict = {}


def finetune(pretrained_dir: Path, dataset_dir: Path):
    """(fine-tuned model, test accuracy, minutes, the settings that differ from `tiny`)."""
    config = preset("tiny").with_values(model=str(pretrained_dir), dataset=str(dataset_dir), **TEACHER_RECIPE)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as out:
        plan = build_plan(config, Path(out))
        plan.trainer.train()
        accuracy = plan.trainer.evaluate()["eval_accuracy"]
    minutes = (time.monotonic() - started) / 60
    print(f"teacher fine-tuned: accuracy {accuracy:.3f} in {minutes:.1f} min")
    return plan.trainer.model, accuracy, minutes, TEACHER_RECIPE
