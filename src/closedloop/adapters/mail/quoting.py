"""What the sender wrote this time: HTML to text, quoted history and signature removed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_text", "new_text"]

# The line a mail program writes above the message it quotes. Gmail and Apple Mail:
# "On Mon, 3 Nov 2026 at 09:12, Ann <ann@example.com> wrote:" (Gmail may wrap it over two
# lines); a few other languages the same way.
_ATTRIBUTION = re.compile(
    r"^\s*(on\b.{0,300}\bwrote|le\b.{0,300}\ba écrit|el\b.{0,300}\bescribió"
    # German and Dutch programs name the sender after the verb.
    r"|am\b.{0,300}\bschrieb\b.{0,300}|op\b.{0,300}\bschreef\b.{0,300})\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
# Outlook: a separator line, or a header block ("From: ... Sent: ... To: ... Subject:").
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine)\s*-{2,}"
    r"|_{10,})\s*$",
    re.IGNORECASE,
)
_HEADER_BLOCK = re.compile(r"^\s*\*?(from|von|de)\s*:\*?\s", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\s*\*?(sent|date|gesendet|envoyé|to|an|à)\s*:\*?\s", re.IGNORECASE)
_SIGNATURE = "-- "
_MOBILE = re.compile(r"^\s*sent from my \w+", re.IGNORECASE)


def new_text(text: str) -> str:
    """``text`` without the history it quotes, its signature, or a "Sent from my phone"."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    end = len(lines)
    for i, line in enumerate(lines):
        if line == _SIGNATURE or _SEPARATOR.match(line) or _MOBILE.match(line):
            end = i
            break
        following = next((n for n in lines[i + 1 : i + 4] if n.strip()), "")
        if _HEADER_BLOCK.match(line) and _HEADER_NEXT.match(following):
            end = i
            break
        pair = line + " " + lines[i + 1] if i + 1 < len(lines) else line
        if _ATTRIBUTION.match(line) or (
            len(line) < 200 and not _ATTRIBUTION.match(line) and _ATTRIBUTION.match(pair)
        ):
            end = i
            break
    kept = lines[:end]
    # What is left quoted ("> ...") at the end is history the program did not introduce.
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    return "\n".join(line.rstrip() for line in kept).strip()


_BLOCKS = frozenset(
    {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr", "pre"}
)
_SKIPPED = frozenset({"style", "script", "head", "title"})


_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr"})
# Where mail programs put the history they quote: Gmail's, Yahoo's and Thunderbird's
# wrappers; after Outlook's marks, everything is the old message.
_QUOTE_MARKS = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix")
_HISTORY_MARKS = ("divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.depth = 0
        self.skipped: list[int] = []  # depths of open <style>, <script>...
        self.quotes: list[int] = []  # depths of open quoted history
        self.history = False  # past Outlook's mark: the rest is the old message

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag in _VOID:
            return
        self.depth += 1
        marks = " ".join(v or "" for k, v in attrs if k in ("class", "id")).lower()
        if any(mark in marks for mark in _HISTORY_MARKS):
            self.history = True
        if tag in _SKIPPED:
            self.skipped.append(self.depth)
        elif tag == "blockquote" or any(mark in marks for mark in _QUOTE_MARKS):
            self.quotes.append(self.depth)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag in _VOID or self.depth == 0:
            return
        for opened in (self.skipped, self.quotes):
            if opened and opened[-1] == self.depth:
                opened.pop()
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipped and not self.history:
            # Quoted history is kept as "> " lines, which new_text drops at the end.
            text = " ".join(data.split())
            if text:
                self.parts.append(f"> {text}" if self.quotes else text)


def html_text(markup: str) -> str:
    """The readable text of an HTML body: blocks on their own lines, no style or script."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    text = "".join(
        part if part == "\n" or not prev or prev == "\n" else " " + part
        for prev, part in zip(["", *parser.parts], parser.parts, strict=False)
    )
    return re.sub(r"\n\s*\n\s*\n+", "\n\n", text).strip()
