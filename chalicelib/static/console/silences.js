// Silences: the live ones (or the history too), a form to create one (matchers, a time zone,
// a one-off window or weekly windows, a comment) and an End button per live silence, each
// offered only when the key's role reaches its route. Ending asks for a confirmation on the page
// itself. The form is built once: what is typed survives the page's refreshes.

import { api, may, withQuery } from "./api.js";
import { el, fill, panel, table, when } from "./dom.js";
import { problems } from "./rules.js";

const DAYS = [
  ["mon", "Mon"], ["tue", "Tue"], ["wed", "Wed"], ["thu", "Thu"], ["fri", "Fri"],
  ["sat", "Sat"], ["sun", "Sun"],
];
const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export class SilencesPage {
  constructor(me) {
    this.me = me;
    this.items = [];
    this.confirming = null;
    this.mayEnd = may(me, "DELETE", "/silences/{silence_id}");
    this.state = el("select",
      { id: "silence-state", name: "state", onchange: () => this.refresh() },
      el("option", { value: "active" }, "live (not yet ended)"),
      el("option", { value: "all" }, "all (ended ones too)"));
    this.list = el("div", { id: "silence-list" });
    this.notice = el("p", { class: "message", id: "silence-notice", role: "status" });
    this.form = may(me, "POST", "/silences") ? new SilenceForm(me, () => this.created()) : null;
    this.root = el(
      "div",
      { class: "silences" },
      el("h1", {}, "Silences"),
      el("p", { class: "muted" }, "A silence withholds the emails of the alerts it matches; the "
        + "alerts still open and keep their timeline."),
      el("form", { class: "filters", onsubmit: (event) => event.preventDefault() },
        field("Show", this.state)),
      panel("Silences", el("div", {}, this.notice, this.list)),
      this.form && this.form.root,
    );
  }

  async refresh() {
    if (this.form) await this.form.loadRules();
    const found = await api(withQuery("silences", { state: this.state.value }));
    this.items = found.items;
    this.showList();
  }

  async created() {
    this.notice.textContent = "Silence created.";
    await this.refresh();
  }

  showList() {
    if (!this.items.length) {
      const none = this.state.value === "all" ? "No silence yet." : "No live silence.";
      fill(this.list, el("p", { class: "muted" }, none));
      return;
    }
    const shown = table(
      ["state", "matches", "when", "created by", "comment", ""],
      this.items.map((silence) => [
        el("span", { class: `state ${silence.state}` }, silence.state),
        matchers(silence.matchers),
        schedule(silence),
        el("div", {}, silence.author,
          el("div", { class: "muted small" }, when(silence.created_at))),
        el("q", { class: "comment" }, silence.comment),
        this.action(silence),
      ]),
    );
    for (const [index, row] of [...shown.tBodies[0].rows].entries()) {
      row.dataset.silence = this.items[index].id;
    }
    fill(this.list, shown);
  }

  action(silence) {
    if (!this.mayEnd || silence.state === "expired") return "";
    if (this.confirming !== silence.id) {
      return el("button", { type: "button", class: "end", onclick: () => this.confirm(silence.id) },
        "End");
    }
    return el(
      "div",
      { class: "confirm" },
      el("span", {}, "End it now? Alerts it matches will email again."),
      el("button", { type: "button", class: "confirm-end", onclick: () => this.end(silence.id) },
        "End silence"),
      el("button", { type: "button", class: "keep secondary", onclick: () => this.confirm(null) },
        "Keep"),
    );
  }

  confirm(id) {
    this.confirming = id;
    this.notice.textContent = "";
    this.showList();
  }

  async end(id) {
    this.confirming = null;
    try {
      await api(`silences/${encodeURIComponent(id)}`, { method: "DELETE" });
      this.notice.textContent = "Silence ended.";
    } catch (error) {
      this.notice.textContent = `Not ended: ${error.message}`;
    }
    await this.refresh();
  }
}

function matchers(given) {
  const lines = [];
  if (given.rule) lines.push(["rule", given.rule.join(" | ")]);
  if (given.source) lines.push(["source", given.source.join(" | ")]);
  for (const kind of ["group", "labels"]) {
    for (const [name, values] of Object.entries(given[kind] || {})) {
      lines.push([kind === "group" ? `group ${name}` : `label ${name}`, values.join(" | ")]);
    }
  }
  return el("dl", { class: "facts compact" },
    lines.map(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
}

function schedule(silence) {
  const zone = silence.timezone;
  const weekly = silence.recurrence && silence.recurrence.weekly;
  return el(
    "dl",
    { class: "facts compact" },
    el("dt", {}, "zone"), el("dd", { class: "zone" }, zone),
    el("dt", {}, "repeats"),
    el("dd", { class: "recurrence" },
      weekly ? `weekly, ${weekly.days.join(", ")}, ${weekly.from} to ${weekly.to}`
        : "no (one window)"),
    el("dt", {}, "starts"), el("dd", {}, local(silence.starts_at, zone)),
    el("dt", {}, "ends"), el("dd", {}, local(silence.ends_at, zone)),
    silence.expired_at && [el("dt", {}, "ended"), el("dd", {}, local(silence.expired_at, zone))],
  );
}

// "2027-01-10 00:00 (2027-01-09 23:00:00 UTC)": the wall clock in the silence's zone first.
function local(iso, zone) {
  try {
    const shown = new Intl.DateTimeFormat("sv-SE", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit",
    }).format(new Date(iso));
    return `${shown} (${when(iso)})`;
  } catch {
    return when(iso);
  }
}

class SilenceForm {
  constructor(me, created) {
    this.me = me;
    this.created = created;
    this.rulesLoaded = !may(me, "GET", "/rules");
    this.rule = el("select", { id: "silence-rule", name: "rule" },
      el("option", { value: "" }, "any rule"));
    this.source = el("input", { id: "silence-source", name: "source", type: "text", size: 18,
      placeholder: "any (or a, b)" });
    this.group = el("textarea", { id: "silence-group", name: "group", rows: 2, spellcheck: "false",
      placeholder: "merchant=shop-7 (one per line)" });
    this.labels = el("textarea", { id: "silence-labels", name: "labels", rows: 2,
      spellcheck: "false", placeholder: "team=payments (one per line)" });
    this.zone = el("input", { id: "silence-zone", name: "timezone", type: "text", size: 22,
      list: "silence-zones", value: BROWSER_ZONE, autocomplete: "off", spellcheck: "false" });
    this.kind = el("div", { class: "choice", onchange: () => this.toggle() },
      ["once", "weekly"].map((value, index) => el("label", {},
        el("input", { type: "radio", name: "silence-kind", value, checked: index === 0 }),
        value === "once" ? " one window" : " every week")));
    this.starts = el("input", { id: "silence-starts", name: "starts_at", type: "datetime-local" });
    this.ends = el("input", { id: "silence-ends", name: "ends_at", type: "datetime-local" });
    this.days = el("fieldset", { id: "silence-days", class: "days" }, el("legend", {}, "Days"),
      DAYS.map(([value, label]) => el("label", {},
        el("input", { type: "checkbox", name: "day", value, id: `day-${value}` }), ` ${label}`)));
    this.from = el("input", { id: "silence-from", name: "from", type: "time" });
    this.to = el("input", { id: "silence-to", name: "to", type: "time" });
    this.lastDay = el("input", { id: "silence-last-day", name: "last_day", type: "date" });
    this.comment = el("textarea", { id: "silence-comment", name: "comment", rows: 2,
      maxlength: 1000, placeholder: "Why on-call will not be told (required)" });
    this.author = el("input", { id: "silence-author", name: "author", type: "text", size: 22,
      maxlength: 200, value: me.name });
    this.submit = el("button", { type: "submit", id: "create-silence" }, "Create silence");
    this.errors = el("div", { id: "silence-errors", class: "message" });
    this.root = panel("New silence", el("div", { class: "form-with-errors" }, this.layout(),
      this.errors));
    this.toggle();
  }

  // The controls in their boxes: one window or weekly windows, as chosen (``toggle``).
  layout() {
    this.once = el("div", { class: "option-body inline" },
      field("Starts (empty: now)", this.starts), field("Ends", this.ends));
    this.weekly = el("div", { class: "option-body inline" }, this.days,
      field("From", this.from), field("To (earlier: past midnight)", this.to),
      field("Last day", this.lastDay));
    const zones = el("datalist", { id: "silence-zones" },
      zoneNames().map((name) => el("option", { value: name })));
    return el(
      "form",
      { id: "silence-form", class: "silence-form", onsubmit: (event) => this.send(event) },
      el("fieldset", {}, el("legend", {}, "Which alerts"),
        el("div", { class: "inline" }, field("Rule", this.rule), field("Source", this.source),
          field("Group values", this.group), field("Labels", this.labels))),
      el("fieldset", {}, el("legend", {}, "When"), field("Time zone", this.zone), zones,
        this.kind, this.once, this.weekly,
        el("p", { class: "muted small" }, "Times are wall-clock times in the time zone.")),
      el("div", { class: "inline" }, field("Comment", this.comment), field("By", this.author)),
      el("div", { class: "buttons" }, this.submit),
    );
  }

  async loadRules() {
    if (this.rulesLoaded) return;
    const rules = await api("rules");
    for (const rule of rules.items) this.rule.append(el("option", { value: rule.id }, rule.id));
    this.rulesLoaded = true;
  }

  weeklyChosen() {
    return this.kind.querySelector("input:checked").value === "weekly";
  }

  toggle() {
    this.once.hidden = this.weeklyChosen();
    this.weekly.hidden = !this.weeklyChosen();
  }

  body() {
    const matchers = {};
    if (this.rule.value) matchers.rule = [this.rule.value];
    const sources = this.source.value.split(",").map((one) => one.trim()).filter(Boolean);
    if (sources.length) matchers.source = sources;
    const group = pairs(this.group.value, "matchers.group");
    if (group) matchers.group = group;
    const labels = pairs(this.labels.value, "matchers.labels");
    if (labels) matchers.labels = labels;
    const body = { matchers, timezone: this.zone.value.trim(), comment: this.comment.value,
      author: this.author.value };
    if (this.weeklyChosen()) {
      const days = [...this.days.querySelectorAll("input:checked")].map((box) => box.value);
      body.recurrence = { weekly: { days, from: this.from.value, to: this.to.value } };
      if (this.lastDay.value) body.ends_at = `${dayAfter(this.lastDay.value)}T00:00:00`;
    } else {
      if (this.starts.value) body.starts_at = this.starts.value;
      if (this.ends.value) body.ends_at = this.ends.value;
    }
    return body;
  }

  async send(event) {
    event.preventDefault();
    fill(this.errors);
    this.mark([]);
    this.submit.disabled = true;
    try {
      await api("silences", { method: "POST", body: this.body() });
      this.comment.value = "";
      await this.created();
    } catch (error) {
      fill(this.errors, problems(error));
      this.mark((error.body && error.body.error && error.body.error.details) || []);
    } finally {
      this.submit.disabled = false;
    }
  }

  // The controls the API's problems name, marked (and the list beside the form says why).
  mark(details) {
    const controls = [this.rule, this.source, this.group, this.labels, this.zone, this.starts,
      this.ends, this.days, this.from, this.to, this.lastDay, this.comment, this.author];
    for (const control of controls) control.removeAttribute("aria-invalid");
    for (const detail of details) {
      const control = this.controlFor(detail.field || "");
      if (control) control.setAttribute("aria-invalid", "true");
    }
  }

  controlFor(name) {
    const weekly = this.weeklyChosen();
    const table = [
      ["matchers.rule", this.rule], ["matchers.source", this.source],
      ["matchers.group", this.group], ["matchers.labels", this.labels], ["matchers", this.rule],
      ["timezone", this.zone], ["starts_at", this.starts],
      ["ends_at", weekly ? this.lastDay : this.ends], ["recurrence.weekly.from", this.from],
      ["recurrence.weekly.to", this.to], ["recurrence", this.days], ["comment", this.comment],
      ["author", this.author],
    ];
    const found = table.find(([prefix]) => name === prefix || name.startsWith(`${prefix}.`)
      || name.startsWith(`${prefix}[`));
    return found ? found[1] : null;
  }
}

class FormProblem extends Error {
  constructor(field, message) {
    super(message);
    this.body = { error: { message: "not sent: the form has a problem",
      details: [{ field, message }] } };
  }
}

// "merchant=shop-7\nmerchant=shop-8" → {merchant: ["shop-7", "shop-8"]}; null when empty.
function pairs(text, where) {
  const found = {};
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf("=");
    if (at < 1) throw new FormProblem(where, `line ${index + 1} must be name=value`);
    const name = line.slice(0, at).trim();
    (found[name] ||= []).push(line.slice(at + 1).trim());
  }
  return Object.keys(found).length ? found : null;
}

// "2027-01-09" → "2027-01-10": the silence lasts the whole of its last day.
function dayAfter(day) {
  const [year, month, date] = day.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, date + 1)).toISOString().slice(0, 10);
}

function zoneNames() {
  const names = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone")
    : [];
  return [...new Set(["UTC", BROWSER_ZONE, ...names])];
}

function field(label, control) {
  return el("label", { class: "field" }, el("span", {}, label), control);
}
