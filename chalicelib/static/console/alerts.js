// Alerts: the list filtered by status, severity, rule and source, a page at a time by the API's
// cursor; one alert's facts, timeline and sample event; acknowledge and resolve with a comment,
// offered only when the key's role reaches those routes. The comment being typed survives the
// page's refreshes, and a refresh re-reads the page shown, not the first.

import { api, may, withQuery } from "./api.js";
import { compact, el, fill, number, Pager, panel, table, when } from "./dom.js";

const STATUSES = [
  ["active", "active (open or acknowledged)"],
  ["open", "open"],
  ["acknowledged", "acknowledged"],
  ["resolved", "resolved"],
  ["", "any"],
];
const SEVERITIES = ["critical", "high", "medium", "low", "info"];
const PAGE_SIZES = [10, 25, 50, 100];
const PAGE_SIZE = 100;

export class AlertsPage {
  constructor(me) {
    this.me = me;
    this.selected = null;
    this.status = select("status", STATUSES);
    this.severity = select("severity", [["", "any"], ...SEVERITIES.map((one) => [one, one])]);
    this.rule = select("rule", [["", "any"]]);
    this.source = el("input", { name: "source", type: "text", placeholder: "any", size: 14 });
    this.limit = select("limit", PAGE_SIZES.map((size) => [size, String(size)]));
    this.limit.value = String(PAGE_SIZE);
    const filters = el(
      "form",
      { class: "filters", id: "alert-filters", onsubmit: (event) => event.preventDefault() },
      field("Status", this.status),
      field("Severity", this.severity),
      field("Rule", this.rule),
      field("Source", this.source),
      field("Per page", this.limit),
    );
    filters.addEventListener("change", () => this.pager.restart());
    this.list = el("div", { id: "alert-list" });
    this.pager = new Pager("alerts", () => this.refresh());
    this.asked = 0;
    this.detail = new AlertDetail(me, () => this.refresh());
    this.root = el(
      "div",
      { class: "alerts" },
      el("h1", {}, "Alerts"),
      filters,
      el("div", { class: "split" }, panel("Alerts", [this.list, this.pager.root]),
        this.detail.root),
    );
    this.rulesLoaded = false;
  }

  async refresh() {
    if (!this.rulesLoaded && may(this.me, "GET", "/rules")) await this.loadRules();
    const query = {
      status: this.status.value,
      severity: this.severity.value,
      rule: this.rule.value,
      source: this.source.value.trim().toLowerCase(),
      limit: this.limit.value,
      cursor: this.pager.cursor,
    };
    const asked = ++this.asked;
    const page = await api(withQuery("alerts", query));
    if (asked !== this.asked) return; // a later read (a turned page, a filter) answers instead
    this.showList(page);
    this.pager.shown(page);
    if (this.selected !== null) await this.detail.show(this.selected);
  }

  async loadRules() {
    const rules = await api("rules");
    for (const rule of rules.items) this.rule.append(el("option", { value: rule.id }, rule.id));
    this.rulesLoaded = true;
  }

  showList(page) {
    if (!page.items.length) {
      const none = this.pager.before.length ? "Nothing is left on this page: go back a page."
        : "No alert matches these filters.";
      fill(this.list, el("p", { class: "muted" }, none));
      return;
    }
    const rows = page.items.map((alert) => [
      el(
        "button",
        {
          type: "button",
          class: "link",
          dataset: { alert: alert.id },
          onclick: () => this.select(alert.id),
        },
        `#${alert.id}`,
      ),
      badge(alert.severity),
      el("span", { class: `status ${alert.status}` }, alert.status),
      alert.rule,
      alert.source ?? "—",
      el("code", { class: "data" }, compact(alert.group)),
      number(alert.count),
      when(alert.opened_at),
    ]);
    const shown = table(["id", "severity", "status", "rule", "source", "group", "count", "opened"],
      rows);
    for (const [index, row] of [...shown.tBodies[0].rows].entries()) {
      if (page.items[index].id === this.selected) row.classList.add("selected");
    }
    fill(this.list, shown);
  }

  async select(id) {
    this.selected = id;
    this.detail.reset();
    await this.refresh();
  }
}

class AlertDetail {
  constructor(me, changed) {
    this.me = me;
    this.changed = changed;
    this.alertId = null;
    this.sampleFor = null;
    this.heading = el("h2", {}, "Select an alert");
    this.facts = el("div", { id: "alert-facts" });
    this.timeline = el("ol", { class: "timeline", id: "alert-timeline" });
    this.sample = el("div", { id: "alert-sample" });
    this.comment = el("textarea", { id: "comment", rows: 3, maxlength: 1000,
      placeholder: "What you did or found (required)" });
    this.ack = el("button", { type: "button", id: "acknowledge", onclick: () => this.act("ack") },
      "Acknowledge");
    this.resolve = el("button", { type: "button", id: "resolve", onclick: () => this.act("resolve") },
      "Resolve");
    this.message = el("p", { class: "message", role: "status" });
    this.actions = el("form", { class: "actions", hidden: true,
      onsubmit: (event) => event.preventDefault() },
      el("label", { for: "comment" }, "Comment"), this.comment,
      el("div", { class: "buttons" }, this.ack, this.resolve), this.message);
    this.body = el("div", { hidden: true }, this.facts, el("h3", {}, "Timeline"), this.timeline,
      this.sample, this.actions);
    this.root = el("section", { class: "panel detail", id: "alert-detail" }, this.heading,
      this.body);
  }

  reset() {
    this.comment.value = "";
    this.message.textContent = "";
    this.sampleFor = null;
    fill(this.sample);
  }

  async show(id) {
    const alert = await api(`alerts/${encodeURIComponent(id)}`);
    this.alertId = alert.id;
    fill(this.heading, `Alert #${alert.id} `, badge(alert.severity), " ",
      el("span", { class: `status ${alert.status}` }, alert.status));
    fill(this.facts, facts(alert));
    fill(this.timeline, alert.timeline.map(step));
    this.body.hidden = false;
    this.showActions(alert);
    if (alert.sample_event && this.sampleFor !== alert.id) await this.showSample(alert);
  }

  showActions(alert) {
    const mayAck = may(this.me, "POST", "/alerts/{alert_id}/ack") && alert.status === "open";
    const mayResolve = may(this.me, "POST", "/alerts/{alert_id}/resolve")
      && alert.status !== "resolved";
    // a button the key may not press is not drawn at all
    this.ack.hidden = !mayAck;
    this.resolve.hidden = !mayResolve;
    this.actions.hidden = !mayAck && !mayResolve;
  }

  async showSample(alert) {
    this.sampleFor = alert.id;
    if (!may(this.me, "GET", "/events/{source}/{event_id}")) return;
    const { source, id } = alert.sample_event;
    const event = await api(`events/${encodeURIComponent(source)}/${encodeURIComponent(id)}`);
    fill(this.sample, el("h3", {}, "Sample event"),
      el("p", { class: "muted" }, `${event.source} · ${event.type} · ${event.id} · `,
        when(event.occurred_at)),
      el("pre", { class: "data", id: "sample-data" }, JSON.stringify(event.data, null, 2)));
  }

  async act(action) {
    const comment = this.comment.value.trim();
    if (!comment) {
      this.message.textContent = "A comment is required.";
      this.comment.focus();
      return;
    }
    this.ack.disabled = this.resolve.disabled = true;
    try {
      await api(`alerts/${encodeURIComponent(this.alertId)}/${action}`,
        { method: "POST", body: { comment } });
      this.comment.value = "";
      this.message.textContent = action === "ack" ? "Acknowledged." : "Resolved.";
      await this.changed();
    } catch (error) {
      this.message.textContent = `Not done: ${error.message}`;
    } finally {
      this.ack.disabled = this.resolve.disabled = false;
    }
  }
}

function facts(alert) {
  const rows = [
    ["rule", `${alert.rule} (version ${alert.rule_version ?? "—"}, ${alert.kind ?? "—"})`],
    ["source", alert.source ?? "—"],
    ["group", el("code", { class: "data" }, compact(alert.group))],
    ["labels", el("code", { class: "data" }, compact(alert.labels || {}))],
    ["matches", number(alert.count)],
    ["opened", when(alert.opened_at)],
    ["last seen", when(alert.last_seen_at)],
  ];
  if (alert.acknowledged) {
    rows.push(["acknowledged", `${when(alert.acknowledged.at)} by ${alert.acknowledged.by}`]);
  }
  if (alert.resolved) {
    const by = alert.resolved.by ? ` by ${alert.resolved.by}` : "";
    rows.push(["resolved", `${when(alert.resolved.at)}${by} (${alert.resolved.resolution})`]);
  }
  return el("dl", { class: "facts" }, rows.map(([name, value]) => [el("dt", {}, name),
    el("dd", {}, value)]));
}

function step(entry) {
  return el(
    "li",
    { dataset: { kind: entry.kind } },
    el("span", { class: "at" }, when(entry.at)),
    el("span", { class: `kind ${entry.kind}` }, entry.kind),
    el("span", { class: "detail" }, entry.detail),
    entry.comment && el("q", { class: "comment" }, entry.comment),
  );
}

function badge(severity) {
  return el("span", { class: `badge ${severity}` }, severity);
}

function select(name, options) {
  return el("select", { name }, options.map(([value, label]) => el("option", { value }, label)));
}

function field(label, control) {
  return el("label", { class: "field" }, el("span", {}, label), control);
}
