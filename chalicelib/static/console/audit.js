// Audit: every operator action, newest first, as GET /audit answers it (admin keys only): when,
// who (the key's name and id, and its role), what, on which target, with the comment and other
// details given, and from which address. Filtered by action, key and time, a page at a time by
// the API's cursor, so nothing is cut off unseen. Names, comments and details are whatever the
// callers sent: they are shown as text, like every value.

import { api, withQuery } from "./api.js";
import { compact, el, fill, Pager, panel, table, when } from "./dom.js";

// What the API records today; the field takes any other action name too.
const ACTIONS = [
  "alert.acknowledged",
  "alert.resolved",
  "silence.created",
  "silence.ended",
  "upload.granted",
  "key.created",
  "key.revoked",
];
const PAGE_SIZES = [10, 25, 50, 100, 200];
const PAGE_SIZE = 50;
const KEY_ID = /\(([0-9a-f]{12})\)$/; // an actor is "name (key id)"
const WRONG_WAY = { field: "From", message: "must be before Until" };

export class AuditPage {
  constructor(me) {
    this.me = me;
    this.action = el("input", { name: "action", id: "audit-action", type: "text", size: 18,
      list: "audit-actions", placeholder: "any", autocomplete: "off" });
    this.key = el("input", { name: "key", id: "audit-key", type: "text", size: 14,
      placeholder: "any", pattern: "[0-9a-f]{12}", autocomplete: "off", spellcheck: "false" });
    this.since = el("input", { name: "since", id: "audit-since", type: "datetime-local" });
    this.until = el("input", { name: "until", id: "audit-until", type: "datetime-local" });
    this.limit = el("select", { name: "limit", id: "audit-limit" },
      PAGE_SIZES.map((size) => el("option", { value: size }, String(size))));
    this.limit.value = String(PAGE_SIZE);
    const filters = el(
      "form",
      { class: "filters", id: "audit-filters", onsubmit: (event) => event.preventDefault() },
      field("Action", this.action),
      el("datalist", { id: "audit-actions" }, ACTIONS.map((one) => el("option", { value: one }))),
      field("Key id", this.key),
      field("From (UTC)", this.since),
      field("Until (UTC)", this.until),
      field("Per page", this.limit),
      el("button", { type: "button", class: "plain", id: "audit-clear",
        onclick: () => this.clear() }, "Clear filters"),
    );
    filters.addEventListener("change", () => this.filtered());
    this.problem = el("p", { class: "error", id: "audit-problem", role: "alert" });
    this.list = el("div", { id: "audit-list" });
    this.pager = new Pager("audit", () => this.refresh(), { previous: "Newer", next: "Older" });
    this.asked = 0;
    this.root = el(
      "div",
      { class: "audit" },
      el("h1", {}, "Audit log"),
      el("p", { class: "muted" }, "Every operator action, newest first: who did what, when, and "
        + "from where. Times are UTC."),
      filters,
      this.problem,
      panel("Actions", [this.list, this.pager.root]),
    );
  }

  async refresh() {
    const query = {
      action: this.action.value.trim(),
      key: this.key.value.trim().toLowerCase(),
      since: utc(this.since.value),
      until: utc(this.until.value),
      limit: this.limit.value,
      cursor: this.pager.cursor,
    };
    const asked = ++this.asked;
    if (query.since && query.until && Date.parse(query.since) >= Date.parse(query.until)) {
      this.showProblem("These filters select nothing", [WRONG_WAY]);
      return;
    }
    let page;
    try {
      page = await api(withQuery("audit", query));
    } catch (error) {
      if (error.status !== 400 || asked !== this.asked) throw error;
      this.showProblem(error.message, error.body?.error?.details || []);
      return;
    }
    if (asked !== this.asked) return; // a later read (a turned page, a filter) answers instead
    fill(this.problem);
    this.showList(page);
    this.pager.shown(page);
  }

  // Filters that do not make a query (From after Until, say): said beside them, not a failure.
  showProblem(message, details) {
    fill(this.problem, message, details.map((one) =>
      ` · ${one.field ? `${one.field}: ` : ""}${one.message}`));
    fill(this.list);
    this.pager.shown({ next_cursor: null });
  }

  showList(page) {
    if (!page.items.length) {
      const none = this.pager.before.length ? "Nothing is left on this page: go back a page."
        : "No action matches these filters.";
      fill(this.list, el("p", { class: "muted" }, none));
      return;
    }
    const rows = page.items.map((entry) => [
      el("span", { class: "at" }, when(entry.at)),
      this.actor(entry),
      el("code", { class: "action" }, entry.action),
      entry.target,
      details(entry.detail),
      entry.origin ?? "—",
    ]);
    fill(this.list, table(["when", "actor", "action", "target", "details", "from"], rows));
  }

  actor(entry) {
    const keyId = KEY_ID.exec(entry.actor || "");
    return el(
      "div",
      { class: "actor" },
      el("span", { class: "name" }, entry.actor),
      entry.role && el("span", { class: "role" }, entry.role),
      keyId && keyId[1] !== this.key.value.trim() && el("button", {
        type: "button", class: "link", dataset: { key: keyId[1] },
        title: "Show this key's actions only", onclick: () => this.onlyKey(keyId[1]),
      }, "only this key"),
    );
  }

  onlyKey(keyId) {
    this.key.value = keyId;
    this.filtered();
  }

  clear() {
    for (const input of [this.action, this.key, this.since, this.until]) input.value = "";
    this.filtered();
  }

  filtered() {
    this.pager.restart();
  }
}

// A detail object as name: value lines; strings as they are, anything else as JSON text.
function details(detail) {
  const entries = Object.entries(detail || {});
  if (!entries.length) return el("span", { class: "muted" }, "—");
  return el("dl", { class: "details" }, entries.map(([name, value]) => [
    el("dt", {}, name),
    el("dd", {}, typeof value === "string" ? value : compact(value)),
  ]));
}

// A datetime-local value ("2026-12-07T17:30"), read as UTC like every time on the page.
function utc(value) {
  if (!value) return "";
  return `${value.length === 16 ? `${value}:00` : value}Z`;
}

function field(label, control) {
  return el("label", { class: "field" }, el("span", {}, label), control);
}
