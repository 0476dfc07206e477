"""Keep the translation catalogs in step with the code: `python -m config.catalogs`.

It does what `pybabel extract` and `pybabel update` do, for every domain at once, with the mapping in
config/locale/babel.cfg and the folders of each layer (SOURCES): new messages are added to every catalog
with an empty translation, messages the code no longer uses are dropped. Translators then fill in the German
`msgstr` of the new entries; tests/config/test_translations.py fails while any is missing.
"""

from collections.abc import Iterator
from io import BytesIO

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from config.paths import CONFIG_DIR
from config.translations import DOMAINS, LANGUAGES, LOCALE_DIR, catalog_path

CHECKOUT_DIR = CONFIG_DIR.parent
MAPPING_FILE = LOCALE_DIR / "babel.cfg"

# The folders whose messages belong to each domain, relative to the checkout. The catalogs name the files a
# message is in, not the lines, so that editing code around a message leaves the catalogs as they are.
SOURCES: dict[str, tuple[str, ...]] = {
    "review_model": ("review_model",),
    "notifications": ("notifications", "templates/emails"),
    "portal": ("portal", "templates/forms", "templates/console"),
    "reports": ("reports", "templates/reports"),
    "workflows": ("workflows",),
}
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "translate": (3,)}
COMMENT_TAGS = ("Translators:",)


def extracted_messages(domain: str) -> Catalog:
    """Every message the sources of one domain mark for translation, as `pybabel extract` finds them."""
    with MAPPING_FILE.open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    template = Catalog(domain=domain, project="spr", charset="utf-8", fuzzy=False)
    for folder in SOURCES[domain]:
        root = CHECKOUT_DIR / folder
        for filename, lineno, message, comments, context in extract_from_dir(
            root, method_map, options_map, keywords=KEYWORDS, comment_tags=COMMENT_TAGS, strip_comment_tags=True
        ):
            template.add(message, None, [(f"{folder}/{filename}", lineno)], auto_comments=comments, context=context)
    return template


def read_catalog(language: str, domain: str) -> Catalog:
    """The .po catalog of one language and domain as it is in the repository."""
    with catalog_path(language, domain).open("rb") as source:
        return read_po(source, locale=language, domain=domain)


def updated_catalogs() -> Iterator[tuple[str, str, bytes]]:
    """(language, domain, new .po content) for every catalog, brought in step with the sources."""
    for domain in DOMAINS:
        template = extracted_messages(domain)
        for language in LANGUAGES:
            path = catalog_path(language, domain)
            if path.exists():
                catalog = read_catalog(language, domain)
            else:
                catalog = Catalog(
                    locale=language, domain=domain, project="spr", version="", charset="utf-8", fuzzy=False,
                    header_comment=f"# {language} messages of spr, domain {domain}: see docs/translating.md.",
                )  # fmt: skip
            # Dates in the header would change the file on every run without anything to translate having changed.
            template.creation_date = catalog.creation_date
            # No fuzzy matching: a guessed translation of a changed sentence is worse than an empty one.
            catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
            catalog.revision_date = catalog.creation_date
            catalog.project, catalog.version = "spr", "1"
            catalog.msgid_bugs_address = catalog.last_translator = "The spr developers"
            catalog.language_team = {"de": "Deutsch", "en": "English"}[language]
            catalog.obsolete.clear()
            content = BytesIO()
            write_po(content, catalog, width=120, sort_output=False, include_previous=False, include_lineno=False)
            yield language, domain, content.getvalue()


def main() -> None:
    """Write every catalog that changed and say which."""
    for language, domain, content in updated_catalogs():
        path = catalog_path(language, domain)
        if path.exists() and path.read_bytes() == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        print(f"updated {path.relative_to(CHECKOUT_DIR)}")


if __name__ == "__main__":
    main()
