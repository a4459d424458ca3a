"""Issue 4's full scenario: a household's tariff proposal, co-signed, debated and voted; the
users' college vetoes it, adopts an amended version, and the next billing run uses it."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from committees import log, notify, proposals, votes
from committees.enact import run_deadlines
from committees.lifecycle import Status
from committees.rules import Result
from committees.verify import verify_log
from metering.tables import DailyUsage, Meter
from regie.cli import main
from tests.committees.test_service import T0, make_world, tariff_text

pytestmark = pytest.mark.db

TERRITORY = "dunkerque"


async def use_water(account_household: int, first: date, last: date, litres: int) -> None:
    meter = Meter(serial=f"W-{account_household}", service="water", household=account_household)
    await meter.save()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    await DailyUsage.insert(
        *(DailyUsage(meter=meter.id, day=day, register="total", consumption=litres) for day in days)
    )


async def vote_all(
    proposal: int, ballots: dict[str, list[int]], members: dict[str, list[int]], now: datetime
) -> None:
    """ballots: college → one choice per member, 1 yes, 0 no."""
    for college, choices in ballots.items():
        for member, choice in zip(members[college], choices, strict=True):
            await votes.cast_vote(member, proposal, "yes" if choice else "no", now=now)


async def test_a_household_proposal_vetoed_then_amended_adopted_enacted_and_billed(
    db: str,
) -> None:
    from tariffs.billing import bill_period
    from tariffs.bills import list_bills
    from tariffs.service import create_version, list_versions

    world = await make_world()
    members = world.members
    # Set-up: the régie's operators enter the tariff in force (the only version without a vote).
    setup = await create_version(tariff_text("0.83", "2026-01-01"), TERRITORY, origin="setup")
    home = await _household_of(world.households[0])
    await use_water(home, date(2026, 6, 1), date(2026, 7, 31), 200)
    june = await bill_period("2026-06", now=datetime(2026, 7, 1, 6, tzinfo=UTC))
    assert june.issued == 1

    # 1. A household files a price rise of essential water (hoping to fund leak repairs).
    first = await proposals.file_proposal(
        world.households[0],
        world.committee,
        "tariff_change",
        "Réparer les fuites",
        body="Financer les fuites par l'eau essentielle.",
        tariff_text=tariff_text("1.10", "2026-07-01"),
        now=T0,
    )
    # 2. It gathers the charter's three co-signatures and reaches the agenda.
    for signer in world.households[1:4]:
        await proposals.sign_proposal(signer, first, now=T0 + timedelta(days=1))
    assert (await proposals.get_proposal(first)).status == Status.DEBATE
    # 3. The committee debates.
    await proposals.comment(
        members["users"][0],
        first,
        "L'eau essentielle doit rester basse.",
        now=T0 + timedelta(days=2),
    )
    await proposals.comment(
        world.households[0], first, "Alors le confort, plutôt ?", now=T0 + timedelta(days=2)
    )
    # 4. The vote: public actors and operators for, the users' college against.
    opened = T0 + timedelta(days=3)
    deadline = await votes.open_vote(first, now=opened)
    await vote_all(
        first,
        {"public": [1, 1, 1], "operators": [1, 1, 1], "users": [0, 0, 0, 1]},
        members,
        opened + timedelta(hours=1),
    )
    run = await run_deadlines(deadline)
    assert run.closed == [first] and run.enacted == []
    vetoed = await proposals.get_proposal(first)
    # Weighted yes (1 + 1 + 1/4) / 3 = 3/4: a majority; the users' no is 3/4 > 1/2: vetoed.
    assert vetoed.status == Result.VETOED and vetoed.weighted_yes == "3/4"
    assert [v.id for v in await list_versions()] == [setup.id]  # nothing enacted

    # 5. The author's household amends it: essential water lower, comfort water dearer.
    amended_text = tariff_text("0.70", "2026-07-01").replace('"2.04"', '"2.60"')
    second = await proposals.file_proposal(
        world.households[0],
        world.committee,
        "tariff_change",
        "Le confort paie les fuites",
        tariff_text=amended_text,
        amends=first,
        now=deadline + timedelta(days=1),
    )
    assert (await proposals.get_proposal(second)).status == Status.DEBATE  # back on the agenda
    opened2 = deadline + timedelta(days=2)
    deadline2 = await votes.open_vote(second, now=opened2)
    await vote_all(
        second,
        {"public": [1, 1, 0], "operators": [1, 1, 1], "users": [1, 1, 1, 0]},
        members,
        opened2 + timedelta(hours=1),
    )
    # A user changes her mind before the deadline; the history keeps both choices.
    await votes.cast_vote(members["users"][3], second, "yes", now=deadline2 - timedelta(hours=1))
    # 6. The scheduler closes the vote at its deadline and enacts the decision.
    run = await run_deadlines(deadline2 + timedelta(minutes=1))
    assert run.closed == [second] and run.enacted == [second]
    enacted = await proposals.get_proposal(second)
    assert enacted.status == Status.ENACTED and enacted.result == Result.ADOPTED
    versions = await list_versions()
    assert len(versions) == 2
    decided = versions[-1]
    assert decided.origin == "decision" and decided.decision_ref == f"proposal:{second}"
    assert decided.valid_from == date(2026, 7, 1) and decided.toml == amended_text
    again = await run_deadlines(deadline2 + timedelta(minutes=2))  # idempotent
    assert again.closed == [] and again.enacted == [] and len(await list_versions()) == 2

    # 7. The next billing run prices July with the adopted tariff.
    july = await bill_period("2026-07", now=datetime(2026, 8, 1, 6, tzinfo=UTC))
    assert july.issued == 1
    [bill] = await list_bills(period="2026-07")
    assert list(bill.tariff_versions) == [decided.id]
    prices = {line["name"]: line["unit_price"] for line in bill.detail["lines"]}
    assert prices["Eau essentielle"] == "0.70"
    [june_bill] = await list_bills(period="2026-06")
    assert {line["name"]: line["unit_price"] for line in june_bill.detail["lines"]}[
        "Eau essentielle"
    ] == "0.83"

    # 8. The households that signed were told; the public log tells the whole story, and holds.
    assert sorted(n.kind for n in await notify.notifications(world.households[2])) == [
        "decided",
        "on_agenda",
    ]
    story = [e.kind for e in await log.entries(proposal=second)]
    assert story[:3] == ["proposal_filed", "reached_agenda", "vote_opened"]
    assert story[-3:] == ["vote_closed", "tariff_version_created", "decision_enacted"]
    assert story.count("vote_cast") == 11
    assert (await verify_log()).ok
    result = await asyncio.to_thread(CliRunner().invoke, main, ["log", "verify"])
    assert result.exit_code == 0 and result.output.startswith("ok:")


async def _household_of(account: int) -> int:
    from regie.tables import Account

    row = await Account.select(Account.household).where(Account.id == account).first()
    assert row is not None
    return int(row["household"])


async def test_an_adopted_overconsumption_rule_becomes_the_territory_rule_set(db: str) -> None:
    import tomllib

    from committees.errors import Refused
    from metering.regulation.defaults import DEFAULTS
    from metering.regulation.service import rule_sets_in_force

    world = await make_world()
    rules = tomllib.loads(DEFAULTS.read_text(encoding="utf-8"))["water"]
    rules["close_after_days"] = 5
    with pytest.raises(Refused) as invalid:
        await proposals.file_proposal(
            world.households[0],
            world.committee,
            "overconsumption_rule",
            "Règles",
            details={**rules, "service": "electricity"},
            now=T0,
        )
    assert invalid.value.reason == "invalid_rules"
    p = await proposals.file_proposal(
        world.members["users"][0],
        world.committee,
        "overconsumption_rule",
        "Cas clos après cinq jours",
        details=rules,
        effective_on=date(2026, 4, 1),
        now=T0,
    )
    deadline = await votes.open_vote(p, now=T0)
    for members in world.members.values():
        for member in members:
            await votes.cast_vote(member, p, "yes", now=T0 + timedelta(hours=1))
    run = await run_deadlines(deadline)
    assert run.enacted == [p] and (await proposals.get_proposal(p)).status == Status.ENACTED
    in_force = await rule_sets_in_force(date(2026, 4, 1))
    rule_set, version = in_force[(TERRITORY, "water")]
    assert rule_set.close_after_days == 5 and version is not None
    assert [e.kind for e in await log.entries(proposal=p)][-2:] == [
        "rule_set_adopted",
        "decision_enacted",
    ]
    assert (await verify_log()).ok
