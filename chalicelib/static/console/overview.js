// Overview: what flows, what is rejected, what fires, what is importing. Its figures come from
// GET /kpis, counts the database groups itself on the events' time index (cheap at any volume):
// the last 24 hours by the hour for the totals, the last 3 hours by the minute for the chart;
// and, where the key's role reaches them, the active alerts, the uploads importing now and the
// latest events.

import { api, may, withQuery } from "./api.js";
import { lineChart } from "./chart.js";
import { compact, el, fill, number, panel, table, when } from "./dom.js";

const HOURS = 24;
const HOUR_MS = 3_600_000;
const CHART_MINUTES = 180;
const MINUTE_MS = 60_000;
const TICK_MINUTES = 30; // the chart's time axis is labelled every half hour
const SEVERITIES = ["critical", "high", "medium", "low", "info"];
const PAGE_LIMIT = 500;

export class OverviewPage {
  constructor(me) {
    this.me = me;
    this.figures = el("div", { class: "cards", id: "kpis" });
    this.chart = el("div", { id: "events-chart" });
    this.rejects = el("div", { id: "rejects" });
    this.severities = el("div", { class: "cards", id: "open-alerts" });
    this.uploads = el("div", { id: "importing" });
    this.latest = el("div", { id: "latest-events" });
    this.root = el(
      "div",
      { class: "overview" },
      el("h1", {}, "Overview"),
      this.figures,
      panel("Events per minute by source, last 3 hours", this.chart),
      may(me, "GET", "/alerts") && panel("Open alerts by severity", this.severities),
      el(
        "div",
        { class: "columns" },
        panel("Rows rejected, last 24 hours", this.rejects),
        may(me, "GET", "/uploads") && panel("Uploads importing now", this.uploads),
      ),
      may(me, "GET", "/events") && panel("Latest events", this.latest),
    );
  }

  async refresh() {
    const work = [this.showKpis(), this.showChart()];
    if (may(this.me, "GET", "/alerts")) work.push(this.showSeverities());
    if (may(this.me, "GET", "/uploads")) work.push(this.showUploads());
    if (may(this.me, "GET", "/events")) work.push(this.showLatest());
    const failed = (await Promise.allSettled(work)).find((one) => one.status === "rejected");
    if (failed) throw failed.reason;
  }

  async showKpis() {
    const start = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - (HOURS - 1) * HOUR_MS;
    const since = new Date(start).toISOString();
    const kpis = await api(withQuery("kpis", { interval: "hour", since }));
    const sum = (items, field) => items.reduce((total, item) => total + (item[field] || 0), 0);
    fill(
      this.figures,
      card("Events stored", sum(kpis.events, "events"), "last 24 hours"),
      card("Rows rejected", sum(kpis.rejects, "rejected"), "last 24 hours"),
      card("Rule matches", sum(kpis.rule_matches, "matches"), "last 24 hours"),
      card("Alerts opened", sum(kpis.alerts, "opened"), "last 24 hours"),
    );
    fill(this.rejects, rejectsTable(kpis.rejects));
  }

  async showChart() {
    const start = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - (CHART_MINUTES - 1) * MINUTE_MS;
    const since = new Date(start).toISOString();
    const until = new Date(start + CHART_MINUTES * MINUTE_MS).toISOString();
    const kpis = await api(withQuery("kpis", { interval: "minute", since, until }));
    fill(this.chart, eventsChart(kpis.events, start));
  }

  async showSeverities() {
    const page = await api(withQuery("alerts", { status: "active", limit: PAGE_LIMIT }));
    const more = page.next_cursor ? "+" : "";
    fill(
      this.severities,
      SEVERITIES.map((severity) => {
        const count = page.items.filter((alert) => alert.severity === severity).length;
        return el(
          "a",
          { class: `card severity ${severity}`, href: "#alerts", dataset: { severity } },
          el("span", { class: "label" }, severity),
          el("span", { class: "figure" }, `${count}${count ? more : ""}`),
        );
      }),
    );
  }

  async showUploads() {
    const page = await api(withQuery("uploads", { status: "importing", limit: 20 }));
    if (!page.items.length) {
      fill(this.uploads, el("p", { class: "muted" }, "No upload is importing."));
      return;
    }
    fill(this.uploads, el("ul", { class: "uploads" }, page.items.map(uploadItem)));
  }

  async showLatest() {
    const page = await api(withQuery("events", { limit: 10 }));
    if (!page.items.length) {
      fill(this.latest, el("p", { class: "muted" }, "No events stored yet."));
      return;
    }
    fill(
      this.latest,
      table(
        ["occurred", "source", "type", "id", "data"],
        page.items.map((event) => [
          when(event.occurred_at),
          event.source,
          event.type,
          event.id,
          el("code", { class: "data" }, compact(event.data)),
        ]),
      ),
    );
  }
}

function eventsChart(buckets, start) {
  const slots = Array.from({ length: CHART_MINUTES }, (_, i) => {
    const at = new Date(start + i * MINUTE_MS);
    const iso = at.toISOString();
    const tick = at.getUTCMinutes() % TICK_MINUTES === 0;
    return { key: `${iso.slice(0, 16)}:00Z`, label: iso.slice(11, 16), tick };
  });
  const bySource = new Map();
  for (const bucket of buckets) {
    const values = bySource.get(bucket.source) || new Map();
    values.set(bucket.bucket, (values.get(bucket.bucket) || 0) + bucket.events);
    bySource.set(bucket.source, values);
  }
  const series = [...bySource.keys()].sort().map((name) => ({ name, values: bySource.get(name) }));
  return lineChart({ slots, series, title: "Events per minute by source (UTC)", unit: "events" });
}

function rejectsTable(rejects) {
  if (!rejects.length) return el("p", { class: "muted" }, "Nothing received in this range.");
  return table(
    ["source", "rejected", "stored", "reject rate"],
    rejects.map((one) => [
      one.source ?? "(unreadable)",
      number(one.rejected),
      number(one.events),
      one.reject_rate === null ? "—" : `${(one.reject_rate * 100).toFixed(1)} %`,
    ]),
  );
}

function uploadItem(upload) {
  const chunks = upload.chunks || {};
  const rows = upload.rows || {};
  const progress = el("progress", { max: chunks.total || 1, value: chunks.done || 0 });
  if (!chunks.total) progress.removeAttribute("value"); // not yet split: indeterminate
  return el(
    "li",
    {},
    el("span", { class: "name" }, upload.filename),
    el("span", { class: "muted" }, ` ${upload.source} · `),
    progress,
    el(
      "span",
      { class: "muted" },
      ` chunks ${number(chunks.done)}/${chunks.total ?? "?"} · rows seen ${number(rows.seen)},` +
        ` accepted ${number(rows.accepted)}, rejected ${number(rows.rejected)}`,
    ),
  );
}

function card(label, value, note) {
  return el(
    "div",
    { class: "card" },
    el("span", { class: "label" }, label),
    el("span", { class: "figure" }, number(value)),
    el("span", { class: "note" }, note),
  );
}
