"""MIME bytes serialized once for many recipients, then filled in for each.

Django's ``EmailMessage.message()`` and the ``email`` generator spend about a millisecond on every message, and a
fan-out sends one text to many people. Between two recipients of the same group only a few headers (``To``,
``Date``, ``Message-ID``, ``References``, ``In-Reply-To``, ``List-Unsubscribe``), the links in the bodies and the
random MIME boundaries differ. A ``Template`` is the generator's own output for a stand-in message, cut at those
places; ``Template.fill`` joins the pieces with one recipient's values, which gives the bytes the generator would
have written for that recipient's message (the tests compare the two).

A group whose stand-in would not come out the same way for every recipient (a part encoded as quoted-printable or
base64 because of a long line, a boundary-like line in a text) gets no template: its messages are built the plain
way.
"""

import random
import re
import sys
from email import message_from_bytes
from email.message import Message

from django.core.mail.message import MIMEMixin

# The headers that differ per recipient; every other header is the same for the whole group.
RECIPIENT_HEADERS = frozenset({"To", "Date", "Message-ID", "References", "In-Reply-To", "List-Unsubscribe"})

# RFC 5322's line limit: Django switches a text part to quoted-printable when a line is longer.
LINE_LIMIT = 998

# The generator's boundaries are 15 "=", 19 random digits and "=="; the stand-ins have the same length and characters,
# so that a Content-Type header folds the same way with either.
_DIGITS = len(repr(sys.maxsize - 1))
BOUNDARY_MARK = "=" * 15
_BOUNDARY_STANDINS = [f"{BOUNDARY_MARK}{n:0{_DIGITS}d}==" for n in range(1, 9)]


def boundaries(count):
    """Slot values for ``count`` fresh boundaries, random as the ``email`` generator makes them."""
    return {
        f"boundary:{n}": f"{BOUNDARY_MARK}{random.randrange(sys.maxsize):0{_DIGITS}d}==".encode("ascii")
        for n in range(count)
    }


def fold(policy, name, value):
    """The header field as compat32's ``policy.fold_binary`` writes it, without its work for the common values: a
    short ASCII one stays on the header's line, and one long word goes alone on the next line (it cannot be split)."""
    if value.isascii() and value.isprintable():
        if len(name) + len(value) <= 76 and value == value.strip():  # "Name: value" fits in 78 characters
            return f"{name}: {value}{policy.linesep}".encode("ascii")
        if value and " " not in value:
            return f"{name}: {policy.linesep} {value}{policy.linesep}".encode("ascii")
    return policy.fold_binary(name, value)


class Template:
    """One serialized stand-in message, as a list of byte strings and slot names.

    ``links`` maps each stand-in string found in the bodies to its slot name. ``Template.make`` returns None when
    the stand-in cannot serve every recipient byte for byte.
    """

    def __init__(self, pieces, boundary_count, link_lines, policy, charset):
        self.pieces = pieces
        self.boundary_count = boundary_count
        self.header_names = frozenset(
            piece[7:] for piece in pieces if piece.__class__ is str and piece[:7] == "header:"
        )
        self.link_lines = link_lines  # [(length without the links, {slot: count})] for each line holding a link
        # The longest line and the most links on one line: with links no longer than LINE_LIMIT minus the one
        # plus the other, divided by the other, every line fits without adding each up (``fits``).
        self.link_bound = (
            max((length for length, _counts in link_lines), default=0),
            max((sum(counts.values()) for _length, counts in link_lines), default=0),
        )
        self.policy = policy
        self.charset = charset

    @classmethod
    def make(cls, message, links, linesep):
        """``message`` is the Django MIME tree of the stand-in (``EmailMessage.message()``); it is changed here.

        ``links`` maps the stand-in strings in the bodies to slot names.
        """
        multiparts = [part for part in message.walk() if part.is_multipart()]
        if len(multiparts) > len(_BOUNDARY_STANDINS):
            return None
        for part in message.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload()
            if BOUNDARY_MARK in payload:
                return None  # a text with a boundary-like line: the generator would have chosen another boundary
            if any(standin in payload for standin in links) and part["Content-Transfer-Encoding"] not in (
                "7bit",
                "8bit",
            ):
                return None  # the links would be encoded along with the text
        boundary_slots = {}
        for part, standin in zip(multiparts, _BOUNDARY_STANDINS, strict=False):
            part.set_boundary(standin)
            boundary_slots[standin] = f"boundary:{len(boundary_slots)}"
        data = message.as_bytes(linesep=linesep)
        nl = linesep.encode("ascii")
        head, found, body = data.partition(nl + nl)
        if not found:
            return None
        # The header section field by field, as the generator writes it; the recipient's fields become slots.
        policy = message.policy.clone(linesep=linesep)
        pieces, written = [], []
        for name, value in message.raw_items():
            field = policy.fold_binary(name, value)
            written.append(field)
            pieces.append(f"header:{name}" if name in RECIPIENT_HEADERS else field)
        if b"".join(written) != head + nl:
            return None
        if any(standin.encode("ascii") in field for field in pieces if isinstance(field, bytes) for standin in links):
            return None  # a link outside the bodies
        pieces.append(nl + body)
        slots = {standin.encode("ascii"): slot for standin, slot in {**boundary_slots, **links}.items()}
        pattern = re.compile(b"|".join(re.escape(standin) for standin in sorted(slots, key=len, reverse=True)))
        cut = []
        for piece in pieces:
            if isinstance(piece, str):
                cut.append(piece)
                continue
            position = 0
            for match in pattern.finditer(piece):
                cut.append(piece[position : match.start()])
                cut.append(slots[match.group(0)])
                position = match.end()
            cut.append(piece[position:])
        joined = []  # neighbouring byte strings joined, empty ones dropped
        for piece in cut:
            if isinstance(piece, bytes) and joined and isinstance(joined[-1], bytes):
                joined[-1] += piece
            elif piece != b"":
                joined.append(piece)
        if any(BOUNDARY_MARK.encode("ascii") in piece for piece in joined if isinstance(piece, bytes)):
            return None  # a text with a boundary-like line: the generator would have chosen another boundary
        link_lines = []
        for line in body.split(nl):
            counts, length = {}, len(line)
            for standin, slot in links.items():
                count = line.count(standin.encode("ascii"))
                if count:
                    counts[slot] = count
                    length -= count * len(standin)
            if counts:
                link_lines.append((length, counts))
        return cls(joined, len(boundary_slots), link_lines, policy, message.get_charset())

    def fits(self, values):
        """Whether every line stays within the limit with these links (else Django would encode the part)."""
        longest, most = self.link_bound
        if longest + most * max(map(len, values.values()), default=0) <= LINE_LIMIT:
            return True
        return all(
            length + sum(count * len(values[slot]) for slot, count in counts.items()) <= LINE_LIMIT
            for length, counts in self.link_lines
        )

    def fill(self, headers, values):
        """The message's bytes: ``headers`` maps header names to raw values, ``values`` slot names to bytes."""
        policy = self.policy
        filled = {**values}
        for name, value in headers.items():
            filled[f"header:{name}"] = fold(policy, name, value)
        return b"".join(piece if piece.__class__ is bytes else filled[piece] for piece in self.pieces)


class PreparedMIME(MIMEMixin, Message):
    """The MIME message of one recipient, as bytes until someone looks inside.

    ``as_bytes()`` returns the filled template. Reading or changing the message (its headers, parts, payload)
    first parses those bytes into an ordinary ``email`` tree, from which everything (``as_bytes()`` included) then
    works as for any message.
    """

    _STATE = frozenset(vars(Message()))

    def __init__(self, render, charset=None):
        # No Message.__init__: its state comes from parsing the bytes, when first needed (__getattr__).
        self._render = render
        self._rendered = {}
        self._root_charset = charset

    def __getattr__(self, name):
        # Only reached while the tree is still unparsed: Message's own state is not set yet.
        if name not in PreparedMIME._STATE:
            raise AttributeError(name)
        tree = message_from_bytes(self.as_bytes())
        self.__dict__.update(vars(tree))
        return self.__dict__[name]

    def _parsed(self):
        return "_headers" in self.__dict__

    def as_bytes(self, unixfrom=False, linesep="\n"):
        if unixfrom or self._parsed():
            return super().as_bytes(unixfrom=unixfrom, linesep=linesep)
        data = self._rendered.get(linesep)
        if data is None:
            data = self._rendered[linesep] = self._render(linesep)
        return data

    def get_charset(self):
        return self.__dict__["_charset"] if self._parsed() else self._root_charset
