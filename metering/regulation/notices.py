"""What a household is told: a case's figures and what to do, a drought level (pure, fr/en)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from metering.regulation.rules import WATER, Kind, Level

Figures = Mapping[str, int | str]

_LEVEL = {
    "fr": {
        Level.VIGILANCE: "vigilance",
        Level.ALERTE: "alerte",
        Level.ALERTE_RENFORCEE: "alerte renforcée",
        Level.CRISE: "crise",
    },
    "en": {
        Level.VIGILANCE: "watch",
        Level.ALERTE: "alert",
        Level.ALERTE_RENFORCEE: "heightened alert",
        Level.CRISE: "crisis",
    },
}

# Per rule kind: what was seen, then what to do. The booklet's « régulation des usages »
# informs and helps first; nothing here threatens a cut-off.
_OPENED = {
    "fr": {
        Kind.EXCESS_PER_PERSON: (
            "Votre consommation des {days} derniers jours, {used}, dépasse le seuil de la régie "
            "({allowance} pour {persons} personne(s)).",
            "Un conseiller peut vous aider à la réduire ; répondez-nous si elle a une raison "
            "(besoin médical, remplissage de piscine déclaré…).",
        ),
        Kind.EXCESS_VS_LAST_YEAR: (
            "Vous consommez {per_day} par jour, plus de {multiple} fois votre consommation à "
            "la même saison l'an dernier ({per_day_last_year} par jour).",
            "Vérifiez qu'il ne s'agit pas d'une fuite ; répondez-nous si vous en connaissez "
            "la raison.",
        ),
        Kind.NIGHT_FLOW: (
            "Votre compteur d'eau n'est pas revenu à zéro la nuit depuis {nights} nuits "
            "(au moins {lowest_per_hour} par heure) : une fuite est probable.",
            "Fermez tous les robinets et regardez le compteur : s'il tourne, il y a une fuite. "
            "Une recherche de fuite gratuite peut être demandée à la régie.",
        ),
        Kind.NIGHT_BASE_LOAD: (
            "Votre consommation de nuit ({lowest_per_hour} par heure) est bien au-dessus de "
            "l'habituel ({usual_per_hour}) depuis {nights} nuits.",
            "Un appareil reste peut-être allumé (chauffe-eau, radiateur) ; un conseiller peut "
            "vous aider.",
        ),
        Kind.OVER_POWER: (
            "Votre puissance a atteint la puissance souscrite {days} jours sur {window_days}.",
            "Étalez vos usages ou demandez conseil sur l'abonnement le mieux adapté.",
        ),
    },
    "en": {
        Kind.EXCESS_PER_PERSON: (
            "Your use over the last {days} days, {used}, is above the régie's threshold "
            "({allowance} for {persons} person(s)).",
            "An adviser can help you reduce it; reply to us if there is a reason (a medical "
            "need, a declared pool filling…).",
        ),
        Kind.EXCESS_VS_LAST_YEAR: (
            "You use {per_day} a day, more than {multiple} times your use in the same season "
            "last year ({per_day_last_year} a day).",
            "Check that it is not a leak; reply to us if you know the reason.",
        ),
        Kind.NIGHT_FLOW: (
            "Your water meter has not come back to zero at night for {nights} nights (at "
            "least {lowest_per_hour} an hour): a leak is likely.",
            "Close every tap and watch the meter: if it turns, something leaks. The régie "
            "searches for leaks for free on request.",
        ),
        Kind.NIGHT_BASE_LOAD: (
            "Your night use ({lowest_per_hour} an hour) has been far above your usual "
            "({usual_per_hour}) for {nights} nights.",
            "An appliance may be stuck on (water heater, radiator); an adviser can help.",
        ),
        Kind.OVER_POWER: (
            "Your power reached the subscribed power on {days} days out of {window_days}.",
            "Spread your use, or ask which subscription suits you best.",
        ),
    },
}
_CLOSED = {
    "fr": "Votre consommation est revenue à la normale : le dossier est clos. Merci.",
    "en": "Your use is back to normal: the case is closed. Thank you.",
}
_DROUGHT = {
    "fr": "Sécheresse : niveau {level} sur votre territoire du {start}{until}. {advice}",
    "en": "Drought: {level} level on your territory from {start}{until}. {advice}",
}
_DROUGHT_ADVICE = {
    "fr": "Les seuils de consommation d'eau sont abaissés ; l'eau essentielle reste garantie.",
    "en": "Water use thresholds are lowered; essential water stays guaranteed.",
}
_VOLUME_KEYS = {"used", "allowance", "per_day", "per_day_last_year", "lowest_per_hour"}
_VOLUME_KEYS |= {"usual_per_hour", "last_night_per_hour", "threshold_per_hour"}


def quantity(value: int, service: str, lang: str = "fr") -> str:
    """A volume in words: litres (m³ from 10 000 L) or kWh (Wh under 1 kWh)."""
    sep = "\u202f" if lang == "fr" else ","
    if service == WATER:
        if value >= 10_000:
            return f"{value / 1000:.1f} m³".replace(".", "," if lang == "fr" else ".")
        return f"{value:,} L".replace(",", sep)
    if value >= 1000:
        return f"{value / 1000:.1f} kWh".replace(".", "," if lang == "fr" else ".")
    return f"{value} Wh"


def opened_message(kind: Kind, service: str, figures: Figures, lang: str = "fr") -> str:
    """The notice a household gets when a case opens: what was seen and what to do."""
    shown: dict[str, object] = dict(figures)
    for key in _VOLUME_KEYS & shown.keys():
        shown[key] = quantity(int(figures[key]), service, lang)
    seen, todo = _OPENED[lang][kind]
    return f"{seen.format(**shown)} {todo}"


def closed_message(lang: str = "fr") -> str:
    return _CLOSED[lang]


def drought_message(level: Level, starts_on: date, ends_on: date | None, lang: str = "fr") -> str:
    until = "" if ends_on is None else (f" au {ends_on}" if lang == "fr" else f" to {ends_on}")
    return _DROUGHT[lang].format(
        level=_LEVEL[lang][level], start=starts_on, until=until, advice=_DROUGHT_ADVICE[lang]
    )
