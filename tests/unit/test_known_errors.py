"""Known errors as the domain sees them: the file checked (every problem at its line and column),
failures matched (kind, source, RE2 pattern), and what a match decides for one upload."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib.adapters.rule_files.rules import load_rulebook
from chalicelib.adapters.rule_files.sources import located_yaml
from chalicelib.domain.errors import RuleFileError
from chalicelib.domain.known_errors import (
    ANNOTATE,
    FAILED,
    GIVE_UP,
    REIMPORT,
    SCHEDULED,
    SUCCEEDED,
    KnownError,
    KnownErrorBook,
    PastRemedy,
    ReadOptions,
    Remedy,
    UploadFailure,
    decide,
    parse_known_errors,
)
from chalicelib.domain.sources import SourceCatalog

DATA = Path(__file__).resolve().parents[1] / "data" / "known_errors"
SOURCES = load_rulebook(DATA).sources


def parsed(text: str, sources: SourceCatalog = SOURCES) -> tuple[KnownErrorBook, list[str]]:
    document = located_yaml(text, "rules/known-errors.yaml")
    assert not isinstance(document, list), document
    book, details = parse_known_errors("rules/known-errors.yaml", document, sources)
    return book, [RuleFileError.describe(one) for one in details]


def known(remedy: Remedy, kind: str = "header", message: str = "", **extra: object) -> KnownError:
    return KnownError("k", kind, ("orders",), message, remedy, **extra)  # type: ignore[arg-type]


def test_the_tests_known_errors_file_has_each_remedy_kind_and_checks() -> None:
    # GIVEN the file the functional tests use WHEN it is parsed
    text = (DATA / "known-errors.yaml").read_text()
    book, problems = parsed(text)
    # THEN it has no problem and one known error per remedy kind
    assert problems == []
    assert {one.remedy.kind for one in book.known_errors} == {
        "retry",
        "reread",
        "skip_lines",
        "none",
    }


def test_every_problem_is_reported_at_its_line_and_column() -> None:
    # GIVEN a file with a bad pattern, an unknown source, a delimiter no source may declare,
    # a delay past SQS's limit, a remedy none without a runbook, and an unknown remedy
    text = (
        "known_errors:\n"
        "  - id: one\n"
        "    kind: header\n"
        "    source: order\n"
        "    message: 'a(b'\n"
        "    remedy: reread\n"
        '    delimiter: "\\n"\n'
        "  - id: two\n"
        "    kind: dependency\n"
        "    remedy: retry\n"
        "    after: 1h\n"
        "  - id: three\n"
        "    kind: object\n"
        "    remedy: none\n"
        "  - id: four\n"
        "    kind: headr\n"
        "    remedy: fix\n"
    )
    _, problems = parsed(text)
    # THEN each is named with file:line:col and what is wrong
    assert problems == [
        "rules/known-errors.yaml:4:13: known_errors[0].source: unknown source 'order'; "
        "did you mean 'orders'?",
        "rules/known-errors.yaml:5:14: known_errors[0].message: invalid RE2 pattern: missing ): a(b",
        "rules/known-errors.yaml:7:16: known_errors[0].delimiter: must be one character other "
        "than a quote or a line break, not '\\n'",
        "rules/known-errors.yaml:11:12: known_errors[1].after: must be from 1s to 15m "
        "(a queue's longest delay)",
        "rules/known-errors.yaml:14: known_errors[2].runbook: is required for remedy none: "
        "where on-call reads what to do",
        "rules/known-errors.yaml:16:11: known_errors[3].kind: 'headr' is not one of source, "
        "header, encoding, malformed, too_many_rows, object, dependency; did you mean header?",
        "rules/known-errors.yaml:17:13: known_errors[3].remedy: 'fix' is not one of retry, "
        "reread, skip_lines, none",
    ]


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        ("    encoding: utf-16\n", "is not ASCII-compatible"),
        ("    encoding: klingon\n", "unknown encoding 'klingon'"),
        ('    delimiter: "."\n', "'.' is source 'orders''s decimal separator"),
        ("", "remedy reread needs an encoding, a delimiter or both"),
    ],
)
def test_a_reread_takes_only_what_a_source_could_declare(lines: str, problem: str) -> None:
    text = (
        "known_errors:\n  - id: r\n    kind: header\n    source: orders\n    remedy: reread\n"
        + lines
    )
    _, problems = parsed(text)
    assert len(problems) == 1 and problem in problems[0], problems


def test_keys_of_another_remedy_and_duplicate_ids_are_refused() -> None:
    text = (
        "known_errors:\n"
        "  - {id: a, kind: header, remedy: skip_lines, lines: 2}\n"
        "  - {id: a, kind: header, remedy: skip_lines, lines: 3}\n"
        "  - {id: b, kind: header, remedy: skip_lines, lines: 2, after: 1m}\n"
    )
    _, problems = parsed(text)
    assert problems == [
        "rules/known-errors.yaml:3:10: known_errors[1].id: id 'a' is also used at line 2",
        "rules/known-errors.yaml:4: known_errors[2].after: 'after' is for remedy retry, "
        "not skip_lines",
    ]


def test_a_failure_matches_by_kind_source_and_a_pattern_in_its_reason_or_problems() -> None:
    book, _ = parsed((DATA / "known-errors.yaml").read_text())
    semicolons = UploadFailure(
        "header",
        "orders",
        "the header does not fit source 'orders'",
        ("unknown column 'order_id;ordered_at'; this source's columns are ...",),
    )
    found = book.match(semicolons)
    assert found is not None and found.id == "semicolon-export"
    assert (
        book.match(UploadFailure("header", "shop", semicolons.reason, semicolons.problems)) is None
    )
    assert book.match(UploadFailure("encoding", "orders", "the header is not valid utf-8")) == (
        book.get("legacy-latin1-export")
    )
    any_source = book.match(UploadFailure("malformed", "shop", "cannot be read"))
    assert any_source is not None and any_source.id == "broken-quoting"


def test_none_annotates_with_the_runbook() -> None:
    decision = decide(known(Remedy("none"), runbook="https://wiki.example/x"), [], 0)
    assert decision.action == ANNOTATE and "https://wiki.example/x" in decision.note


def test_a_retry_waits_its_delay_and_stops_at_its_cap() -> None:
    remedy = Remedy("retry", timedelta(minutes=2), attempts=2)
    first = decide(known(remedy, "dependency"), [], 3)
    assert (first.action, first.delay_seconds) == (REIMPORT, 120)
    tried = [PastRemedy("k", FAILED, ReadOptions()), PastRemedy("k", FAILED, ReadOptions())]
    last = decide(known(remedy, "dependency"), tried, 3)
    assert last.action == GIVE_UP and "retried 2 times" in last.note


def test_a_reread_is_tried_once_and_never_over_imported_chunks() -> None:
    latin1 = Remedy("reread", options=ReadOptions(encoding="iso8859-1"))
    fresh = decide(known(latin1, "encoding"), [], 0)
    assert (fresh.action, fresh.options) == (REIMPORT, ReadOptions(encoding="iso8859-1"))
    again = decide(known(latin1, "encoding"), [PastRemedy("k", FAILED, fresh.options)], 0)
    assert again.action == GIVE_UP and "did not help" in again.note
    half = decide(known(latin1, "encoding"), [], 2)
    assert half.action == GIVE_UP and "2 chunk(s) were already imported" in half.note


def test_remedies_chain_their_read_options() -> None:
    # GIVEN a re-read as Latin-1 that revealed a banner WHEN the skip remedy decides
    skip = KnownError(
        "skip", "header", (), "", Remedy("skip_lines", options=ReadOptions(skip_lines=2))
    )
    before = [PastRemedy("latin1", FAILED, ReadOptions(encoding="iso8859-1"))]
    decision = decide(skip, before, 0)
    # THEN the next import reads Latin-1 and skips two lines
    assert decision.options == ReadOptions(encoding="iso8859-1", skip_lines=2)
    assert decision.status == SCHEDULED


def test_remedies_stop_after_five_per_upload() -> None:
    history = [PastRemedy(f"k{n}", FAILED if n else SUCCEEDED, ReadOptions()) for n in range(5)]
    decision = decide(known(Remedy("retry", timedelta(seconds=1), 9)), history, 0)
    assert decision.action == GIVE_UP and "5 remedies were already tried" in decision.note
