"""Operators' tariff drafts: the TOML editor with live validation (problems by line) and a
quote calculator that prices a use with the engine as `regie tariff quote` does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

from babel.numbers import format_decimal
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

import tariffs
from regie.web import i18n
from regie.web import operator_data as views
from regie.web.guards import require_operator
from regie.web.i18n import BABEL_LOCALE, gettext
from regie.web.refusals import worded
from regie.web.render import page
from tariffs.drafts import DraftNotFound, delete_draft, get_draft, list_drafts, save_draft
from tariffs.engine import PricingError, parse_quantity, price_period
from tariffs.model import Bill, Tariff, TariffProblem
from tariffs.service import InvalidTariff, TariffError, list_versions
from tariffs.tariff_file import parse_tariff

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
EXAMPLES = Path(tariffs.__file__).parent / "examples"
MAX_TOML = 200_000
_NUMBER = re.compile(r"^\s*\d+(?:[.,]\d+)?\s*$")
SKELETON = """\
[tariff]
name = "New tariff"
service = "water"
currency = "EUR"
unit = "m^3"
period = "year"
valid_from = 2027-01-01

[[standing_charge]]
name = "Subscription"
amount = "48.00"
vat = "5.5"

[[block]]
name = "Essential water"
up_to = "75"
price = "0.83"
social_price = "0.32"
vat = "5.5"

[[block]]
name = "Comfort water"
price = "2.04"
vat = "5.5"
"""


@dataclass
class Quote:
    """What the calculator shows: the bill, or why there is none yet."""

    bill: Bill | None = None
    problems: list[str] = field(default_factory=list)
    tariff: Tariff | None = None


def quantity(text: str, tariff: Tariff) -> Fraction:
    """A use as typed: "120 m^3", "120000 L", or a bare number in the tariff's unit ("12,5")."""
    if _NUMBER.match(text):
        text = f"{text.strip().replace(',', '.')} {tariff.unit}"
    return parse_quantity(text, tariff.service, tariff.unit)


def register_uses(text: str, tariff: Tariff) -> dict[str, Fraction] | None:
    """`hp = 1500 kWh` per line (or separated by `;`) → use per register, in the tariff's unit;
    the form's own mistakes are told in the page's language, the engine's as it keeps them."""
    uses: dict[str, Fraction] = {}
    for item in re.split(r"[\n;]", text):
        if not item.strip():
            continue
        name, sep, amount = item.partition("=")
        name = name.strip()
        if not sep or not name:
            why = gettext("%(item)s: write NAME = QUANTITY, e.g. hc = 1500 kWh")
            raise PricingError(why % {"item": repr(item.strip())})
        if name in uses:
            raise PricingError(gettext("register %(name)s is given twice") % {"name": repr(name)})
        uses[name] = quantity(amount.strip().strip("\"'"), tariff)
    return uses or None


def quote(toml: str, values: dict[str, str]) -> Quote:
    """Price the use in `values` by the tariff being written, as `regie tariff quote` does."""
    tariff, _ = parse_tariff(toml, "draft")
    if tariff is None:
        return Quote(problems=[gettext("Fix the tariff's problems to get a quote.")])
    usage = values.get("usage", "").strip()
    registers_text = values.get("registers", "")
    persons_text = values.get("persons", "").strip()
    if not usage and not registers_text.strip():
        return Quote(
            tariff=tariff, problems=[gettext("Give the use, or the use of each register.")]
        )
    persons: int | None = None
    if persons_text:
        if not persons_text.isdigit():
            return Quote(tariff=tariff, problems=[gettext("Persons is a whole number.")])
        persons = int(persons_text)
    if tariff.per_person and persons is None:
        why = gettext("The blocks of this tariff grow with the household: give the persons.")
        return Quote(tariff=tariff, problems=[why])
    try:
        total = quantity(usage, tariff) if usage else None
        bill = price_period(
            tariff, total, persons=persons, social=bool(values.get("social")),
            registers=register_uses(registers_text, tariff),
        )  # fmt: skip
    except PricingError as error:
        return Quote(tariff=tariff, problems=[worded(error)])
    return Quote(bill=bill, tariff=tariff)


def exact(value: Decimal) -> str:
    """A quantity, rate or unit price to six decimals at most, per locale ("0,1696")."""
    return format_decimal(value, format="#,##0.######", locale=BABEL_LOCALE[i18n.current.get()])


def checked(toml: str) -> list[TariffProblem]:
    if len(toml) > MAX_TOML:
        return [TariffProblem("draft", "", gettext("The tariff is too long."))]
    return parse_tariff(toml, "draft")[1]


async def editor(
    request: Request[Any, Any, Any],
    block: str | None,
    values: dict[str, str],
    *,
    draft_id: int | None = None,
    problems: list[TariffProblem] | None = None,
    error: str | None = None,
    saved: bool = False,
) -> Template:
    """The editor page (or one of its blocks) for the text and quote inputs in `values`."""
    toml = values.get("toml", "")
    found = checked(toml) if problems is None else problems
    return await page(
        request, "operators/tariff.html", block, values=values, draft_id=draft_id,
        problems=found, error=error, saved=saved, quote=quote(toml, values),
        territories=await views.territories(), exact=exact,
    )  # fmt: skip


def _draft_id(values: dict[str, str]) -> int | None:
    text = values.get("draft_id", "").strip()
    return int(text) if text.isdigit() else None


class OperatorTariffController(Controller):
    path = "/operator/tariffs"
    include_in_schema = False  # pages and forms: the JSON API is what the schema documents

    @get("/", name="operator-tariffs")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        require_operator(request)
        return await page(
            request, "operators/tariffs.html", drafts=await list_drafts(),
            versions=await list_versions(),
            examples=sorted(p.stem for p in EXAMPLES.glob("*.toml")),
        )  # fmt: skip

    @get("/new", name="operator-tariff-new")
    async def new(
        self,
        request: Request[Any, Any, Any],
        version: FromQuery[int | None] = None,
        example: FromQuery[str | None] = None,
    ) -> Template:
        require_operator(request)
        toml, territory = SKELETON, ""
        if version is not None:
            found = [v for v in await list_versions() if v.id == version]
            if not found:
                raise NotFoundException(f"no tariff version {version}")
            toml, territory = found[0].toml, found[0].territory
        elif example is not None:
            names = {p.stem: p for p in EXAMPLES.glob("*.toml")}
            if example not in names:
                raise NotFoundException(f"no example {example!r}")
            toml = names[example].read_text(encoding="utf-8")
        values = {"toml": toml, "territory": territory}
        return await editor(request, None, values)

    @post("/new", name="operator-tariff-create", status_code=200)
    async def create(self, request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
        return await self._save(request, data, None)

    @get("/drafts/{draft_id:int}", name="operator-tariff-draft")
    async def draft(
        self,
        request: Request[Any, Any, Any],
        draft_id: FromPath[int],
        saved: FromQuery[bool] = False,
    ) -> Template:
        require_operator(request)
        try:
            found = await get_draft(draft_id)
        except DraftNotFound:
            raise NotFoundException(f"no draft {draft_id}") from None
        values = {"toml": found.toml, "territory": found.territory}
        return await editor(request, None, values, draft_id=draft_id, saved=saved)

    @post("/drafts/{draft_id:int}", name="operator-tariff-save", status_code=200)
    async def save(
        self, request: Request[Any, Any, Any], draft_id: FromPath[int], data: Form
    ) -> Template | Redirect:
        return await self._save(request, data, draft_id)

    @post("/drafts/{draft_id:int}/delete", name="operator-tariff-delete")
    async def delete(self, request: Request[Any, Any, Any], draft_id: FromPath[int]) -> Redirect:
        require_operator(request)
        try:
            await delete_draft(draft_id)
        except DraftNotFound:
            raise NotFoundException(f"no draft {draft_id}") from None
        return Redirect("/operator/tariffs", status_code=303)

    @post("/validate", name="operator-tariff-validate", status_code=200)
    async def validate(self, request: Request[Any, Any, Any], data: Form) -> Template:
        """The problems block (HTMX, as the operator types), or the whole editor without JS."""
        require_operator(request)
        return await editor(request, "tariff_problems", data, draft_id=_draft_id(data))

    @post("/quote", name="operator-tariff-quote", status_code=200)
    async def quote_block(self, request: Request[Any, Any, Any], data: Form) -> Template:
        """The quote block (HTMX, as the operator types), or the whole editor without JS."""
        require_operator(request)
        return await editor(request, "tariff_quote", data, draft_id=_draft_id(data))

    async def _save(
        self, request: Request[Any, Any, Any], data: Form, draft_id: int | None
    ) -> Template | Redirect:
        who = require_operator(request)
        try:
            saved = await save_draft(
                data.get("toml", "")[:MAX_TOML], data.get("territory", ""), draft_id=draft_id,
                author=who.login,
            )  # fmt: skip
        except DraftNotFound:
            raise NotFoundException(f"no draft {draft_id}") from None
        except InvalidTariff as invalid:
            return await editor(request, None, data, draft_id=draft_id, problems=invalid.problems)
        except TariffError as error:
            return await editor(request, None, data, draft_id=draft_id, error=worded(error))
        return Redirect(f"/operator/tariffs/drafts/{saved.id}?saved=1", status_code=303)
