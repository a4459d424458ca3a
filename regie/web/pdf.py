"""Text-only PDF documents written by hand: A4 pages of lines in the standard Helvetica fonts.

A bill needs a few lines of text, a table and its totals, not a typesetting engine: the 14
standard PDF fonts need no embedding, and WinAnsi (cp1252) covers French (é, à, ç, €, ³). So
régie writes its PDFs itself, with no dependency, as PDF 1.4 that any reader opens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

A4 = (595, 842)  # points
MARGIN = 50
FONTS = {"regular": "F1", "bold": "F2"}

# Helvetica's advance widths (Adobe's AFM, thousandths of the size) for printable ASCII, to
# right-align figures; other characters count as a digit's width, which suits €, ³ and é.
_ASCII_WIDTHS = (
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 "
    "556 556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 "
    "556 833 722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 "
    "556 500 556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 "
    "500 500 500 334 260 334 584"
)
WIDTHS = {chr(32 + i): int(w) for i, w in enumerate(_ASCII_WIDTHS.split())}
# Characters cp1252 lacks, written as their nearest equivalent.
_SUBSTITUTES = str.maketrans({"\u202f": "\xa0", "\u2212": "-", "\u2009": " ", "\u2011": "-"})


def text_width(text: str, size: float) -> float:
    return sum(WIDTHS.get(c, 556) for c in text.translate(_SUBSTITUTES)) * size / 1000


def _literal(text: str) -> bytes:
    raw = text.translate(_SUBSTITUTES).encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


@dataclass
class Page:
    """One page's drawing operations, in points from the bottom left corner."""

    ops: list[bytes] = field(default_factory=list)

    def text(
        self, x: float, y: float, text: str, *, size: float = 10, bold: bool = False,
        right: bool = False,
    ) -> None:  # fmt: skip
        """Text starting at x, or ending at x when `right`."""
        if right:
            x -= text_width(text, size)
        font = FONTS["bold" if bold else "regular"]
        self.ops.append(
            b"BT /%s %.1f Tf %.2f %.2f Td %s Tj ET" % (font.encode(), size, x, y, _literal(text))
        )

    def rule(self, x1: float, y: float, x2: float, width: float = 0.5) -> None:
        """A horizontal line."""
        self.ops.append(b"%.2f w %.2f %.2f m %.2f %.2f l S" % (width, x1, y, x2, y))


def document(pages: list[Page], title: str) -> bytes:
    """The PDF file of `pages`, with the byte offsets of its cross-reference table."""
    count = len(pages)
    # Objects: 1 catalog, 2 page tree, 3-4 fonts, 5 info, then a page and its content each.
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (6 + 2 * i) for i in range(count)), count),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title %s /Producer (regie) >>" % _literal(title),
    ]
    for i, page in enumerate(pages):
        stream = b"\n".join(page.ops)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R"
            b" /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>" % (*A4, 7 + 2 * i)
        )
        # The end of line before `endstream` is not part of the stream's length.
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@dataclass
class Writer:
    """Lines down A4 pages: a new page when the current one is full."""

    pages: list[Page] = field(default_factory=lambda: [Page()])
    y: float = A4[1] - MARGIN

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def down(self, points: float) -> None:
        self.y -= points
        if self.y < MARGIN + 20:
            self.pages.append(Page())
            self.y = A4[1] - MARGIN - points
