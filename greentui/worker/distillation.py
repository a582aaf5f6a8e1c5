"""Knowledge distillation (Hinton et al. 2015): a Trainer whose loss mixes the labels with a teacher's soft targets.

    loss = (1 - alpha) · CE(labels) + alpha · T² · KL(softmax(teacher / T) ‖ softmax(student / T))

CE is the Trainer's own label loss (label smoothing included, when configured). T² keeps the soft
term's gradients on the scale of the hard term's as T grows (Hinton et al., section 2). The
teacher's forward pass runs inside training_step, so its time and energy are in the train phase.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transformers import Trainer

from greentui.teacher import KEY, TeacherSource


class TeacherMismatch(ValueError):
    """The teacher cannot teach this student (another vocabulary or label count); the message names the key."""


@dataclass(frozen=True)
class Teacher:
    """The loaded teacher and the facts the record keeps about it."""

    model: Any
    source: TeacherSource
    params: int

    def describe(self, temperature: float, alpha: float) -> dict[str, Any]:
        """The record's `measurement.distillation`."""
        return {"teacher": self.source.name, "teacher_kind": self.source.kind, "teacher_params": self.params,
                "temperature": temperature, "alpha": alpha,
                "energy": "the teacher's forward passes are measured in the train phase, so in the run's energy"}


def load_teacher(source: TeacherSource, student: Any, device: str) -> Teacher:
    """The teacher in eval mode on `device`, its gradients off; TeacherMismatch unless it fits `student`."""
    from transformers import AutoModelForSequenceClassification

    model, loading = AutoModelForSequenceClassification.from_pretrained(
        source.location, use_safetensors=True, trust_remote_code=False, output_loading_info=True)
    untrained = sorted(k for k in loading.get("missing_keys", ()) if "classifier" in k or "score" in k)
    if untrained:  # a base checkpoint's head is random: its soft targets would teach noise
        raise TeacherMismatch(f"config key '{KEY}': the teacher {source.name!r} has no trained classification head "
                              f"(missing {untrained[0]}); fine-tune it first, e.g. in a run with save_model = true")
    for what, attribute in (("vocabulary size", "vocab_size"), ("number of labels", "num_labels")):
        theirs, ours = getattr(model.config, attribute, None), getattr(student.config, attribute, None)
        if theirs != ours:
            raise TeacherMismatch(f"config key '{KEY}': the teacher {source.name!r} has {what} {theirs} and the "
                                  f"model has {ours}; a teacher must share the tokenizer and the labels")
    model.requires_grad_(False)
    model.eval()
    model.to(device)
    return Teacher(model, source, sum(p.numel() for p in model.parameters()))


class DistillationTrainer(Trainer):
    """The Trainer with the distillation loss; evaluation (the model alone) is the plain Trainer's.

    Both terms are means over the micro-batch, so the Trainer divides their sum by the gradient
    accumulation steps itself (a label loss normalised over the whole accumulated batch would
    weigh the soft term accumulation-steps times too much)."""

    loss_is_scaled_for_ga = False

    def __init__(self, *args: Any, teacher: Teacher, temperature: float, alpha: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teacher = teacher.model
        self.temperature = temperature
        self.alpha = alpha

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        import torch
        import torch.nn.functional as F

        if not model.training:  # evaluation's loss is the student's own, comparable to any other run's
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        features = {k: v for k, v in inputs.items() if k != "labels"}  # the label smoother pops labels from inputs
        hard, outputs = super().compute_loss(model, inputs, return_outputs=True)  # the batch's mean label loss
        with torch.no_grad():
            teacher_logits = self.teacher(**features).logits
        t = self.temperature
        student = F.log_softmax(outputs.logits.float() / t, dim=-1)
        target = F.log_softmax(teacher_logits.float() / t, dim=-1)
        soft = F.kl_div(student, target, reduction="batchmean", log_target=True) * (t * t)
        loss = (1.0 - self.alpha) * hard + self.alpha * soft
        return (loss, outputs) if return_outputs else loss
