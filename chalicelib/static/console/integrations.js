// Integrations: where each client an integrator already has sends to, with a snippet to paste,
// and what Tripline kept of what it could not take. The addresses are this API's own (the page
// is served by it); the key in a snippet is $TRIPLINE_API_KEY, never the one signed in with.
// Rejected items (GET /rejections, operators; an ingest key sees its own sources) are every item
// refused after it was accepted for delivery: a Segment call answered {"success": true}, an
// event the processor could not store, each with its errors and the payload as it was sent.

import { api, may, withQuery } from "./api.js";
import { compact, el, fill, Pager, panel, table, when } from "./dom.js";

const PAGE_SIZE = 25;

// What each protocol needs of a key, and a snippet in its client's own words. `base` is the
// API's address (no trailing slash), `source` a source the key may write.
const PROTOCOLS = [
  {
    id: "events",
    name: "Tripline events",
    route: ["POST", "/events"],
    path: "events",
    auth: "Authorization: Bearer <key>",
    note: "One event, or {\"events\": [...]} up to 500; a result per item.",
    snippet: (base, source) => [
      `curl -s -X POST ${base}/events \\`,
      "  -H \"Authorization: Bearer $TRIPLINE_API_KEY\" -H 'Content-Type: application/json' \\",
      `  -d '{"source": "${source}", "type": "order.created", "id": "o-1", "data": {"total": 12.5}}'`,
    ],
  },
  {
    id: "cloudevents",
    name: "CloudEvents 1.0",
    route: ["POST", "/events"],
    path: "events",
    auth: "Authorization: Bearer <key>",
    note: "Structured (application/cloudevents+json), batch (application/cloudevents-batch+json) "
      + "or binary (ce-* headers) mode. The CloudEvent's source is mapped to a Tripline source "
      + "by rules/cloudevents.yaml, else taken as a source name, else the key's one source.",
    snippet: (base, source) => [
      "from cloudevents.core.bindings.http import to_structured_event",
      "from cloudevents.core.v1.event import CloudEvent",
      "import os, requests",
      "",
      `event = CloudEvent({"type": "order.created", "source": "${source}"}, {"total": 12.5})`,
      "message = to_structured_event(event)",
      `requests.post("${base}/events", data=message.body, headers=message.headers`,
      "              | {\"Authorization\": f\"Bearer {os.environ['TRIPLINE_API_KEY']}\"})",
    ],
  },
  {
    id: "segment",
    name: "Segment tracking",
    route: ["POST", "/v1/batch"],
    path: "v1/batch",
    auth: "HTTP Basic: the key is the write key (an ingest key of one source)",
    note: "track, identify, page, screen, group and alias, one call or a batch. Always answered "
      + "{\"success\": true} once queued: a call Tripline cannot store is kept below, under "
      + "Rejected items.",
    snippet: (base) => [
      "import os",
      "from segment.analytics import Client",
      "",
      `analytics = Client(write_key=os.environ["TRIPLINE_API_KEY"], host="${base}")`,
      "analytics.track(user_id=\"u-42\", event=\"Order Completed\", properties={\"total\": 12.5})",
      "analytics.flush()",
    ],
  },
  {
    id: "pagerduty",
    name: "PagerDuty Events API v2",
    route: null, // its key travels in the body, as routing_key: no Authorization header
    path: "v2/enqueue",
    auth: "routing_key: the key (an ingest key of one source)",
    note: "trigger, acknowledge and resolve by dedup_key: one Tripline alert per dedup key, "
      + "with the rule alerts' emails, silences and timeline.",
    // PagerDuty's Python client takes https:// only: over plain http (the local runtime), curl
    snippet: (base) => (base.startsWith("https:") ? [
      "import os",
      "from pagerduty import EventsApiV2Client",
      "",
      `events = EventsApiV2Client(os.environ["TRIPLINE_API_KEY"], base_url="${base}")`,
      "key = events.trigger(\"checkout latency over 2 s\", \"web-1\", dedup_key=\"checkout-latency\")",
      "events.acknowledge(key)",
      "events.resolve(key)",
    ] : [
      "# PagerDuty's Python client takes https:// only; any tool or curl takes this address",
      `curl -s -X POST ${base}/v2/enqueue -H 'Content-Type: application/json' -d '{`,
      "  \"routing_key\": \"'\"$TRIPLINE_API_KEY\"'\", \"event_action\": \"trigger\",",
      "  \"dedup_key\": \"checkout-latency\", \"payload\": {\"summary\": \"checkout latency over 2 s\",",
      "  \"source\": \"web-1\", \"severity\": \"warning\"}}'",
    ]),
  },
];

export class IntegrationsPage {
  constructor(me) {
    this.me = me;
    this.base = new URL(".", document.baseURI).href.replace(/\/$/, "");
    const source = me.sources.length === 1 ? me.sources[0] : (me.sources[0] || "shop");
    this.cards = el("div", { class: "integrations", id: "integrations" },
      PROTOCOLS.map((protocol) => this.card(protocol, source)));
    this.readsRejections = may(me, "GET", "/rejections");
    this.source = el("input", { name: "source", id: "rejections-source", type: "text", size: 14,
      placeholder: "any", autocomplete: "off", spellcheck: "false" });
    this.list = el("div", { id: "rejections-list" });
    this.problem = el("p", { class: "error", id: "rejections-problem", role: "alert" });
    this.pager = new Pager("rejections", () => this.refresh());
    this.asked = 0;
    const filters = el("form", { class: "filters", id: "rejections-filters",
      onsubmit: (event) => event.preventDefault() },
    el("label", { class: "field" }, el("span", {}, "Source"), this.source));
    filters.addEventListener("change", () => this.pager.restart());
    this.root = el(
      "div",
      { class: "integrations-page" },
      el("h1", {}, "Integrations"),
      el("p", { class: "muted" }, "Point the clients your systems already have at this API: "
        + "change the address and the key. Every item goes through the same checks, source "
        + "permissions and idempotency as Tripline's own events."),
      this.cards,
      this.readsRejections && panel("Rejected items", [
        el("p", { class: "muted" }, "Items accepted for delivery that could not be stored, "
          + "newest first, each with what was wrong and the payload as it was sent."),
        filters, this.problem, this.list, this.pager.root,
      ]),
    );
  }

  card(protocol, source) {
    const usable = this.usable(protocol);
    const code = protocol.snippet(this.base, source).join("\n");
    const copy = el("button", { type: "button", class: "plain", dataset: { copy: protocol.id },
      onclick: () => this.copy(code, copy) }, "Copy");
    return el(
      "section",
      { class: "panel integration", id: `integration-${protocol.id}` },
      el("h2", {}, protocol.name),
      el("dl", { class: "details" },
        el("dt", {}, "Address"), el("dd", {}, el("code", {}, `${this.base}/${protocol.path}`)),
        el("dt", {}, "Key"), el("dd", {}, protocol.auth),
        el("dt", {}, "This key"), el("dd", { class: usable ? "usable" : "unusable" },
          usable ? "can send here" : "cannot send here: " + this.why(protocol))),
      el("p", { class: "muted" }, protocol.note),
      el("pre", { class: "data snippet" }, code),
      copy,
    );
  }

  // Segment and PagerDuty send to the key's one source; the others to any source it writes.
  usable(protocol) {
    const oneSource = this.me.role === "ingest" && this.me.sources.length === 1;
    if (protocol.id === "segment" || protocol.id === "pagerduty") {
      return oneSource && (!protocol.route || may(this.me, ...protocol.route));
    }
    return may(this.me, ...protocol.route);
  }

  why(protocol) {
    if (protocol.id === "segment" || protocol.id === "pagerduty") {
      return "it needs an ingest key of exactly one source "
        + "(tripline keys create --role ingest --source NAME)";
    }
    return "this key's role does not send events";
  }

  async copy(code, button) {
    try {
      await navigator.clipboard.writeText(code);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select the text to copy it";
    }
  }

  async refresh() {
    if (!this.readsRejections) return;
    const asked = ++this.asked;
    const query = { source: this.source.value.trim().toLowerCase(), limit: PAGE_SIZE,
      cursor: this.pager.cursor };
    let page;
    try {
      page = await api(withQuery("rejections", query));
    } catch (error) {
      if (error.status !== 400 || asked !== this.asked) throw error;
      fill(this.problem, error.message);
      fill(this.list);
      return;
    }
    if (asked !== this.asked) return;
    fill(this.problem);
    this.show(page);
    this.pager.shown(page);
  }

  show(page) {
    if (!page.items.length) {
      fill(this.list, el("p", { class: "muted", id: "rejections-none" },
        "Nothing was rejected after it was accepted."));
      return;
    }
    const rows = page.items.map((item) => [
      el("span", { class: "at" }, when(item.received_at)),
      item.source ?? "—",
      item.event_id ?? "—",
      el("div", {}, item.reason, problems(item.errors)),
      el("code", { class: "data" }, shortened(item.payload)),
    ]);
    fill(this.list, table(["received", "source", "id", "what was wrong", "payload"], rows));
  }
}

function problems(errors) {
  if (!errors || !errors.length) return null;
  return el("ul", { class: "problems" }, errors.map((one) =>
    el("li", {}, `${one.field ? `${one.field}: ` : ""}${one.message}`)));
}

// The payload as sent (text, or JSON as one line), cut for the table.
function shortened(payload) {
  const text = typeof payload === "string" ? payload : compact(payload);
  return text.length > 400 ? `${text.slice(0, 399)}…` : text;
}
