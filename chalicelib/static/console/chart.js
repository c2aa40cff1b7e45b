// A line chart as SVG: one line per series over fixed time slots. Ours rather than a library's:
// the console needs one kind of chart, and a few lines of SVG keep the package free of vendored
// code. Colours come from the stylesheet (classes s0…s7), labels are text nodes.

import { el, svg } from "./dom.js";

const WIDTH = 960;
const HEIGHT = 260;
const MARGIN = { top: 16, right: 28, bottom: 28, left: 52 };
const COLOURS = 8;
const TICKS = 4;

// slots: [{key, label, tick?}] in time order; series: [{name, values: Map(slot key → number)}]
export function lineChart({ slots, series, title, unit }) {
  const plot = { w: WIDTH - MARGIN.left - MARGIN.right, h: HEIGHT - MARGIN.top - MARGIN.bottom };
  const top = TICKS * niceStep(Math.max(0, ...series.flatMap((one) => [...one.values.values()])) / TICKS);
  const x = (i) => MARGIN.left + (slots.length < 2 ? plot.w / 2 : (i * plot.w) / (slots.length - 1));
  const y = (v) => MARGIN.top + plot.h - (v / top) * plot.h;
  const chart = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: "chart",
    role: "img",
    "aria-label": title,
  });
  chart.append(svg("title", {}, title), ...yAxis(top, y, plot), ...xAxis(slots, x));
  series.forEach((one, index) => chart.append(line(one, index, slots, x, y, unit)));
  const legend = el(
    "ul",
    { class: "legend" },
    series.map((one, index) =>
      el("li", {}, el("span", { class: `swatch s${index % COLOURS}` }), one.name),
    ),
  );
  if (!series.length) legend.append(el("li", { class: "muted" }, "no events in this range"));
  return el("figure", { class: "chart-box" }, chart, legend);
}

function line(one, index, slots, x, y, unit) {
  const values = slots.map((slot) => one.values.get(slot.key) || 0);
  const group = svg("g", { class: `series s${index % COLOURS}`, "data-source": one.name });
  const points = values.map((value, i) => `${x(i).toFixed(1)},${y(value).toFixed(1)}`).join(" ");
  group.append(svg("polyline", { points, fill: "none", "data-source": one.name }));
  values.forEach((value, i) => {
    if (!value) return;
    const r = slots.length > 60 ? 2 : 3.5; // a point a minute: small dots, the line reads
    const dot = svg("circle", { cx: x(i).toFixed(1), cy: y(value).toFixed(1), r });
    dot.append(svg("title", {}, `${one.name}, ${slots[i].label}: ${value} ${unit}`));
    group.append(dot);
  });
  return group;
}

function yAxis(top, y, plot) {
  const parts = [];
  for (let step = 0; step <= TICKS; step += 1) {
    const value = (top * step) / TICKS;
    const at = y(value).toFixed(1);
    parts.push(
      svg("line", { class: "grid", x1: MARGIN.left, x2: MARGIN.left + plot.w, y1: at, y2: at }),
      svg("text", { class: "tick", x: MARGIN.left - 8, y: at, "text-anchor": "end", dy: "0.32em" },
        value.toLocaleString("en")),
    );
  }
  return parts;
}

// Labels on the slots marked `tick`, or, when none is, on about eight evenly spread.
function xAxis(slots, x) {
  const every = Math.max(1, Math.ceil(slots.length / 8));
  const marked = slots.some((slot) => slot.tick);
  const labelled = (slot, i) => (marked ? slot.tick : i % every === 0 || i === slots.length - 1);
  return slots.flatMap((slot, i) =>
    labelled(slot, i)
      ? [svg("text", { class: "tick", x: x(i).toFixed(1), y: HEIGHT - 8, "text-anchor": "middle" },
          slot.label)]
      : [],
  );
}

// 1, 2, 5, 10, 20, 50, … at or above `value`: grid lines on round whole numbers.
function niceStep(value) {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((nice) => nice >= value);
}
