"""A model of a real account against an oracle that knows every cent.

Random runs of spend (granted credit first, then paid, as DeepSeek takes fees),
top-ups, grants, polls at the set interval and gaps of any length, restarts
(the memory written and read back), the clock set back up to 3 hours, the rows in
either order, and a USD row that comes and goes. The oracle knows what was really
spent and what really arrived; after every poll each figure must be exact, or
marked (``exact: false``, ``complete: false``) and then a true lower bound.

What one poll interval can hide (spend and a top-up in the same 30 s) counts as
exact by design: the oracle allows that interval's spend there, and no more.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from custom_components.deepseek_balance.account import (
    EntryMemory,
    Limits,
    PollTime,
    remember_poll,
)
from custom_components.deepseek_balance.activity import ActivityEvent, FiredActivity
from custom_components.deepseek_balance.api import Balance, CurrencyBalance, Snapshot
from custom_components.deepseek_balance.storage import memory_as_dict, memory_from_dict

POLL = timedelta(seconds=30)
START = datetime(2026, 11, 10, tzinfo=UTC)  # a run stays within November
NO_LIMITS = Limits(Decimal(0), Decimal(0))
CENT = Decimal("0.01")

cents = st.integers(1, 5_000).map(lambda n: n * CENT)
steps = st.one_of(
    st.tuples(st.just("spend"), cents),
    st.tuples(st.just("top_up"), cents),
    st.tuples(st.just("grant"), cents),
    st.tuples(
        st.just("poll"),
        st.sampled_from([30, 30, 30, 31, 600, 3_600, 6 * 3_600]).map(
            lambda s: timedelta(seconds=s)
        ),
    ),
    st.tuples(st.just("restart"), st.none()),
    st.tuples(
        st.just("clock_back"),
        st.integers(60, 3 * 3_600).map(lambda s: timedelta(seconds=s)),
    ),
    st.tuples(st.just("usd"), st.booleans()),
    st.tuples(st.just("reorder"), st.booleans()),
)


@dataclass
class Interval:
    """What really happened since the last poll."""

    spent: Decimal = Decimal(0)
    top_up: Decimal = Decimal(0)
    grant: Decimal = Decimal(0)
    granted_before: Decimal = Decimal(0)
    paid_before: Decimal = Decimal(0)

    def hides_money(self, granted: Decimal, paid: Decimal) -> bool:
        """Whether money arrived that its part does not show as a rise.

        Spend took it again within the interval: the integration cannot see it
        (README, "Known limitations"), and every figure of the interval is then
        held to what can be seen.
        """
        return bool(
            (self.top_up and paid <= self.paid_before)
            or (self.grant and granted <= self.granted_before)
        )


@dataclass
class Account:
    """The oracle: the account as DeepSeek holds it."""

    granted: Decimal = Decimal(10)
    paid: Decimal = Decimal(100)
    spent: Decimal = Decimal(0)  # since the first poll
    interval: Interval = field(default_factory=Interval)
    # What may hide by design, summed over the run: one poll's spend, or the
    # spend of an interval whose money arrived and was spent again unseen.
    slack: Decimal = Decimal(0)

    def spend(self, amount: Decimal) -> None:
        """Take fees as DeepSeek does: granted credit first, then paid."""
        amount = min(amount, self.granted + self.paid)
        from_granted = min(amount, self.granted)
        self.granted -= from_granted
        self.paid -= amount - from_granted
        self.spent += amount
        self.interval.spent += amount

    def top_up(self, amount: Decimal) -> None:
        """Paid credit arrives."""
        self.paid += amount
        self.interval.top_up += amount

    def grant(self, amount: Decimal) -> None:
        """Granted credit arrives."""
        self.granted += amount
        self.interval.grant += amount

    def balance(self, *, usd: bool, usd_first: bool) -> Balance:
        """The answer of /user/balance, the USD row of zeros where asked."""
        rows = [
            CurrencyBalance("CNY", self.granted + self.paid, self.granted, self.paid)
        ]
        if usd:
            zero = CurrencyBalance("USD", Decimal(0), Decimal(0), Decimal(0))
            rows.insert(0 if usd_first else 1, zero)
        return Balance(is_available=True, balances=tuple(rows))


class Run:
    """The integration's memory, fed the account's answers, checked at each poll."""

    def __init__(self) -> None:
        """The first poll, at the start of the run."""
        self.account = Account()
        self.memory = EntryMemory()
        self.now = self.last_poll = START
        self.usd = self.usd_first = False
        self.poll()

    def poll(self) -> None:
        """Poll at ``now`` and hold every figure against the oracle."""
        account, interval = self.account, self.account.interval
        one_poll = timedelta(0) <= self.now - self.last_poll <= POLL * 1.5
        data = remember_poll(
            self.memory,
            Snapshot(account.balance(usd=self.usd, usd_first=self.usd_first), None),
            PollTime(self.now, UTC, POLL),
            NO_LIMITS,
        )
        hides = interval.hides_money(account.granted, account.paid)
        hidden = interval.spent if one_poll or hides else Decimal(0)
        account.slack += hidden
        for event in data.activities:
            amount = Decimal(str(event.attributes["amount"]))
            arrived = getattr(interval, event.event_type)
            assert amount <= arrived, (event, interval)
            if event.attributes["exact"]:
                assert amount >= arrived - hidden, (event, interval)
        self._fire(data.activities)
        figures = data.spend["CNY"]
        assert figures.month <= account.spent, (figures, account)
        if figures.month_complete:
            assert figures.month >= account.spent - account.slack, (figures, account)
        for estimate in (figures.daily_average, figures.days_remaining):
            assert estimate is None or estimate >= 0
        account.interval = Interval(
            granted_before=account.granted, paid_before=account.paid
        )
        self.last_poll = self.now

    def _fire(self, events: tuple[ActivityEvent, ...]) -> None:
        """Fire the events as the event entity does."""
        if events:
            last = events[-1]
            self.memory.last_known.note_fired(
                events,
                FiredActivity(last.event_type, self.now.isoformat(), last.attributes),
            )

    def step(self, action: str, value: object) -> None:
        """One thing that happens to the account, to the clock or to the entry."""
        match action, value:
            case "spend", Decimal():
                self.account.spend(value)
            case "top_up", Decimal():
                self.account.top_up(value)
            case "grant", Decimal():
                self.account.grant(value)
            case "poll", timedelta():
                self.now += value
                self.poll()
            case "clock_back", timedelta():
                self.now -= value
                self.poll()
            case "restart", _:
                self.memory = memory_from_dict(memory_as_dict(self.memory))
            case "usd", bool():
                self.usd = value
            case "reorder", bool():
                self.usd_first = value


# Derandomized: the same runs every time, so that CI never depends on luck.
@settings(max_examples=1000, deadline=None, derandomize=True)
@given(st.lists(steps, max_size=60))
def test_every_figure_is_exact_or_a_marked_lower_bound(
    steps_of_a_run: list[tuple[str, object]],
) -> None:
    run = Run()
    for action, value in steps_of_a_run:
        run.step(action, value)
