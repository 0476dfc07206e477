"""Round files that once ended in a traceback, ran out of memory or left a round waiting for ever.

Each case writes `round.yaml` (and what it needs) into a folder and gives the message that must refuse it,
with the file's line and the key.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROUND = """\
slug: {slug}
title: {{de: "{title}"}}
questionnaire: {questionnaire}
time_zone: {time_zone}
coordinator: {{name: Geschäftsstelle, email: stelle@peer-review.example}}
deadlines: {{submission: {submission}, review: P42D, comment: P56D}}
assignment: {{max_load: {max_load}}}
"""
DEFAULTS = {
    "slug": "fruehjahr-2027",
    "title": "Frühjahrsrunde",
    "questionnaire": "smart-city-self-assessment",
    "time_zone": "Europe/Berlin",
    "submission": "P21D",
    "max_load": "4",
}
# "Billion laughs": nine lists of nine aliases to the one before, a billion strings once expanded.
ALIAS_BOMB = 'lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"lol{n}: &lol{n} [{', '.join([f'*lol{n - 1}'] * 9)}]\n" for n in range(1, 9)
)


@dataclass(frozen=True)
class HostileRoundFile:
    name: str
    expected: str  # what the refusal says, after "round.yaml:"
    fields: dict[str, str]
    extra: str = ""
    prepare: Callable[[Path], None] | None = None
    also: str = ""  # a second part of the message, where a path stands between

    def refused(self, message: str) -> bool:
        """Whether `message` refuses the file with the reason, naming the file, line and key."""
        return f"round.yaml:{self.expected}" in message and self.also in message

    def write(self, folder: Path) -> Path:
        if self.prepare is not None:
            self.prepare(folder)
        path = folder / "round.yaml"
        path.write_text(ROUND.format(**{**DEFAULTS, **self.fields}) + self.extra, encoding="utf-8")
        return path


HOSTILE_ROUND_FILES = [
    HostileRoundFile(
        "alias bomb", "13: lol5: holds more than 100,000 values once its aliases are expanded", {}, ALIAS_BOMB
    ),
    HostileRoundFile(
        "python tag",
        "1: slug: the tag !!python/object/apply:os.system is not allowed (plain YAML only)",
        {"slug": '!!python/object/apply:os.system ["true"]'},
    ),
    HostileRoundFile(
        "endless duration", "6: deadlines.submission: 'P9999999D' is longer than 3 years", {"submission": "P9999999D"}
    ),
    HostileRoundFile("max_load 1e20", "7: assignment.max_load: Input should be a valid integer", {"max_load": "1e20"}),
    HostileRoundFile(
        "max_load beyond the store",
        "7: assignment.max_load: Input should be less than or equal to 50",
        {"max_load": "100000000000000000000"},
    ),
    HostileRoundFile(
        "questionnaire /dev/zero",
        "3: questionnaire: /dev/zero: is not a regular file (it is a device)",
        {"questionnaire": "/dev/zero"},
    ),
    HostileRoundFile(
        "questionnaire is a named pipe",
        "3: questionnaire: ",  # the path of the pipe follows, then the reason
        {"questionnaire": "pipe.yaml"},
        prepare=lambda folder: os.mkfifo(folder / "pipe.yaml"),
        also="pipe.yaml: is not a regular file (it is a named pipe)",
    ),
    HostileRoundFile(
        "deadline in the year 9999",
        "6: deadlines.submission: 9999-12-31 is more than 3 years from today",
        {"submission": "9999-12-31"},
    ),
    HostileRoundFile(
        "deadline in the year 9999, west of UTC",
        "6: deadlines.submission: 9999-12-31 is more than 3 years from today",
        {"submission": "9999-12-31", "time_zone": "America/Los_Angeles"},
    ),
    HostileRoundFile("impossible date", "6: not valid YAML: '2027-02-30' cannot be read", {"submission": "2027-02-30"}),
    HostileRoundFile(
        "NUL in the title", "2: title.de: contains the control character U+0000", {"title": "Runde\\0eins"}
    ),
]
