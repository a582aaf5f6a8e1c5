"""Lock-step A/B: two processes train the same run and take turns of a few steps each.

On a shared 2-core VM the speed of the machine wanders by ±20 % over tens of seconds, so
whole runs timed one after the other differ by more than a 2 % effect. Here a tracked and an
untracked copy of one run (same config, same seed, so the same batches in the same order)
train one at a time, handing over every `steps` optimizer steps through two semaphores. Turn
i of one side and turn i of the other train the same batches seconds apart, so a slow patch
of the machine falls on both. The waiting side sleeps on its semaphore; only the tracked
side's background threads (the telemetry it measures) keep running while the other trains,
which can only flatter the tracked side, by at most the telemetry's own CPU share.

A turn ends when the next step begins, not when its last step ends: the Trainer calls the
logging callbacks (where a tracker writes its metrics) after `on_step_end`, and a turn that
handed over there would leave its last log to run during the other side's turn.

A side is named by a tracker (bench/peers.py): "untracked", "greentui", or a peer. An A/A pair
(both "untracked") shows what the harness resolves.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from typing import Any

from transformers import TrainerCallback

SIDE_TIMEOUT_S = 600


class TakeTurns(TrainerCallback):
    """Trains `steps` optimizer steps, hands over to the other side, waits for its turn again.

    `times` holds each turn's wall time: from getting the turn to the start of the step after
    its last, so it covers data loading, the steps, every callback and any logging or evaluation
    (the last turn ends with its last step: leave it out of a ratio, with the warm-up first).
    """

    def __init__(self, mine: Any, theirs: Any, ready: Any, steps: int, turns: int, first: bool) -> None:
        self.mine, self.theirs, self.ready = mine, theirs, ready
        self.steps, self.turns, self.first = steps, turns, first
        self.times: list[float] = []
        self._done_steps = 0
        self._started = 0.0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.ready.release()  # set-up is over: the parent starts the first turn once both are here
        self._wait_for_turn()

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._done_steps and self._done_steps % self.steps == 0:
            self._end_turn()  # the last step's logging and evaluation are over: they belong to this turn
            self._wait_for_turn()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._done_steps += 1
        if self._done_steps < self.steps * self.turns:
            return
        # The last turn ends here: what follows (the Trainer's end of training) is not a turn.
        self._end_turn()
        control.should_training_stop = True
        if self.first:  # the other side still has its last turn: stay out of its way
            self.mine.acquire()

    def _end_turn(self) -> None:
        self.times.append(time.perf_counter() - self._started)
        self.theirs.release()

    def _wait_for_turn(self) -> None:
        self.mine.acquire()
        self._started = time.perf_counter()


def _side(index: int, tracker: str, values: dict[str, Any], mine: Any, theirs: Any, ready: Any,
          steps: int, turns: int, first: bool, results: Any) -> None:
    from peers import tracking
    from train_rate import config, samples_per_s

    import greentui.worker.training as training

    turn_taker = TakeTurns(mine, theirs, ready, steps, turns, first)
    build_plan = training.build_plan
    with tracking(tracker) as tracker_callbacks:
        # Both paths (the worker's _train and the bare Trainer) look build_plan up in its module
        # when they run, so this adds the tracker's callbacks and then the turn taker after the worker's own.
        def with_turns(cfg: Any, output_dir: Any, callbacks: Any = None, **rest: Any) -> Any:
            return build_plan(cfg, output_dir, callbacks=[*(callbacks or []), *tracker_callbacks, turn_taker], **rest)

        training.build_plan = with_turns
        samples_per_s(config(**values), tracked=tracker == "greentui")
    results.put((index, turn_taker.times))


def take_turns(values: dict[str, Any], steps: int, turns: int, first: str, second: str) -> tuple[list[float], list[float]]:
    """Turn times (first, second) of one lock-step session over config(**values); `first` trains first."""
    spawn = multiprocessing.get_context("spawn")  # fresh interpreters: no torch state shared
    turn = [spawn.Semaphore(0), spawn.Semaphore(0)]
    ready = spawn.Semaphore(0)
    results = spawn.Queue()
    sides = [spawn.Process(target=_side, args=(i, tracker, values, turn[i], turn[1 - i], ready,
                                                steps, turns, i == 0, results))
             for i, tracker in enumerate((first, second))]
    for side in sides:
        side.start()
    try:
        for _ in sides:
            _wait(ready.acquire, sides, "set-up")
        turn[0].release()
        times = dict(_wait(results.get, sides, "turns") for _ in sides)
    except BaseException:
        for side in sides:
            side.kill()  # the survivor would wait for a turn that never comes
        raise
    for side in sides:
        side.join()
    return times[0], times[1]


def _wait(call: Any, sides: list[Any], what: str) -> Any:
    # A side that crashed would leave the other (and this process) waiting forever.
    deadline = time.monotonic() + SIDE_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            result = call(timeout=1)
        except queue.Empty:
            result = False
        if result is not False:
            return result
        if any(side.exitcode not in (None, 0) for side in sides):
            raise RuntimeError(f"a lock-step side failed during {what} (its traceback is above)")
    raise RuntimeError(f"lock-step {what} took over {SIDE_TIMEOUT_S} s")
