"""What /proc says about CPU time: the machine's busy ticks, a process's own, its descendants, its name.

Every file here is written by the kernel but describes processes anybody may name: a command
name is untrusted text (it may hold spaces, brackets, control codes) and is kept as data.
"""

from __future__ import annotations

import os
import pwd
from functools import lru_cache

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # the unit of /proc's CPU times
MAX_PROCESSES = 100_000  # a /proc scan stops here rather than walk an absurd process table


def cpu_busy_ticks() -> int | None:
    """Ticks all CPUs spent working since boot: user, nice, system, irq, softirq (not idle, iowait or steal).

    guest time is already inside user time; steal is time another VM had, not work done here.
    """
    try:
        with open("/proc/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.readline().split()
    except OSError:
        return None
    if len(fields) < 8 or fields[0] != "cpu" or not all(f.isdigit() for f in fields[1:8]):
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[1:8])
    return user + nice + system + irq + softirq


def process_times(pid: int) -> tuple[int, int] | None:
    """(utime + stime, start time) of a live process in clock ticks, or None when it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            text = handle.read(4096)
    except OSError:
        return None
    fields = text.rsplit(")", 1)[-1].split()  # the command name, in brackets, may hold anything
    if len(fields) < 20 or fields[0] == "Z" or not (fields[11].isdigit() and fields[12].isdigit() and fields[19].isdigit()):
        return None
    return int(fields[11]) + int(fields[12]), int(fields[19])


def _children_files(pid: int) -> list[int] | None:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    children: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii", errors="replace") as handle:
                children += [int(c) for c in handle.read().split() if c.isdigit()]
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{task}"):
                continue  # the thread ended
            return None  # a kernel without CONFIG_PROC_CHILDREN
        except OSError:
            continue
    return children


def _parents() -> dict[int, int]:
    parents = {}
    for pid in all_pids():
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read(4096).rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if len(fields) > 1 and fields[1].isdigit():
            parents[pid] = int(fields[1])
    return parents


def process_tree(root: int) -> set[int]:
    """`root` and its live descendants (a run's worker and its data-loader processes count as the run)."""
    tree, todo = {root}, [root]
    while todo and len(tree) < MAX_PROCESSES:
        children = _children_files(todo.pop())
        if children is None:  # no children files here: one scan of every process's parent instead
            parents, tree = _parents(), {root}
            grew = True
            while grew:
                grown = {pid for pid, parent in parents.items() if parent in tree} | tree
                grew, tree = len(grown) > len(tree), grown
            return tree
        fresh = [child for child in children if child not in tree]
        tree.update(fresh)
        todo += fresh
    return tree


def all_pids() -> list[int]:
    """Every pid /proc lists now (bounded)."""
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()][:MAX_PROCESSES]
    except OSError:
        return []


def command_name(pid: int) -> str | None:
    """The process's command name as the kernel keeps it (at most 15 bytes), decoded; None when gone."""
    try:
        with open(f"/proc/{pid}/comm", "rb") as handle:
            return handle.read(64).rstrip(b"\n").decode("utf-8", errors="replace")
    except OSError:
        return None


def user_name(pid: int) -> str | None:
    """The name of the user owning `pid` (its uid as text when the name is unknown); None when gone."""
    try:
        uid = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None
    return _name_of(uid)


@lru_cache(maxsize=256)
def _name_of(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)
