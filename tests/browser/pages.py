"""Page objects: what a person does on each page, in the words of the page (French)."""

from __future__ import annotations

from typing import Any

from tests.regie.web.conftest import PASSWORD


class LoginPage:
    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base

    async def log_in(self, login: str, password: str = PASSWORD) -> None:
        await self.page.goto(f"{self.base}/login")
        await self.page.get_by_label("Identifiant").fill(login)
        await self.page.get_by_label("Mot de passe").fill(password)
        await self.page.get_by_role("button", name="Se connecter").click()
        await self.page.wait_for_load_state("networkidle")

    async def log_out(self) -> None:
        await self.page.get_by_role("button", name="Se déconnecter").click()
        await self.page.wait_for_load_state("networkidle")


class HouseholdPage:
    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base

    async def open(self) -> None:
        await self.page.goto(f"{self.base}/household")

    def chart(self) -> Any:
        return self.page.locator("#usage_chart svg")

    async def show_scale(self, name: str) -> None:
        await self.page.locator("#usage_chart").get_by_role("link", name=name).click()
        await self.page.wait_for_load_state("networkidle")

    async def open_first_bill(self) -> None:
        await self.page.locator("a[href^='/household/bills/']").first.click()
        await self.page.wait_for_load_state("networkidle")

    async def file_proposal(self, kind: str, title: str, body: str) -> None:
        form = self.page.locator("form.file-proposal")
        await form.get_by_label("Nature").select_option(kind)
        await form.get_by_label("Titre").fill(title)
        await form.get_by_label("Ce que vous proposez, et pourquoi").fill(body)
        await form.get_by_role("button", name="Déposer la proposition").click()
        await self.page.wait_for_load_state("networkidle")


class TariffEditor:
    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base

    async def open_example(self, name: str) -> None:
        await self.page.goto(f"{self.base}/operator/tariffs/new?example={name}")

    async def replace_in_toml(self, old: str, new: str) -> None:
        box = self.page.locator("#toml")
        text = await box.input_value()
        await box.fill(text.replace(old, new, 1))
        await box.press("End")  # a key press: the live validation listens to keyup

    async def problems(self) -> str:
        return str(await self.page.locator("#tariff_problems").inner_text())

    async def quote_total(self) -> str:
        return str(await self.page.locator("#quote_total").inner_text())
