// A line chart in SVG, drawn here rather than with a charting library so the page loads nothing
// from elsewhere. A chart is a <figure> holding an <svg> and a <ul class="legend">; series are
// [{label, color, dashed, points: [[x, y], ...]}]. Non-finite values (a diverged loss) are left out.

const NS = 'http://www.w3.org/2000/svg';
const M = { top: 12, right: 16, bottom: 42, left: 70 };

export const palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f'];

// format(value, step) writes a y value; step is the tick spacing, so labels can carry just enough digits.
export function drawChart(figure, series, { xLabel, yLabel, format = v => `${v}` }) {
  const svg = figure.querySelector('svg');
  // Drawn at the width it is shown at (within limits), so its text stays readable on a phone.
  const W = Math.max(320, Math.min(640, figure.clientWidth || 640)), H = Math.round(Math.max(240, W * 0.47));
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.replaceChildren();
  const lines = series.map(s => ({ ...s, points: s.points.filter(p => Number.isFinite(p[0]) && Number.isFinite(p[1])) }));
  const all = lines.flatMap(s => s.points);
  // Tests and people alike can ask how much has been drawn.
  svg.dataset.points = all.length;

  // x is an epoch or a batch: whole numbers only.
  const [x0, x1, xStep] = scale(all.map(p => p[0]), 1);
  const [y0, y1, yStep] = scale(all.map(p => p[1]));
  const sx = x => M.left + (x - x0) / (x1 - x0) * (W - M.left - M.right);
  const sy = y => H - M.bottom - (y - y0) / (y1 - y0) * (H - M.top - M.bottom);

  for (let y = y0; y <= y1 + yStep / 2; y += yStep) {
    add(svg, 'line', { class: 'grid', x1: M.left, x2: W - M.right, y1: sy(y), y2: sy(y) });
    add(svg, 'text', { x: M.left - 6, y: sy(y) + 4, 'text-anchor': 'end' }, format(y, yStep));
  }
  for (let x = x0; x <= x1 + xStep / 2; x += xStep)
    add(svg, 'text', { x: sx(x), y: H - M.bottom + 18, 'text-anchor': 'middle' }, `${round(x)}`);
  add(svg, 'text', { x: (M.left + W - M.right) / 2, y: H - 6, 'text-anchor': 'middle' }, xLabel);
  add(svg, 'text', { x: 14, y: (M.top + H - M.bottom) / 2, 'text-anchor': 'middle', transform: `rotate(-90 14 ${(M.top + H - M.bottom) / 2})` }, yLabel);

  for (const s of lines.filter(s => s.points.length)) {
    const d = s.points.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
    add(svg, 'path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': s.dashed ? '6 4' : null });
    // Per-epoch figures are few: a dot marks each, so a one-epoch run is still visible.
    if (s.points.length <= 40)
      for (const [x, y] of s.points) add(add(svg, 'circle', { cx: sx(x), cy: sy(y), r: 3, fill: s.color }), 'title', {}, `${s.label}: ${format(y, yStep / 100)}`);
  }

  figure.querySelector('.legend').replaceChildren(...lines.map(s => {
    const item = document.createElement('li');
    const swatch = document.createElement('i');
    swatch.style.borderColor = s.color;
    if (s.dashed) swatch.className = 'dashed';
    item.append(swatch, s.label);
    return item;
  }));
}

// The axis range widened to whole ticks of 1, 2 or 5 × 10^k, about five of them.
function scale(values, minStep = 0) {
  let lo = values.length ? Math.min(...values) : 0, hi = values.length ? Math.max(...values) : 1;
  if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
  const raw = (hi - lo) / 5, power = 10 ** Math.floor(Math.log10(raw)), f = raw / power;
  const step = Math.max(minStep, (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * power);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step, step];
}

const round = v => +v.toPrecision(6);

/** The decimals that tell ticks `step` apart. */
export const digits = step => Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));

function add(parent, tag, attributes, text) {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) if (value != null) element.setAttribute(name, value);
  if (text != null) element.textContent = text;
  return parent.appendChild(element);
}
