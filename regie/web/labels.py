"""Names shown for the codes that services store (services, proposal kinds and statuses, case
kinds and statuses, reply reasons, drought levels, periods, units), as the template global
`label`: `{{ label.service(code) }}`. Plain functions rather than Jinja macros, because a
page calls them dozens of times and a macro call costs a new template context each time.
An unknown code is shown as it is, escaped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from regie.web.i18n import number, template_gettext


def _(message: str) -> str:
    """Marks a name for the catalogue; it is translated when shown, in the page's language."""
    return message


def _names(table: dict[str, str]) -> Callable[[Any], Markup]:
    def name(code: Any) -> Markup:
        message = table.get(code) if isinstance(code, str) else None
        return escape(code) if message is None else template_gettext(message)

    return name


class Labels:
    service = staticmethod(_names({"water": _("Water"), "electricity": _("Electricity")}))
    kind = staticmethod(
        _names(
            {
                "tariff_change": _("Tariff change"),
                "overconsumption_rule": _("Overconsumption rule"),
                "evaluation": _("Evaluation of the provider"),
                "work_organisation": _("Work organisation"),
                "free_motion": _("Free motion"),
                "access": _("Access to the service"),
            }
        )
    )
    status = staticmethod(
        _names(
            {
                "draft": _("Gathering co-signatures"),
                "debate": _("On the agenda"),
                "voting": _("Vote open"),
                "adopted": _("Adopted"),
                "rejected": _("Rejected"),
                "vetoed": _("Vetoed by the users"),
                "no_quorum": _("No quorum"),
                "enacted": _("Enacted"),
            }
        )
    )
    case_kind = staticmethod(
        _names(
            {
                "excess_per_person": _("Use above the threshold"),
                "excess_vs_last_year": _("Use far above last year's"),
                "night_flow": _("Possible leak"),
                "night_base_load": _("High night use"),
                "over_power": _("Power above the subscription"),
            }
        )
    )
    case_event = staticmethod(
        _names(
            {
                "opened": _("Case opened"),
                "measure": _("Measure taken"),
                "reply": _("The household's reply"),
                "exemption": _("Exemption granted"),
                "outcome": _("Outcome"),
                "closed": _("Case closed"),
            }
        )
    )
    measure = staticmethod(
        _names(
            {
                "notice": _("Information notice"),
                "advice_visit": _("Advice visit"),
                "social_referral": _("Referral to social support"),
                "flow_limiter": _("Flow limiter"),
            }
        )
    )
    cost_category = staticmethod(
        _names(
            {
                "staff": _("Staff"),
                "operations": _("Operations"),
                "energy": _("Energy"),
                "purchases": _("Purchases for resale"),
                "maintenance": _("Maintenance"),
                "investment": _("Investment and depreciation"),
                "debt": _("Debt"),
                "levies": _("Levies passed on"),
                "other": _("Other"),
            }
        )
    )
    case_status = staticmethod(
        _names({"open": _("Open"), "exempted": _("Exempted"), "closed": _("Closed")})
    )
    reason = staticmethod(
        _names(
            {
                "pool_filling": _("Pool filling"),
                "leak_repaired": _("Leak repaired"),
                "medical_need": _("Medical need"),
                "other": _("Other"),
            }
        )
    )
    drought = staticmethod(
        _names(
            {
                "vigilance": _("watch"),
                "alerte": _("alert"),
                "alerte_renforcee": _("heightened alert"),
                "crise": _("crisis"),
            }
        )
    )
    period = staticmethod(_names({"month": _("month"), "quarter": _("quarter"), "year": _("year")}))

    @staticmethod
    def unit(code: Any) -> Markup:
        return Markup("m³") if code in ("m^3", "m3", "m**3") else escape(code)

    @staticmethod
    def qty(q: Any) -> Markup:
        """A quantity as regie.web.charts.quantity gives it: its figure and its unit."""
        return escape(number(q.value, q.digits)) + Markup(" ") + escape(q.unit)


def configure(env: Any) -> None:
    env.globals["label"] = Labels()
