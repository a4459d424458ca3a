"""The hand-written PDFs open in a real reader (pypdf, strict), keep French text and special
characters, right-align figures, and run onto new pages."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader

from regie.web import pdf


def test_text_round_trips_through_a_reader_across_pages() -> None:
    out = pdf.Writer()
    special = "Eau (potable) \\ 1 234,56 € · m³ « été »"
    for n in range(80):  # more lines than one A4 page holds
        out.page.text(pdf.MARGIN, out.y, f"{n:02d} {special}")
        out.down(14)
    body = pdf.document(out.pages, "Facture (essai)")
    reader = PdfReader(BytesIO(body), strict=True)
    assert len(reader.pages) == len(out.pages) >= 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    for n in (0, 45, 79):
        assert f"{n:02d} {special}" in text
    assert reader.metadata is not None and reader.metadata.title == "Facture (essai)"


def test_right_aligned_figures_end_on_the_edge() -> None:
    page = pdf.Page()
    page.text(300, 700, "1 234,56 €", right=True)
    x = float(page.ops[0].split(b" Td")[0].split()[-2])
    assert abs(x + pdf.text_width("1 234,56 €", 10) - 300) < 0.01
    assert pdf.text_width("0000", 10) == 4 * 5.56  # Helvetica's digits are 556 units wide
