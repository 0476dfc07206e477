"""What the gettext catalogs cost: compiling each catalog from its .po file, once per process.

The catalogs are compiled in memory when first used (config/translations.py) instead of being shipped as .mo
files; this prints what that costs a process: one language and domain (what a command needs), and all of
them (what `spr serve` needs over its life), as medians over the repeats.

Usage: python benchmarks/translations.py [--repeat 15]
The last line printed is one JSON object with the figures in milliseconds.
"""

import argparse
import json
import statistics
import time

from config.translations import DOMAINS, LANGUAGES, translations


def _compile(pairs: list[tuple[str, str]]) -> float:
    translations.cache_clear()
    started = time.perf_counter()
    for language, domain in pairs:
        translations(language, domain)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    every = [(language, domain) for language in LANGUAGES for domain in DOMAINS]
    one = [_compile([("de", "workflows")]) for _ in range(repeat)]
    all_ = [_compile(every) for _ in range(repeat)]
    figures = {
        "one_catalog_ms": round(statistics.median(one), 1),
        "all_catalogs_ms": round(statistics.median(all_), 1),
        "catalogs": len(every),
    }
    print(f"de/workflows (the command line's German): median {figures['one_catalog_ms']} ms")
    print(f"all {len(every)} catalogs: median {figures['all_catalogs_ms']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
