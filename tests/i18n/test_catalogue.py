"""Nobody can mark a string and forget it: the Korean catalogue holds every marked string of the
sources, each translated and none fuzzy, and nothing the sources no longer ask for."""

from __future__ import annotations

import subprocess

from community import catalogue


def test_the_korean_catalogue_matches_the_sources_and_is_fully_translated() -> None:
    report = catalogue.check("ko")
    assert report.clean, "\n".join(report.lines())


def test_the_korean_catalogue_compiles_with_its_placeholders_intact() -> None:
    # msgfmt --check refuses a translation whose %(name)s placeholders differ from the msgid's.
    result = subprocess.run(
        [
            "msgfmt",
            "--check-format",
            "--check-domain",
            "-o",
            "/dev/null",
            str(catalogue.catalogue_path("ko")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_check_sees_a_missing_an_untranslated_and_a_fuzzy_entry(tmp_path, settings) -> None:
    """The check itself can fail: a catalogue with a stale, an untranslated and a fuzzy entry
    (and without the sources' strings) is reported on every count."""
    po = tmp_path / "ko" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: ko\\n"\n\n'
        'msgid "A string no source has"\nmsgstr "번역"\n\n'
        'msgid "off topic"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "spam"\nmsgstr "스팸"\n'
    )
    settings.LOCALE_PATHS = [tmp_path]
    report = catalogue.check("ko")
    assert report.stale == ["A string no source has"]
    assert report.untranslated == ["off topic"]
    assert report.fuzzy == ["spam"]
    assert "fast burn" in report.missing
    assert not report.clean


def test_the_parser_reads_plurals_contexts_and_continued_lines() -> None:
    entries = catalogue.parse_po(
        'msgid ""\nmsgstr "Language: ko\\n"\n\n'
        'msgctxt "button"\nmsgid "Open"\nmsgstr "열기"\n\n'
        'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "%(n)s일"\n\n'
        'msgid ""\n"a long "\n"line"\nmsgstr ""\n"긴 "\n"줄"\n\n'
        '#~ msgid "gone"\n#~ msgstr "없음"\n'
    )
    assert [(e.context, e.msgid, e.plural, e.translations) for e in entries] == [
        ("button", "Open", "", ("열기",)),
        ("", "%(n)s day", "%(n)s days", ("%(n)s일",)),
        ("", "a long line", "", ("긴 줄",)),
    ]
