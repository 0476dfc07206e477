"""The catalogs hold every message the code marks, each one translated, with the same placeholders."""

import re

import pytest

from config.catalogs import extracted_messages, read_catalog, updated_catalogs
from config.translations import DOMAINS, LANGUAGES, catalog_path, translate, translations

PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%\([a-z_]+\)s|%s|%d")


def _forms(text: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if text is None:
        return ("",)
    return (text,) if isinstance(text, str) else tuple(text)


def _placeholders_kept(message_id: str | tuple[str, ...], translations_: tuple[str, ...]) -> bool:
    """Each translation keeps the message's placeholders. The singular of a plural message may leave out
    some, as "eine Empfehlung" leaves out the count; the other forms keep all."""
    wanted = set(PLACEHOLDER.findall(" ".join(_forms(message_id))))
    if isinstance(message_id, str):
        return all(set(PLACEHOLDER.findall(text)) == wanted for text in translations_)
    singular, *others = translations_
    return set(PLACEHOLDER.findall(singular)) <= wanted and all(
        set(PLACEHOLDER.findall(text)) == wanted for text in others
    )


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_marked_message_is_in_both_catalogs(domain: str) -> None:
    """A message the code marks but no catalog holds would stay English for a German reader."""
    marked = {message.id for message in extracted_messages(domain) if message.id}
    for language in LANGUAGES:
        held = {message.id for message in read_catalog(language, domain) if message.id}
        assert marked - held == set(), f"missing in {language}: run python -m config.catalogs"
        assert held - marked == set(), f"no longer used, still in the {language} catalog: run python -m config.catalogs"


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_has_a_german_translation_with_the_same_placeholders(domain: str) -> None:
    untranslated, wrong_placeholders = [], []
    for message in read_catalog("de", domain):
        if not message.id:
            continue
        translations_ = _forms(message.string)
        if message.fuzzy or not all(translations_):
            untranslated.append(message.id)
            continue
        if not _placeholders_kept(message.id, translations_):
            wrong_placeholders.append((message.id, translations_))
    assert untranslated == []
    assert wrong_placeholders == []


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_english_catalog_says_what_the_code_says(domain: str) -> None:
    """English is the source language: an English translation may reword, but must keep the placeholders."""
    for message in read_catalog("en", domain):
        if message.id and any(_forms(message.string)):
            assert _placeholders_kept(message.id, _forms(message.string)), message.id


def test_the_catalogs_are_as_the_update_writes_them() -> None:
    """`python -m config.catalogs` would change nothing: no hand edit left the files in another shape."""
    for language, domain, content in updated_catalogs():
        assert catalog_path(language, domain).read_bytes() == content, f"{language}/{domain}: run the update"


def test_a_message_reads_in_the_readers_language() -> None:
    assert translate("de", "review_model", "peer review") == "Peer Review"
    assert translate("en", "review_model", "peer review") == "peer review"
    assert translate("de", "review_model", "{items} and {last}", items="Bund, Länder", last="Kommunen") == (
        "Bund, Länder und Kommunen"
    )


def test_an_unknown_language_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="fr"):
        translations("fr", "portal")


def test_a_singular_may_say_the_number_in_words() -> None:
    one, many = (
        "They led to %(num)s recommendation to %(levels)s.",
        "They led to %(num)s recommendations to %(levels)s.",
    )
    assert translations("de", "reports").ngettext(one, many, 1) == "Daraus entstand eine Empfehlung an %(levels)s."
    assert (
        translations("de", "reports").ngettext(one, many, 3) == "Daraus entstanden %(num)s Empfehlungen an %(levels)s."
    )
    assert translations("en", "reports").ngettext(one, many, 1) == "They led to one recommendation to %(levels)s."
