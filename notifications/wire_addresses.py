"""Email addresses as they travel: the domain always in its ASCII (IDNA) form, the local part as written.

`a@bücher.example` goes out as `a@xn--bcher-kva.example`, which every server accepts. A non-ASCII local
part (`müller@stadt.example`) has no ASCII form: it can only travel with SMTPUTF8 (RFC 6531, with UTF-8
headers as RFC 6532 allows), where the server offers it.
"""

from functools import lru_cache

import idna


class UnsendableAddress(ValueError):
    """An address no message can be sent to as it stands; the text says why."""


@lru_cache(maxsize=4096)  # the sender and the coordinator recur in every message
def wire_address(address: str) -> str:
    """`address` with its domain in IDNA form; raises UnsendableAddress when it has no such form."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise UnsendableAddress(f"not an email address: {address}")
    if domain.isascii():
        return f"{local}@{domain}"
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise UnsendableAddress(f"the domain of {address} is not a valid internationalised domain: {error}") from None
    return f"{local}@{ascii_domain}"


def wire_domain(address: str) -> str:
    """The ASCII form of the address's domain (for Message-IDs)."""
    return wire_address(address).rpartition("@")[2]


def needs_smtputf8(address: str) -> bool:
    """Whether the address (in wire form) can only be sent with SMTPUTF8: its local part is not ASCII."""
    return not address.isascii()
