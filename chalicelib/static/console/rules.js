// Rules: the loaded rules with their condition and how often each version matched; and a
// dry-run (POST /rules/test), offered only when the key's role reaches it, of a loaded rule or
// of YAML being written, over stored events or a pasted list. The form is built once: what is
// typed survives the page's refreshes, which redraw the table only.

import { api, may } from "./api.js";
import { compact, el, fill, number, panel, table, webAddress, when } from "./dom.js";

const RANGES = [
  ["1", "the last hour"],
  ["24", "the last 24 hours"],
  ["168", "the last 7 days"],
  ["720", "the last 30 days"],
  ["custom", "from … until …"],
];
const HOUR_MS = 3600 * 1000;

export class RulesPage {
  constructor(me) {
    this.me = me;
    this.list = el("div", { id: "rule-list" });
    this.dryRun = may(me, "POST", "/rules/test") ? new DryRun() : null;
    this.root = el(
      "div",
      { class: "rules" },
      el("h1", {}, "Rules"),
      panel("Loaded rules", this.list),
      this.dryRun && this.dryRun.root,
    );
  }

  async refresh() {
    const rules = await api("rules");
    this.showList(rules.items);
    if (this.dryRun) this.dryRun.offer(rules.items);
  }

  showList(rules) {
    if (!rules.length) {
      fill(this.list, el("p", { class: "muted" }, "No rule is loaded."));
      return;
    }
    const shown = table(
      ["rule", "kind", "severity", "looks at", "condition", "versions and matches", "last match"],
      rules.map((rule) => [
        describe(rule),
        rule.kind,
        el("span", { class: `badge ${rule.severity}` }, rule.severity),
        looksAt(rule),
        el("code", { class: "data" }, rule.condition),
        versions(rule),
        when(rule.matches.last_matched_at),
      ]),
    );
    for (const [index, row] of [...shown.tBodies[0].rows].entries()) {
      row.dataset.rule = rules[index].id;
      if (!rules[index].enabled) row.classList.add("disabled");
    }
    fill(this.list, shown);
  }
}

function describe(rule) {
  return el(
    "div",
    { class: "rule-name" },
    el("strong", {}, rule.id),
    !rule.enabled && el("span", { class: "tag" }, "disabled"),
    el("div", { class: "muted" }, rule.description || ""),
    el("div", { class: "muted small" }, rule.file),
    rule.runbook && runbook(rule.runbook),
  );
}

// A runbook is a link only when it is an http(s) address; anything else stays text.
function runbook(address) {
  const href = webAddress(address);
  if (!href) return el("div", { class: "small" }, `runbook: ${address}`);
  return el("div", { class: "small" },
    el("a", { href, target: "_blank", rel: "noopener noreferrer" }, "runbook"));
}

function looksAt(rule) {
  const labels = Object.entries(rule.labels || {}).map(([name, value]) => `${name}=${value}`);
  return el(
    "dl",
    { class: "facts compact" },
    el("dt", {}, "source"), el("dd", {}, rule.sources.join(", ") || "any"),
    el("dt", {}, "type"), el("dd", {}, rule.types.join(", ") || "any"),
    el("dt", {}, "group by"), el("dd", {}, rule.group_by.join(", ") || "—"),
    labels.length > 0 && [el("dt", {}, "labels"), el("dd", {}, labels.join(", "))],
    rule.resolve_after && [el("dt", {}, "resolves"), el("dd", {}, `after ${rule.resolve_after}`)],
  );
}

// The loaded version first (even before it matched anything), then earlier versions.
function versions(rule) {
  const counts = rule.matches.by_version || {};
  const earlier = Object.keys(counts).filter((version) => version !== rule.version);
  const line = (version, current) =>
    el(
      "li",
      { dataset: { version }, class: current ? "current" : null },
      el("code", {}, version),
      " matched ",
      el("span", { class: "count" }, number(counts[version] ?? 0)),
      current ? " (loaded)" : "",
    );
  return el(
    "div",
    {},
    el("ul", { class: "versions" }, line(rule.version, true), earlier.map((one) => line(one))),
    el("div", { class: "muted small" }, `total ${number(rule.matches.total)}`,
      rule.failures ? ` · ${number(rule.failures)} failed evaluations` : ""),
  );
}

class DryRun {
  constructor() {
    this.loaded = [];
    this.ruleChoice = choice("rule-from", [["loaded", "a loaded rule"], ["inline", "YAML"]],
      () => this.toggle());
    this.ruleId = el("select", { id: "dry-rule", name: "rule_id" });
    this.yaml = el("textarea", {
      id: "dry-yaml", name: "rule", rows: 10, spellcheck: "false",
      placeholder: "id: my-rule\nsource: payments\nseverity: high\nkind: match\n"
        + "when: amount > 5000",
    });
    this.eventChoice = choice("events-from", [["stored", "stored events"],
      ["listed", "events listed here (JSON)"]], () => this.toggle());
    this.range = el("select", { id: "dry-range", name: "range", onchange: () => this.toggle() },
      RANGES.map(([value, label]) => el("option", { value }, label)));
    this.range.value = "24";
    this.since = el("input", { id: "dry-since", name: "since", type: "datetime-local" });
    this.until = el("input", { id: "dry-until", name: "until", type: "datetime-local" });
    this.events = el("textarea", {
      id: "dry-events", name: "events", rows: 6, spellcheck: "false",
      placeholder: '[{"source": "payments", "type": "payment.attempted", "id": "p-1", '
        + '"occurred_at": "2026-12-07T10:00:00Z", "data": {"amount": 7250}}]',
    });
    this.submit = el("button", { type: "submit", id: "dry-run" }, "Dry-run");
    this.message = el("div", { class: "message", id: "dry-errors", role: "status" });
    this.result = el("div", { id: "dry-result" });
    this.root = panel("Dry-run a rule", el("div", {},
      el("p", { class: "muted" }, "What the rule would have matched and which alerts it would "
        + "have opened. Nothing is stored and nobody is notified."),
      this.layout(), this.result));
    this.toggle();
  }

  // The controls in their boxes: only the chosen option's box is shown (``toggle``).
  layout() {
    this.loadedBox = el("div", { class: "option-body" }, field("Rule", this.ruleId));
    this.inlineBox = el("div", { class: "option-body" }, field("Rule YAML", this.yaml));
    this.customBox = el("span", { class: "inline" }, field("Since (your time)", this.since),
      field("Until (your time, empty: now)", this.until));
    this.storedBox = el("div", { class: "option-body inline" }, field("Stored in", this.range),
      this.customBox);
    this.listedBox = el("div", { class: "option-body" }, field("Events", this.events));
    return el(
      "form",
      { id: "dry-run-form", class: "dry-run", onsubmit: (event) => this.run(event) },
      el("fieldset", {}, el("legend", {}, "Rule"), this.ruleChoice, this.loadedBox,
        this.inlineBox),
      el("fieldset", {}, el("legend", {}, "Events"), this.eventChoice, this.storedBox,
        this.listedBox),
      el("div", { class: "buttons" }, this.submit),
      this.message,
    );
  }

  // The loaded rules' ids as choices, changed only when the list itself changes.
  offer(rules) {
    const ids = rules.map((rule) => rule.id);
    if (ids.join("\n") === this.loaded.join("\n")) return;
    const chosen = this.ruleId.value;
    fill(this.ruleId, ids.map((id) => el("option", { value: id }, id)));
    if (ids.includes(chosen)) this.ruleId.value = chosen;
    this.loaded = ids;
  }

  toggle() {
    const inline = picked(this.ruleChoice) === "inline";
    this.loadedBox.hidden = inline;
    this.inlineBox.hidden = !inline;
    const listed = picked(this.eventChoice) === "listed";
    this.storedBox.hidden = listed;
    this.listedBox.hidden = !listed;
    this.customBox.hidden = this.range.value !== "custom";
  }

  request() {
    const body = {};
    if (picked(this.ruleChoice) === "inline") body.rule = this.yaml.value;
    else body.rule_id = this.ruleId.value;
    if (picked(this.eventChoice) === "listed") {
      try {
        body.events = JSON.parse(this.events.value || "null");
      } catch (error) {
        throw new Problem([{ field: "events", message: `is not JSON: ${error.message}` }]);
      }
    } else if (this.range.value === "custom") {
      body.since = instant(this.since.value, "since");
      if (this.until.value) body.until = instant(this.until.value, "until");
    } else {
      body.since = new Date(Date.now() - Number(this.range.value) * HOUR_MS).toISOString();
    }
    return body;
  }

  async run(event) {
    event.preventDefault();
    fill(this.message);
    this.submit.disabled = true;
    try {
      const verdict = await api("rules/test", { method: "POST", body: this.request() });
      fill(this.result, showVerdict(verdict));
    } catch (error) {
      fill(this.result);
      fill(this.message, problems(error));
    } finally {
      this.submit.disabled = false;
    }
  }
}

class Problem extends Error {
  constructor(details) {
    super("the form has problems");
    this.body = { error: { message: "not sent", details } };
  }
}

// A datetime-local value is the browser's wall-clock time; the API takes an instant.
function instant(value, name) {
  const date = new Date(value);
  if (!value || Number.isNaN(date.getTime())) {
    throw new Problem([{ field: name, message: "is required: pick a date and time" }]);
  }
  return date.toISOString();
}

// The API's error as it came: its message, then each detail with its place.
export function problems(error) {
  const body = error.body && error.body.error;
  const details = (body && body.details) || [];
  return el(
    "div",
    { class: "problems", role: "alert" },
    el("p", { class: "error" }, body ? body.message : `Not done: ${error.message}`),
    details.length > 0 && el("ul", {}, details.map(detailLine)),
  );
}

function detailLine(detail) {
  const place = [];
  if (detail.file) place.push(detail.file);
  if (detail.line !== undefined && detail.line !== null) {
    place.push(`line ${detail.line}` + (detail.column ? `, column ${detail.column}` : ""));
  }
  return el(
    "li",
    { dataset: { field: detail.field || "" } },
    place.length > 0 && el("span", { class: "place" }, place.join(" · ")),
    place.length > 0 && " ",
    detail.field && el("code", { class: "field-name" }, detail.field),
    detail.field && ": ",
    detail.message,
    detail.value !== undefined
      && el("span", { class: "muted" }, ` (given: ${compact(detail.value)})`),
  );
}

function showVerdict(verdict) {
  const range = verdict.range.since ? `${when(verdict.range.since)} to ${when(verdict.range.until)}`
    : "the listed events";
  const summary = el(
    "dl",
    { class: "facts", id: "dry-summary" },
    el("dt", {}, "rule"), el("dd", {}, `${verdict.rule.id} (version ${verdict.rule.version}, `
      + `${verdict.rule.kind}, ${verdict.rule.severity})`),
    el("dt", {}, "events"), el("dd", {}, `${range}: ${number(verdict.events.scanned)} read, `
      + `${number(verdict.events.evaluated)} judged`
      + (verdict.events.truncated ? " (only the first ones: narrow the range)" : "")),
    el("dt", {}, "matched"), el("dd", { dataset: { figure: "matched" } }, number(verdict.matched)),
    el("dt", {}, "would alert"),
    el("dd", { dataset: { figure: "alerts" } }, number(verdict.alerts_opened)),
    el("dt", {}, "per day"), el("dd", {}, Object.entries(verdict.fires_per_day)
      .map(([day, count]) => `${day}: ${number(count)}`).join(", ") || "—"),
    el("dt", {}, "failed"), el("dd", {}, number(verdict.failed)),
  );
  return el(
    "div",
    { class: "verdict" },
    el("h3", {}, "Verdict"),
    summary,
    verdict.events.rejected.length > 0 && [el("h3", {}, "Events refused"),
      el("ul", { class: "problems" }, verdict.events.rejected.map(detailLine))],
    el("h3", {}, "Alerts it would open"),
    verdict.alerts.length ? alertsTable(verdict.alerts) : el("p", { class: "muted" }, "None."),
    el("h3", {}, "Matches"),
    verdict.matches.length ? matchesTable(verdict.matches) : el("p", { class: "muted" }, "None."),
    verdict.failures.length > 0 && [el("h3", {}, "Failures"), table(["event", "reason"],
      verdict.failures.map((one) => [`${one.source}/${one.event_id}`, one.reason]))],
  );
}

function alertsTable(alerts) {
  return el("div", { id: "dry-alerts" }, table(
    ["group", "opened", "last match", "matches", "email"],
    alerts.map((alert) => [
      el("code", { class: "data" }, compact(alert.group)),
      when(alert.opened_at),
      when(alert.last_match_at),
      number(alert.matches),
      el("details", {}, el("summary", {}, alert.notification.subject),
        el("pre", { class: "data" }, alert.notification.body)),
    ]),
  ));
}

function matchesTable(matches) {
  return el("div", { id: "dry-matches" }, table(
    ["occurred", "event", "group", "observed"],
    matches.map((match) => [
      when(match.occurred_at),
      match.event ? `${match.event.source}/${match.event.id}` : "— (no event: a silence)",
      el("code", { class: "data" }, compact(match.group)),
      match.observed ?? "—",
    ]),
  ));
}

function choice(name, options, changed) {
  return el("div", { class: "choice", onchange: changed },
    options.map(([value, label], index) => el("label", {},
      el("input", { type: "radio", name, value, checked: index === 0 }), ` ${label}`)));
}

function picked(group) {
  const checked = group.querySelector("input:checked");
  return checked ? checked.value : null;
}

function field(label, control) {
  return el("label", { class: "field" }, el("span", {}, label), control);
}
