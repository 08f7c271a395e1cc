"""What a feed entry says about its paper: a date that never moves, and its categories.

Feed readers show an entry as new when its `<updated>` changes, so an entry's date depends
on its own paper only, never on the rest of the catalog or on the clock: the paper's date
when the listing printed one with a year, else the day the first listing that had it was
captured (`capture_dates` in `content/site.yaml`), else a fixed "unknown" date.
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping

from sitegen.catalog.records import Paper

# No date and no capture date: the Unix epoch, which reads as "undated" and never changes.
UNKNOWN_DATE = dt.date(1970, 1, 1)


def entry_date(paper: Paper, capture_dates: Mapping[str, dt.date]) -> dt.date:
    """The day a feed entry is dated: its own, or when a listing first showed it."""
    if paper.date is not None and paper.date.year is not None:
        return paper.date.first_day()  # a year alone or a year and month: the first day they hold
    captured = [capture_dates[o.file] for o in paper.occurrences if o.file in capture_dates]
    return min(captured, default=UNKNOWN_DATE)


def atom_time(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"
