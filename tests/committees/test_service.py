"""Committees, memberships, filing, co-signatures and the debate, on the real database.

Also the small world the other database tests of committees build on (`make_world`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from committees import proposals, service
from committees.charter import CharterError
from committees.errors import NotFound, Refused
from committees.lifecycle import Status
from committees.tables import Proposal, Signature
from regie.tables import Account, Household

pytestmark = pytest.mark.db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TERRITORY = "dunkerque"

CHARTER = """
co_signatures = 3
vote_duration_days = 7
secrecy = "{secrecy}"
quorum = "1/3"
"""

TARIFF = """
[tariff]
name = "Eau solidaire"
service = "water"
currency = "EUR"
unit = "m^3"
period = "year"
valid_from = {valid_from}

[[standing_charge]]
name = "Abonnement"
amount = "48.00"
vat = "5.5"

[[block]]
name = "Eau essentielle"
up_to = "75"
price = "{essential}"
social_price = "0.32"
vat = "5.5"

[[block]]
name = "Eau de confort"
price = "2.04"
vat = "5.5"
"""


def tariff_text(essential: str = "0.83", valid_from: str = "2026-07-01") -> str:
    return TARIFF.format(essential=essential, valid_from=valid_from)


@dataclass
class World:
    committee: int
    # college → account ids of its members (seated at T0 - 30 days)
    members: dict[str, list[int]] = field(default_factory=dict)
    households: list[int] = field(default_factory=list)  # account ids, one per household
    outsider: int = 0  # a household account of another territory
    stranger: int = 0  # an account without household nor membership


async def account(login: str, household: int | None = None) -> int:
    row = Account(login=login, name=login.split("@")[0].title(), household=household, created_at=T0)
    await row.save()
    return int(row.id)


async def household(ref: str, territory: str = TERRITORY) -> int:
    row = Household(reference=ref, name=f"Foyer {ref}", territory=territory)
    await row.save()
    return int(row.id)


async def make_world(
    *, sizes: tuple[int, int, int] = (3, 3, 4), households: int = 6, secrecy: str = "secret"
) -> World:
    committee = await service.create_committee(
        "Comité de l'eau", "water", TERRITORY, CHARTER.format(secrecy=secrecy), now=T0
    )
    world = World(committee)
    for college, size in zip(("public", "operators", "users"), sizes, strict=True):
        world.members[college] = []
        for i in range(size):
            a = await account(f"{college}{i}@example.org")
            await service.add_member(
                committee, a, college, starts_at=T0 - timedelta(days=30), now=T0
            )
            world.members[college].append(a)
    for i in range(households):
        h = await household(f"H{i}")
        world.households.append(await account(f"foyer{i}@example.org", h))
    world.outsider = await account("ailleurs@example.org", await household("X1", "lille"))
    world.stranger = await account("personne")
    return world


async def on_agenda(world: World, *, tariff: str | None = None, amends: int | None = None) -> int:
    """A tariff proposal filed by household 0 and co-signed by households 1 to 3."""
    p = await proposals.file_proposal(
        world.households[0],
        world.committee,
        "tariff_change",
        "Baisser l'eau essentielle",
        body="L'eau essentielle à 0,60 €/m³.",
        tariff_text=tariff or tariff_text("0.60"),
        amends=amends,
        now=T0,
    )
    if (await proposals.get_proposal(p)).status == Status.DRAFT:
        for a in world.households[1:4]:
            await proposals.sign_proposal(a, p, now=T0 + timedelta(hours=1))
    return p


# -- committees and memberships -------------------------------------------------------------


async def test_a_committee_keeps_its_charter_and_colleges(db: str) -> None:
    world = await make_world()
    info = await service.get_committee("Comité de l'eau")
    assert info.id == world.committee and info.charter.co_signatures == 3
    assert info.charter.college_names == ("public", "operators", "users")
    assert [c.name for c in await service.list_committees()] == ["Comité de l'eau"]
    seated = await service.members(world.committee, T0)
    assert len(seated) == 10 and {m.college for m in seated} == {"public", "operators", "users"}


async def test_an_invalid_charter_is_refused_naming_the_field(db: str) -> None:
    with pytest.raises(CharterError, match=r"colleges\.users"):
        await service.create_committee(
            "C", "water", TERRITORY, "[colleges.public]\n[colleges.operators]\n", now=T0
        )
    with pytest.raises(CharterError, match="not valid JSON"):
        await service.create_committee("C", "water", TERRITORY, "{", fmt="json", now=T0)
    committee = await service.create_committee(
        "C", "water", TERRITORY, '{"co_signatures": 2}', fmt="json", now=T0
    )
    assert (await service.get_committee(committee)).charter.co_signatures == 2


async def test_one_committee_per_service_and_territory(db: str) -> None:
    await service.create_committee("A", "water", TERRITORY, "", now=T0)
    with pytest.raises(Refused) as refused:
        await service.create_committee("B", "water", TERRITORY, "", now=T0)
    assert refused.value.reason == "committee_exists"
    await service.create_committee("B", "electricity", TERRITORY, "", now=T0)


async def test_one_college_at_a_time_and_dated_memberships(db: str) -> None:
    world = await make_world()
    someone = world.members["users"][0]
    with pytest.raises(Refused, match="already sits"):
        await service.add_member(world.committee, someone, "public", starts_at=T0, now=T0)
    await service.end_membership(world.committee, someone, ends_at=T0, now=T0)
    await service.add_member(
        world.committee, someone, "public", starts_at=T0 + timedelta(days=1), now=T0
    )
    assert (await service.membership_at(world.committee, someone, T0 - timedelta(days=1))) == (
        service.Member(someone, "Users0", "users", T0 - timedelta(days=30), T0)
    )
    assert await service.membership_at(world.committee, someone, T0) is None
    later = await service.membership_at(world.committee, someone, T0 + timedelta(days=2))
    assert later is not None and later.college == "public"
    with pytest.raises(NotFound):
        await service.add_member(world.committee, someone, "elders", starts_at=T0, now=T0)


# -- filing, co-signatures, debate ----------------------------------------------------------


async def test_a_household_proposal_reaches_the_agenda_with_its_co_signatures(db: str) -> None:
    world = await make_world()
    p = await proposals.file_proposal(
        world.households[0],
        world.committee,
        "tariff_change",
        "Eau essentielle",
        tariff_text=tariff_text("0.60"),
        now=T0,
    )
    draft = await proposals.get_proposal(p)
    assert draft.status == Status.DRAFT and draft.effective_on.isoformat() == "2026-07-01"
    with pytest.raises(Refused) as own:
        await proposals.sign_proposal(world.households[0], p, now=T0)
    assert own.value.reason == "author_household"
    assert await proposals.sign_proposal(world.households[1], p, now=T0) == 1
    with pytest.raises(Refused) as twice:
        await proposals.sign_proposal(world.households[1], p, now=T0)
    assert twice.value.reason == "already_signed"
    with pytest.raises(Refused) as outside:
        await proposals.sign_proposal(world.outsider, p, now=T0)
    assert outside.value.reason == "not_of_territory"
    assert await proposals.sign_proposal(world.households[2], p, now=T0) == 2
    assert (await proposals.get_proposal(p)).status == Status.DRAFT
    assert await proposals.sign_proposal(world.households[3], p, now=T0 + timedelta(hours=2)) == 3
    view = await proposals.get_proposal(p)
    assert view.status == Status.DEBATE and view.agenda_at == T0 + timedelta(hours=2)
    with pytest.raises(Refused) as late:
        await proposals.sign_proposal(world.households[4], p, now=T0)
    assert late.value.reason == "not_collecting"


async def test_one_signature_per_household_is_a_database_key(db: str) -> None:
    world = await make_world()
    p = await proposals.file_proposal(
        world.households[0], world.committee, "free_motion", "Fontaines", now=T0
    )
    h = (await Account.select(Account.household).where(Account.id == world.households[1]))[0]
    await Signature(
        proposal=p, household=h["household"], account=world.households[1], signed_at=T0
    ).save()
    with pytest.raises(Exception, match=r"(?i)unique"):
        await Signature(
            proposal=p, household=h["household"], account=world.households[1], signed_at=T0
        ).save()


async def test_who_may_file_and_what(db: str) -> None:
    world = await make_world()
    for who in (world.outsider, world.stranger):
        with pytest.raises(Refused) as refused:
            await proposals.file_proposal(who, world.committee, "free_motion", "X", now=T0)
        assert refused.value.reason == "not_of_territory"
    with pytest.raises(Refused) as bad:
        await proposals.file_proposal(
            world.households[0],
            world.committee,
            "tariff_change",
            "X",
            tariff_text=tariff_text().replace('"water"', '"electricity"'),
            now=T0,
        )
    assert bad.value.reason in ("invalid_tariff", "wrong_service")
    with pytest.raises(Refused) as invalid:
        await proposals.file_proposal(
            world.households[0],
            world.committee,
            "tariff_change",
            "X",
            tariff_text="[tariff]\nname = 1\n",
            now=T0,
        )
    assert invalid.value.reason == "invalid_tariff"
    with pytest.raises(Refused) as kind:
        await proposals.file_proposal(world.households[0], world.committee, "coup", "X", now=T0)
    assert kind.value.reason == "unknown_kind"
    # A member puts an item on the agenda directly: the committee sets its own agenda.
    p = await proposals.file_proposal(
        world.members["operators"][0],
        world.committee,
        "work_organisation",
        "Astreintes",
        details={"rota": "weekly"},
        now=T0,
    )
    view = await proposals.get_proposal(p)
    assert view.status == Status.DEBATE and view.household is None
    assert view.details == {"rota": "weekly"}


async def test_the_debate_takes_comments_until_the_decision(db: str) -> None:
    world = await make_world()
    p = await on_agenda(world)
    await proposals.comment(world.households[5], p, "Et les fuites ?", now=T0)
    await proposals.comment(world.members["public"][0], p, "À voir au budget.", now=T0)
    with pytest.raises(Refused):
        await proposals.comment(world.outsider, p, "Bonjour", now=T0)
    assert [c[:2] for c in await proposals.comments(p)] == [
        ("Foyer5", "Et les fuites ?"),
        ("Public0", "À voir au budget."),
    ]
    await Proposal.update({Proposal.status: "rejected"}).where(Proposal.id == p)
    with pytest.raises(Refused) as closed:
        await proposals.comment(world.households[5], p, "Trop tard", now=T0)
    assert closed.value.reason == "debate_closed"


# -- the command line -----------------------------------------------------------------------


async def regie(*args: str) -> tuple[int, str]:
    """`regie …` through click's runner, in a thread (the command runs its own event loop)."""
    import asyncio

    from click.testing import CliRunner

    from regie.cli import main

    result = await asyncio.to_thread(CliRunner().invoke, main, list(args))
    return result.exit_code, result.output


async def test_committee_commands(db: str, tmp_path: Path) -> None:
    charter = tmp_path / "charter.toml"
    charter.write_text(CHARTER.format(secrecy="named"), encoding="utf-8")
    code, out = await regie(
        "committee",
        "create",
        "--charter",
        str(charter),
        "--name",
        "Eau",
        "--service",
        "water",
        "--territory",
        TERRITORY,
    )
    assert code == 0 and "created: Eau (water, dunkerque)" in out, out
    bad = tmp_path / "bad.json"
    bad.write_text('{"quorum": 0.5}', encoding="utf-8")
    code, out = await regie(
        "committee",
        "create",
        "--charter",
        str(bad),
        "--name",
        "Elec",
        "--service",
        "electricity",
        "--territory",
        TERRITORY,
    )
    assert code == 1 and "invalid charter: quorum" in out, out
    await account("alice@example.org")
    code, out = await regie(
        "committee",
        "add-member",
        "Eau",
        "--login",
        "alice@example.org",
        "--college",
        "users",
        "--from",
        "2026-01-05",
    )
    assert code == 0 and "sits in the users college of Eau" in out, out
    code, out = await regie(
        "committee", "add-member", "Eau", "--login", "alice@example.org", "--college", "public"
    )
    assert code == 1 and "already sits" in out
    code, out = await regie(
        "committee", "add-member", "Eau", "--login", "bob", "--college", "public"
    )
    assert code == 1 and "no account with login 'bob'" in out
    code, out = await regie("committee", "list")
    assert out.split("\t")[1:4] == ["Eau", "water", TERRITORY]
    assert "public 0, operators 0, users 1" in out
    code, out = await regie("committee", "members", "Eau")
    assert out.startswith("users\tAlice\tsince 2026-01-05"), out
    code, out = await regie("committee", "end-member", "Eau", "--login", "alice@example.org")
    assert code == 0
    code, out = await regie("committee", "members", "Eau")
    assert out == ""
    code, out = await regie("log", "show")
    kinds = [line.split("\t")[2] for line in out.splitlines()]
    assert kinds == ["committee_created", "member_joined", "member_left"]
    code, out = await regie("committee", "deadlines")
    assert code == 0 and out.startswith("closed 0, enacted 0")


async def test_proposals_are_listed_with_their_signatures(db: str) -> None:
    world = await make_world()
    p = await on_agenda(world)
    q = await proposals.file_proposal(
        world.households[4], world.committee, "access", "Bornes", now=T0
    )
    listed = await proposals.list_proposals(world.committee)
    assert [(v.id, v.status, v.signatures) for v in listed] == [
        (p, "debate", 3),
        (q, "draft", 0),
    ]
    assert [v.id for v in await proposals.list_proposals(world.committee, "draft")] == [q]
