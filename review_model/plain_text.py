"""Which characters text read from files may hold.

Control characters (NUL, escape, the C1 range) and the bidirectional overrides have no business in names,
titles or answers: PostgreSQL refuses NUL in text, a terminal acts on escapes, and overrides make a name read
differently from what it is. Tabs and line breaks are ordinary text.
"""

import re

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def control_character(text: str) -> str | None:
    """Why `text` cannot be used (the first control character and its position), or None when it is plain."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    return f"contains the control character U+{ord(found.group()):04X} (at character {found.start() + 1})"
