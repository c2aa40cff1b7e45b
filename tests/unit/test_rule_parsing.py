"""Rule files as specifications: what a rule says, and every mistake with its line and column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from chalicelib.adapters.rule_files.sources import located_yaml
from chalicelib.domain.errors import RuleFileError
from chalicelib.domain.rules import ReferenceTable, Rule, RuleCatalog, Threshold, parse_rule
from chalicelib.domain.rules.model import Absence

FILE = "rules/r.yaml"
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
STORES = ReferenceTable(
    "stores",
    "rules/reference/stores.csv",
    ("store", "region"),
    MappingProxyType({"s-1": ("s-1", "north"), "s-2": ("s-2", "south")}),
)
CATALOG = RuleCatalog(
    {
        "payments": {
            "amount": "number",
            "currency": "string",
            "merchant": "string",
            "card": "string",
            "status": "string",
            "quantity": "integer",
        },
        "logins": {"user": "string", "ip": "string", "outcome": "string", "amount": "integer"},
        "stores": {"store": "string", "region": "string", "till": "integer"},
        "sensors": {"card": "integer"},
    },
    {"stores": STORES},
)

MATCH = """\
id: large-payment
description: A single payment over 5,000 EUR
source: payments
severity: high
group_by: [merchant]
labels: {team: payments}
runbook: https://wiki.example/runbooks/large-payment
message: "Payment of {amount} {currency} at {merchant}"
kind: match
when: amount > 5000 and currency == "EUR"
resolve_after: 1h
"""

THRESHOLD = """\
id: declined-burst
severity: medium
source: payments
group_by: [card]
kind: threshold
when: status == "declined"
message: "card {card}: {observed} declines (threshold {threshold})"
aggregate: count
value: 5
within: 10m
"""

ABSENCE = """\
id: store-silent
severity: high
source: stores
group_by: [store]
kind: absence
message: "store {store} silent for {observed}s"
within: 15m
expect: listed
entities: [s-1, s-2]
"""
NO_GROUP = ("group_by: [store]\n", "")
NO_MESSAGE = ('message: "store {store} silent for {observed}s"\n', "")


def parse(text: str, catalog: RuleCatalog = CATALOG) -> Rule:
    document = located_yaml(text, FILE)
    assert not isinstance(document, list), document
    return parse_rule(FILE, document, catalog)


def problems(text: str, catalog: RuleCatalog = CATALOG) -> list[tuple[int | None, object, str]]:
    """(line, column, "field: message") of every problem."""
    with pytest.raises(RuleFileError) as caught:
        parse(text, catalog)
    assert all(detail.file == FILE for detail in caught.value.details)
    return [(d.line, d.column, f"{d.field}: {d.message}") for d in caught.value.details]


def only(text: str, catalog: RuleCatalog = CATALOG) -> tuple[int | None, object, str]:
    found = problems(text, catalog)
    assert len(found) == 1, found
    return found[0]


# --- what a rule says -------------------------------------------------------------------------


def test_a_match_rule_is_read_into_a_checked_rule() -> None:
    # WHEN the example match rule is parsed
    rule = parse(MATCH)
    # THEN every key is carried, the condition is compiled, the template checked
    assert (rule.id, rule.kind, rule.severity, rule.enabled) == (
        "large-payment",
        "match",
        "high",
        True,
    )
    assert (rule.sources, rule.types, rule.group_by) == (("payments",), (), ("merchant",))
    assert dict(rule.labels) == {"team": "payments"}
    assert rule.runbook == "https://wiki.example/runbooks/large-payment"
    assert rule.resolve_after == timedelta(hours=1)
    assert rule.when is not None
    assert rule.when.evaluate({"amount": 9000, "currency": "EUR"}, NOW) is True
    assert rule.message.render({"amount": 9000, "currency": "EUR", "merchant": "acme"}) == (
        "Payment of 9000 EUR at acme"
    )
    assert (rule.threshold, rule.absence, rule.file, rule.line) == (None, None, FILE, 1)
    assert len(rule.version) == len(rule.state_version) == 12


def test_a_threshold_rule_defaults_its_comparison_to_at_least() -> None:
    rule = parse(THRESHOLD)
    assert rule.threshold == Threshold("count", None, ">=", 5.0, timedelta(minutes=10))
    assert rule.message.render({"card": "c-1", "observed": "5", "threshold": "5"}) == (
        "card c-1: 5 declines (threshold 5)"
    )


def test_a_threshold_rule_over_a_number_field() -> None:
    text = THRESHOLD.replace("aggregate: count", "aggregate: sum\nfield: amount\nop: '>'")
    assert parse(text).threshold == Threshold("sum", "amount", ">", 5.0, timedelta(minutes=10))


def test_an_absence_rule_lists_its_entities_one_tuple_per_group() -> None:
    rule = parse(ABSENCE)
    assert rule.absence == Absence(timedelta(minutes=15), "listed", (("s-1",), ("s-2",)), "alert")


def test_an_absence_rule_takes_its_entities_from_a_reference_table() -> None:
    text = ABSENCE.replace("entities: [s-1, s-2]", "entities_from: stores\nnever_seen: ignore")
    absence = parse(text).absence
    assert absence is not None
    assert (absence.entities, absence.never_seen) == ((("s-1",), ("s-2",)), "ignore")


def test_entities_of_several_group_fields_are_lists_in_group_by_order() -> None:
    text = ABSENCE.replace("group_by: [store]", "group_by: [store, till]").replace(
        "entities: [s-1, s-2]", "entities: [[s-1, 1], [s-1, 2]]"
    )
    absence = parse(text).absence
    assert absence is not None and absence.entities == (("s-1", 1), ("s-1", 2))


def test_expect_source_and_seen_need_no_entities() -> None:
    source = parse(
        ABSENCE.replace(*NO_GROUP)
        .replace(*NO_MESSAGE)
        .replace("expect: listed\nentities: [s-1, s-2]", "expect: source")
    )
    seen = parse(ABSENCE.replace("expect: listed\nentities: [s-1, s-2]", "expect: seen"))
    assert source.absence is not None and source.absence.expect == "source"
    assert seen.absence is not None and seen.absence.entities == ()


def test_defaults_enabled_every_source_and_a_message_from_the_description() -> None:
    rule = parse(
        "id: any-event\nseverity: info\nkind: match\nwhen: amount > 1\n"
        "description: Anything with {braces}\n"
    )
    assert (rule.enabled, rule.sources, rule.types, rule.runbook) == (True, (), (), None)
    assert rule.message.render({}) == "Anything with {braces}"


def test_a_source_and_a_type_may_be_lists() -> None:
    rule = parse(
        MATCH.replace(
            "source: payments", "source: [payments, logins]\ntype: [payment.captured, login.failed]"
        ).replace('currency == "EUR"', "true")
    )
    assert (rule.sources, rule.types) == (
        ("payments", "logins"),
        ("payment.captured", "login.failed"),
    )


def test_a_disabled_rule_still_checks() -> None:
    assert parse(MATCH + "enabled: false\n").enabled is False


# --- which fields a rule may name ----------------------------------------------------------------


def test_a_rule_sees_only_the_fields_of_the_sources_it_names() -> None:
    # GIVEN a rule on logins naming a payments field
    text = (
        MATCH.replace("source: payments", "source: logins")
        .replace('currency == "EUR"', 'outcome == "failure"')
        .replace(" {currency}", "")
    )
    # THEN merchant is unknown to it
    assert [message for _, _, message in problems(text)] == [
        "group_by[0]: unknown field 'merchant'; the fields are: amount, id, ip, occurred_at, "
        "outcome, received_at, source, type, user",
        "message: unknown field 'merchant' in '{merchant}'; known: amount, group, id, ip, "
        "occurred_at, outcome, received_at, rule, severity, source, type, user",
    ]


def test_without_source_a_rule_sees_every_source_and_top_level_fields() -> None:
    rule = parse(
        'id: r\nseverity: low\nkind: match\nwhen: user == "x" and merchant == "y" '
        'and hour(occurred_at) < 6 and source == "logins"\n'
    )
    assert rule.when is not None and rule.when.result_type == "boolean"


def test_an_integer_in_one_source_and_a_number_in_another_is_a_number() -> None:
    rule = parse(
        "id: r\nseverity: low\nkind: threshold\naggregate: sum\nfield: amount\n"
        "value: 1\nwithin: 1m\n"
    )
    assert rule.threshold is not None and rule.threshold.field == "amount"


def test_a_field_declared_with_different_types_cannot_be_summed() -> None:
    assert only(
        "id: r\nseverity: low\nkind: threshold\naggregate: sum\nfield: card\nvalue: 1\nwithin: 1m\n"
    ) == (
        5,
        8,
        "field: 'card' is declared with different types by the rule's sources; sum needs "
        "an integer or number field",
    )


# --- problems, each with its line and column -----------------------------------------------------


def test_an_unknown_key_is_named_with_a_suggestion() -> None:
    assert only(MATCH + "serverity: low\n") == (
        12,
        None,
        "serverity: unknown key 'serverity'; did you mean 'severity'?",
    )


def test_missing_required_keys_are_each_named() -> None:
    assert [message for _, _, message in problems("description: nothing else\n")] == [
        "kind: is required: match, threshold or absence",
        "id: is required: the rule's name: lower case letters, digits, '_' and '-'",
        "severity: is required: info, low, medium, high, critical",
    ]


def test_a_match_rule_needs_a_condition() -> None:
    assert only(MATCH.replace('when: amount > 5000 and currency == "EUR"\n', "")) == (
        None,
        None,
        "when: is required: the condition an event must meet, e.g. amount > 5000",
    )


def test_an_unknown_kind_is_refused_with_a_suggestion() -> None:
    assert only(MATCH.replace("kind: match", "kind: matches")) == (
        9,
        7,
        "kind: 'matches' is not one of match, threshold, absence; did you mean match?",
    )


def test_keys_of_another_kind_are_refused() -> None:
    assert only(MATCH + "aggregate: count\n") == (
        12,
        None,
        "aggregate: is only for threshold rules; this is a match rule",
    )
    assert only(MATCH + "within: 5m\n") == (
        12,
        None,
        "within: is only for threshold and absence rules; this is a match rule",
    )


def test_a_bad_severity_is_refused_at_its_value() -> None:
    assert only(MATCH.replace("severity: high", "severity: hihg")) == (
        4,
        11,
        "severity: 'hihg' is not one of info, low, medium, high, critical; did you mean high?",
    )


def test_a_bad_duration_says_how_to_write_one() -> None:
    line, column, message = only(MATCH.replace("resolve_after: 1h", "resolve_after: 1 hour"))
    assert (line, column) == (11, 16)
    assert message.startswith("resolve_after: '1 hour' is not a duration; write a number")


def test_an_unknown_field_in_when_is_reported_at_its_column() -> None:
    assert only(MATCH.replace("when: amount", "when: amout")) == (
        10,
        7,
        "when: unknown field 'amout'; did you mean 'amount'?",
    )


def test_a_quoted_expression_starts_one_column_after_its_quote() -> None:
    text = MATCH.replace('when: amount > 5000 and currency == "EUR"', "when: 'amount > amout'")
    assert only(text)[:2] == (10, 17)


def test_an_expression_on_the_line_after_its_key_is_reported_there() -> None:
    text = MATCH.replace('when: amount > 5000 and currency == "EUR"', "when:\n    amout > 1")
    assert only(text)[:2] == (11, 5)


def test_a_block_expression_reports_the_line_inside_the_block() -> None:
    text = MATCH.replace(
        'when: amount > 5000 and currency == "EUR"',
        'when: |\n  amount > 5000\n  and currenc == "EUR"',
    )
    assert only(text) == (12, None, "when: unknown field 'currenc'; did you mean 'currency'?")


def test_an_expression_folded_over_several_plain_lines_is_reported_at_its_first_line() -> None:
    # YAML joins the lines into one, so columns no longer match the file: only the line is given
    text = MATCH.replace(
        'when: amount > 5000 and currency == "EUR"', 'when: amount > 5000\n  and currenc == "EUR"'
    )
    assert only(text) == (10, None, "when: unknown field 'currenc'; did you mean 'currency'?")


def test_a_condition_must_be_true_or_false() -> None:
    assert only(MATCH.replace('when: amount > 5000 and currency == "EUR"', "when: amount * 2")) == (
        10,
        7,
        "when: must be a condition (true or false), but it gives a number; compare it, "
        "e.g. amount > 100",
    )


def test_group_by_names_known_fields_once() -> None:
    assert problems(MATCH.replace("group_by: [merchant]", "group_by: [merchnt, card, card]")) == [
        (5, 12, "group_by[0]: unknown field 'merchnt'; did you mean 'merchant'?"),
        (5, 27, "group_by[2]: 'card' is listed twice"),
    ]


def test_a_placeholder_is_reported_at_its_column_inside_the_quotes() -> None:
    assert only(MATCH.replace("{currency}", "{curency}")) == (
        8,
        31,
        "message: unknown field 'curency' in '{curency}'; did you mean 'currency'?",
    )


def test_observed_and_threshold_are_only_for_the_kinds_that_have_them() -> None:
    assert only(MATCH.replace("at {merchant}", "at {merchant} ({observed})"))[2].startswith(
        "message: unknown field 'observed' in '{observed}'"
    )


def test_an_absence_message_can_name_only_its_group() -> None:
    found = only(ABSENCE.replace("{store} silent", "{store} {region} silent"))
    assert found[2].startswith(
        "message: unknown field 'region' in '{region}'; known: group, "
        "observed, rule, severity, store"
    )


def test_an_unknown_source_is_refused_with_a_suggestion() -> None:
    found = problems(MATCH.replace("source: payments", "source: [payments, paymnts, payments]"))
    assert found == [
        (
            3,
            20,
            "source[1]: no source 'paymnts' is defined (rules/sources/paymnts.yaml); "
            "did you mean 'payments'?",
        ),
        (3, 29, "source[2]: 'payments' is listed twice"),
    ]


def test_an_empty_source_list_is_refused() -> None:
    assert only(MATCH.replace("source: payments", "source: []"))[2] == (
        "source: lists no source; leave source out to mean every source"
    )


@pytest.mark.parametrize(
    ("line", "column", "replacement", "says"),
    [
        (1, 5, "id: Large Payment", "id: 'Large Payment' is not a rule id"),
        (6, 16, "labels: {team: 7}", "labels.team: must be text, not a number; quote it"),
        (6, 9, "labels: [team]", "labels: must be a mapping of names to text, not a list"),
        (7, 10, "runbook: ftp://wiki/x", "runbook: 'ftp://wiki/x' is not an http(s) URL"),
        (3, 7, "type: 'bad type!'", "type: 'bad type!' is not an event type"),
        (2, 14, "description: [a]", "description: must be a string, not a list"),
        (12, 10, "enabled: maybe", "enabled: must be true or false, not a string"),
    ],
)
def test_each_common_key_is_checked(line: int, column: int, replacement: str, says: str) -> None:
    key = replacement.split(":")[0]
    lines = MATCH.splitlines()
    index = next((n for n, text in enumerate(lines) if text.startswith(key + ":")), None)
    if index is None:
        lines.append(replacement)
    else:
        lines[index] = replacement
    if key == "type":
        lines.insert(2, lines.pop())
    found = only("\n".join(lines) + "\n")
    assert found[:2] == (line, column)
    assert found[2].startswith(says)


def test_a_threshold_needs_its_aggregate_value_and_window() -> None:
    text = "id: t\nseverity: low\nkind: threshold\nsource: payments\n"
    assert [message for _, _, message in problems(text)] == [
        "aggregate: is required: one of count, sum, avg, min, max, distinct",
        "value: is required: the number the aggregate is compared with",
        "within: is required: the window, e.g. 10m",
    ]


@pytest.mark.parametrize(
    ("replacement", "says"),
    [
        ("aggregate: sum", "field: is required: the field sum is taken of"),
        (
            "aggregate: sum\nfield: merchant",
            "field: 'merchant' is a string field; sum needs an integer or number field",
        ),
        ("aggregate: count\nfield: amount", "field: count counts events and takes no field"),
        (
            "aggregate: distinct\nfield: [card, merchant]",
            "field: must be one field name, not a list",
        ),
        (
            "aggregate: median",
            "aggregate: 'median' is not one of count, sum, avg, min, max, distinct",
        ),
        ("aggregate: count\nop: '=>'", "op: '=>' is not one of >, >=, <, <=, ==, !="),
    ],
)
def test_the_aggregate_and_its_field_must_fit(replacement: str, says: str) -> None:
    assert only(THRESHOLD.replace("aggregate: count", replacement))[2].startswith(says)


@pytest.mark.parametrize(
    ("replacement", "says"),
    [
        ("value: five", "value: must be a number, not a string"),
        ("value: -1", "value: count is never negative; compare with 0 or more"),
        ("value: true", "value: must be a number, not true/false"),
    ],
)
def test_the_threshold_value_is_a_number(replacement: str, says: str) -> None:
    assert only(THRESHOLD.replace("value: 5", replacement)) == (9, 8, says)


def test_a_window_must_be_a_positive_duration() -> None:
    assert only(THRESHOLD.replace("within: 10m", "within: 0s")) == (
        10,
        9,
        "within: '0s' is not a duration: it must be longer than zero",
    )


def test_a_threshold_rule_keeps_its_window_in_buckets_of_a_sixtieth_by_default() -> None:
    threshold = parse(THRESHOLD).threshold
    assert threshold is not None and threshold.granularity is None
    assert (threshold.period, threshold.buckets) == (timedelta(seconds=10), 60)


def test_a_threshold_rule_may_choose_its_granularity() -> None:
    threshold = parse(THRESHOLD + "granularity: 1m\n").threshold
    assert threshold is not None
    assert (threshold.granularity, threshold.period, threshold.buckets) == (
        timedelta(minutes=1),
        timedelta(minutes=1),
        10,
    )


@pytest.mark.parametrize(
    ("granularity", "says"),
    [
        ("7s", "granularity: must divide within (10m) into whole buckets; 10s, say,"),
        ("20m", "granularity: must divide within (10m) into whole buckets"),
        ("soon", "granularity: 'soon' is not a duration"),
    ],
)
def test_a_granularity_must_cut_the_window_into_whole_buckets(granularity: str, says: str) -> None:
    line, column, message = only(THRESHOLD + f"granularity: {granularity}\n")
    assert (line, column) == (11, 14)
    assert message.startswith(says)


def test_a_granularity_may_not_cut_a_window_into_more_than_a_day_of_minutes() -> None:
    text = THRESHOLD.replace("within: 10m", "within: 1d") + "granularity: 30s\n"
    assert only(text) == (
        11,
        14,
        "granularity: cuts within (1d) into 2880 buckets; at most 1440 (leave granularity out "
        "for 24m)",
    )


def test_granularity_is_for_threshold_rules() -> None:
    _, _, message = only(MATCH + "granularity: 1m\n")
    assert message.startswith("granularity: ")


def test_a_granularity_starts_the_windows_afresh_and_no_granularity_keeps_them() -> None:
    original = parse(THRESHOLD)
    assert parse(THRESHOLD + "granularity: 1m\n").state_version != original.state_version
    assert parse(THRESHOLD + "\n").state_version == original.state_version


@pytest.mark.parametrize(
    ("edits", "says"),
    [
        ([("expect: listed\n", "")], "expect: is required: source (the whole source falls silent)"),
        (
            [("expect: listed", "expect: always")],
            "expect: 'always' is not one of source, seen, listed",
        ),
        (
            [("expect: listed\nentities: [s-1, s-2]", "expect: source"), NO_MESSAGE],
            "group_by: expect: source watches the source as a whole and takes no group_by",
        ),
        (
            [("expect: listed", "expect: seen")],
            "entities: is only for expect: listed (this rule expects seen)",
        ),
        (
            [("entities: [s-1, s-2]", "")],
            "entities: expect: listed needs exactly one of entities (the values) and entities_from "
            "(a reference table)",
        ),
        (
            [("entities: [s-1, s-2]", "entities: [s-1]\nentities_from: stores")],
            "entities: expect: listed needs exactly one",
        ),
        ([("entities: [s-1, s-2]", "entities: s-1")], "entities: must be a list of entities"),
        (
            [("entities: [s-1, s-2]", "entities: [s-1, s-1]")],
            "entities[1]: ['s-1'] is listed twice",
        ),
        (
            [("entities: [s-1, s-2]", "entities: [s-1, 7]")],
            "entities[1]: 'store' is a string field; a number can never be its value; quote it",
        ),
        (
            [("entities: [s-1, s-2]", "entities: [[s-1, s-2]]")],
            "entities[0]: has 2 value(s) but group_by has 1 field(s) (store)",
        ),
        (
            [("entities: [s-1, s-2]", "entities_from: store")],
            "entities_from: no reference table 'store' (rules/reference/store.csv); did you mean "
            "'stores'?",
        ),
        (
            [
                ("[store]", "[till]"),
                ("{store}", "{till}"),
                ("entities: [s-1, s-2]", "entities_from: stores"),
            ],
            "entities_from: takes the keys of a table, which are text: group_by must be one string "
            "field",
        ),
        (
            [("expect: listed\nentities: [s-1, s-2]", "expect: seen\nnever_seen: ignore")],
            "never_seen: expect: seen watches only groups it has seen",
        ),
    ],
)
def test_expectations_and_entities_must_agree(edits: list[tuple[str, str]], says: str) -> None:
    text = ABSENCE
    for old, new in edits:
        text = text.replace(old, new)
    messages = [message for _, _, message in problems(text)]
    assert any(message.startswith(says) for message in messages), messages


def test_seen_and_listed_need_a_group() -> None:
    text = (
        ABSENCE.replace(*NO_GROUP)
        .replace("{store} ", "")
        .replace("expect: listed\nentities: [s-1, s-2]", "expect: seen")
    )
    assert only(text) == (
        7,
        None,
        "group_by: is required by expect: seen: the field(s) naming each group",
    )


def test_every_problem_in_a_file_is_reported_at_once_in_line_order() -> None:
    text = (
        MATCH.replace("severity: high", "severity: urgent")
        .replace("when: amount", "when: amout")
        .replace("resolve_after: 1h", "resolve_after: soon")
    )
    assert [line for line, _, _ in problems(text)] == [4, 10, 11]


def test_the_error_names_the_file_and_prints_line_and_column() -> None:
    with pytest.raises(RuleFileError) as caught:
        parse(MATCH.replace("when: amount", "when: amout"))
    assert str(caught.value).splitlines() == [
        "rules/r.yaml: 1 problem in the rule",
        "  - rules/r.yaml:10:7: when: unknown field 'amout'; did you mean 'amount'?",
    ]


# --- versions ----------------------------------------------------------------------------------


def test_comments_reordering_and_quoting_keep_the_version() -> None:
    # GIVEN the same rule written differently: comments, another key order, flow vs block lists
    original = parse(MATCH)
    lines = MATCH.splitlines()
    rewritten = (
        "\n".join(["# a comment", *reversed(lines)]).replace(
            "group_by: [merchant]", "group_by:\n  - merchant   # one alert per merchant"
        )
        + "\n"
    )
    # THEN both versions are unchanged
    again = parse(rewritten)
    assert (again.version, again.state_version) == (original.version, original.state_version)


def test_a_new_severity_or_message_is_a_new_version_with_the_same_state() -> None:
    original = parse(THRESHOLD)
    changed = parse(
        THRESHOLD.replace("severity: medium", "severity: high")
        .replace("declines", "declined payments")
        .replace("value: 5", "value: 6")
    )
    assert changed.version != original.version
    assert changed.state_version == original.state_version


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('when: status == "declined"', 'when: status != "captured"'),
        ("within: 10m", "within: 20m"),
        ("group_by: [card]", "group_by: [merchant]"),
        ("source: payments", "source: [payments, logins]"),
    ],
)
def test_what_windows_depend_on_changes_the_state_version(old: str, new: str) -> None:
    original = parse(THRESHOLD)
    text = THRESHOLD.replace(old, new)
    if "logins" in new:
        text = (
            text.replace("status", "outcome")
            .replace("{card}", "{user}")
            .replace("[card]", "[user]")
        )
    changed = parse(text)
    assert changed.state_version != original.state_version


def test_alert_keys_default_to_four_hourly_repeats_and_a_flapping_guard() -> None:
    policy = parse(MATCH).alerting
    assert (policy.keep_firing_for, policy.repeat_every, policy.flap_opens, policy.flap_within) == (
        timedelta(0),
        timedelta(hours=4),
        3,
        timedelta(hours=1),
    )


def test_alert_keys_say_how_long_to_keep_firing_how_often_to_repeat_and_when_it_flaps() -> None:
    policy = parse(
        MATCH + "keep_firing_for: 5m\nrepeat_every: 30m\nflapping: {opens: 5, within: 2h}\n"
    ).alerting
    assert (policy.keep_firing_for, policy.repeat_every, policy.flap_opens, policy.flap_within) == (
        timedelta(minutes=5),
        timedelta(minutes=30),
        5,
        timedelta(hours=2),
    )
    quiet = parse(MATCH + "repeat_every: never\nflapping: false\n").alerting
    assert quiet.repeat_every is None and quiet.flap_opens > 10**6


def test_bad_alert_keys_are_named_with_their_lines() -> None:
    found = problems(MATCH + "keep_firing_for: soon\nflapping: {opens: 0, every: 1h}\n")
    assert [(line, text.split(":")[0]) for line, _, text in found] == [
        (12, "keep_firing_for"),
        (13, "flapping.every"),
        (13, "flapping.opens"),
    ]


def test_a_control_character_in_a_rule_is_a_yaml_problem_with_its_line_not_a_crash() -> None:
    # GIVEN rule text with a control character (as a POST /rules/test body may carry)
    # WHEN it is read THEN the reader answers a problem naming the file and line
    [problem] = located_yaml("id: large\x01payment\n", FILE)  # type: ignore[misc]
    assert (problem.file, problem.line) == (FILE, 1)
    assert "unacceptable character #x0001" in problem.message
