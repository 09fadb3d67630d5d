"""Many programs from one seed: verdicts per mode, the summary line, distinct findings as repro files.

A finding is new when no earlier one of the same mode and status has the same
key (for a crash or a bad message: the error's type, place and message with
names and numbers blanked) or, for a wrong answer, when its shrunk program uses
calls and constructs that no earlier wrong program of that mode was reduced to.
New findings are shrunk and written as standalone repros.
"""

import json
import linecache
import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

import srcgrad.compiler.cache as compiler_cache

from .oracle import ALL_MODES, MODES, STATUSES, NotJudged, cross_check, judge_mode, prepare, settle
from .programs import generate
from .shrink import Shrinker, token_set, write_repro
from .statements import DRAWN_THEMES

FINDING_STATUSES = ("wrong", "crash", "badmsg")


@dataclass
class Finding:
    """One distinct finding of a run."""

    mode: str
    status: str
    detail: str
    key: str
    first: str  # the program it was first seen in (seed_index)
    themes: tuple
    count: int = 1
    repro: str = ""
    tokens: frozenset = field(default_factory=frozenset)


@dataclass
class Summary:
    """What a run saw: per mode, how many programs got each status; the distinct findings."""

    seed: int
    programs: int = 0
    judged: int = 0
    not_judged: Counter = field(default_factory=Counter)
    counts: dict = field(default_factory=lambda: {m: Counter() for m in ALL_MODES})
    disagreements: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    refusals: dict = field(default_factory=lambda: {m: Counter() for m in ALL_MODES})
    seconds: float = 0.0

    def line(self, modes=MODES):
        parts = [f"fuzz seed={self.seed} programs={self.programs} judged={self.judged}"]
        for m in modes:
            c = self.counts[m]
            parts.append(
                f"{m}: "
                + " ".join(f"{s} {c[s]}" for s in STATUSES)
                + (f" (exercised {c['exercised']})" if c["exercised"] else "")
            )
        parts.append(f"disagree {len(self.disagreements)}")
        parts.append(f"findings {len(self.findings)} ({self.seconds:.0f} s)")
        return " | ".join(parts)


class Run:
    """Fuzz ``count`` programs of ``seed`` starting at ``start``.

    Args:
        seed, count, start: which programs (``generate(seed, index)`` for index in ``start .. start + count``).
        modes: the modes to judge (names from ``oracle.ALL_MODES``; ``oracle.MODES`` by default).
        out: a directory for repros and ``findings.jsonl``; ``None``: keep findings in memory only.
        shrink: shrink new findings (``shrink_budget`` seconds each, at most ``max_shrinks`` per mode and status).
        themes: force these themes on every program; ``pool``: else draw them from these.
        exclude: statement kinds the generator must not make (``statements.STATEMENT_KINDS``).
        log: called with a line for each new finding.
    """

    def __init__(
        self,
        seed=0,
        count=100,
        start=0,
        modes=MODES,
        out=None,
        shrink=True,
        shrink_budget=60.0,
        max_shrinks=25,
        time_limit=30.0,
        themes=None,
        pool=DRAWN_THEMES,
        exclude=(),
        log=None,
    ):
        self.pool, self.exclude = tuple(pool), tuple(exclude)
        self.seed, self.count, self.start, self.modes = seed, count, start, tuple(modes)
        self.out, self.shrink, self.shrink_budget, self.max_shrinks = out, shrink, shrink_budget, max_shrinks
        self.time_limit, self.themes, self.log = time_limit, themes, log or (lambda line: None)
        self.summary = Summary(seed)
        self.shrinks = Counter()

    def run(self):
        t0 = time.monotonic()
        self.work = tempfile.mkdtemp(prefix="srcgrad-fuzz-")
        try:
            for index in range(self.start, self.start + self.count):
                self.one(index)
        finally:
            shutil.rmtree(self.work, ignore_errors=True)
            self.summary.seconds = time.monotonic() - t0
        return self.summary

    def one(self, index):
        s = self.summary
        s.programs += 1
        program = generate(self.seed, index, self.themes, self.pool, self.exclude)
        try:
            try:
                loaded = prepare(program, self.work, time_limit=self.time_limit)
            except NotJudged as e:
                s.not_judged[str(e)] += 1
                return
            s.judged += 1
            results, verdicts = {}, {}
            for mode in self.modes:
                verdicts[mode], answer = judge_mode(loaded, mode, self.time_limit)
                if answer is not None:
                    results[mode] = answer
            for mode, verdict in settle(verdicts).items():
                s.counts[mode][verdict.status] += 1
                s.counts[mode]["exercised"] += verdict.exercised
                if verdict.status == "refused":
                    s.refusals[mode][verdict.key] += 1
                if verdict.status in FINDING_STATUSES:
                    self.found(program, verdict)
            for line in cross_check(results, float32=loaded.twin is not None):
                s.disagreements.append(f"{program.name}: {line}")
                self.log(f"DISAGREE {program.name}: {line}")
        finally:
            compiler_cache.clear_cache()
            linecache.clearcache()
            for name in os.listdir(self.work):
                os.remove(os.path.join(self.work, name))

    def found(self, program, verdict):
        s = self.summary
        same = [f for f in s.findings if f.mode == verdict.mode and f.status == verdict.status]
        if verdict.status != "wrong":
            for f in same:
                if f.key == verdict.key:
                    f.count += 1
                    return
        else:
            tokens = token_set(program)
            for f in same:
                if f.tokens <= tokens:
                    f.count += 1
                    return
        shrunk, final = program, verdict
        if self.shrink and self.shrinks[(verdict.mode, verdict.status)] < self.max_shrinks:
            self.shrinks[(verdict.mode, verdict.status)] += 1
            shrunk, final = Shrinker(program, verdict, self.work, self.shrink_budget).run()
        tokens = token_set(shrunk)
        if verdict.status == "wrong":
            for f in same:
                if f.tokens == tokens:
                    f.count += 1
                    return
        finding = Finding(
            verdict.mode, verdict.status, final.detail, verdict.key, program.name, program.themes, tokens=tokens
        )
        s.findings.append(finding)
        if self.out:
            stem = f"{verdict.mode}-{verdict.status}-{len(s.findings):03d}"
            options = (f" --themes {','.join(self.themes)}" if self.themes else "") + (
                f" --exclude {','.join(self.exclude)}" if self.exclude else ""
            )
            origin = (
                f"`python tools/fuzz.py --seed {self.seed} --start {program.name.split('_')[1]} --count 1{options}`"
            )
            finding.repro = write_repro(shrunk, final, origin, self.out, stem)
            with open(os.path.join(self.out, "findings.jsonl"), "a") as fh:
                row = asdict(finding)
                row["tokens"] = sorted(finding.tokens)
                fh.write(json.dumps(row) + "\n")
        self.log(
            f"NEW {verdict.mode} {verdict.status} ({program.name}, themes {','.join(program.themes)}): "
            f"{final.detail}" + (f" -> {finding.repro}" if finding.repro else "")
        )
