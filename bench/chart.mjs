// A small SVG bar chart of the bench medians: horizontal grouped bars, one
// panel per unit, each with its own linear scale. No dependencies.
//   renderChart({ title, subtitle?, floor, panels: [{ title, unit?, rows: [{ label, values: { tsrun, runc, crun } }] }] })
// `floor` (ms) is drawn as a dashed line in the first panel: `node -e 0`.

const COLORS = { tsrun: '#3178c6', runc: '#e07b39', crun: '#4c9a52' };
const ORDER = ['tsrun', 'runc', 'crun'];
const W = 860;
const LABEL_W = 190;
const VALUE_W = 70;
const BAR_H = 11;
const BAR_GAP = 2;
const ROW_GAP = 9;
const PLOT_W = W - LABEL_W - VALUE_W - 20;

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const tick = (t, step) => t.toFixed(Number.isInteger(step) ? 0 : Math.max(1, -Math.floor(Math.log10(step % 1 || step))));
const num = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** A "nice" axis maximum and tick step covering max. */
function niceScale(max) {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  return { top: Math.ceil(max / step) * step, step };
}

export function renderChart({ title, subtitle, floor, panels }) {
  const out = [];
  let y = subtitle ? 64 : 50;
  const body = [];
  panels.forEach((panel, pi) => {
    const rows = panel.rows.filter((r) => Object.values(r.values).some((v) => v != null));
    if (!rows.length) return;
    const unit = panel.unit ?? 'ms';
    const vals = rows.flatMap((r) => Object.values(r.values).filter((v) => v != null));
    if (pi === 0 && floor) vals.push(floor);
    const { top, step } = niceScale(Math.max(...vals));
    const x = (v) => LABEL_W + (v / top) * PLOT_W;
    body.push(`<text x="${LABEL_W}" y="${y}" class="panel">${esc(panel.title)}</text>`);
    y += 10;
    const y0 = y;
    for (const r of rows) {
      const bars = ORDER.filter((n) => r.values[n] != null);
      const h = bars.length * (BAR_H + BAR_GAP) - BAR_GAP;
      body.push(`<text x="${LABEL_W - 8}" y="${y + h / 2 + 4}" text-anchor="end">${esc(r.label)}</text>`);
      bars.forEach((n, i) => {
        const v = r.values[n];
        const by = y + i * (BAR_H + BAR_GAP);
        body.push(
          `<rect x="${LABEL_W}" y="${by}" width="${Math.max(0.5, x(v) - LABEL_W).toFixed(1)}" height="${BAR_H}" fill="${COLORS[n]}"><title>${n}: ${num(v)} ${unit}</title></rect>`,
          `<text x="${(x(v) + 4).toFixed(1)}" y="${by + BAR_H - 2}" class="val">${num(v)}</text>`,
        );
      });
      y += h + ROW_GAP;
    }
    // Axis with ticks and grid lines.
    for (let t = 0; t <= top + step / 2; t += step) {
      const tx = x(t).toFixed(1);
      body.unshift(`<line x1="${tx}" y1="${y0 - 4}" x2="${tx}" y2="${y - ROW_GAP + 4}" class="grid"/>`);
      body.push(`<text x="${tx}" y="${y + 8}" text-anchor="middle" class="tick">${tick(t, step)}</text>`);
    }
    if (pi === 0 && floor) {
      const fx = x(floor).toFixed(1);
      body.push(`<line x1="${fx}" y1="${y0 - 6}" x2="${fx}" y2="${y - ROW_GAP + 6}" class="floor"/>`);
    }
    y += 34;
  });
  // Legend.
  const legend = ORDER.map((n, i) => `<rect x="${LABEL_W + i * 90}" y="${y - 18}" width="12" height="12" fill="${COLORS[n]}"/><text x="${LABEL_W + i * 90 + 17}" y="${y - 8}">${n}</text>`);
  if (floor) {
    const lx = LABEL_W + ORDER.length * 90;
    legend.push(`<line x1="${lx}" y1="${y - 12}" x2="${lx + 22}" y2="${y - 12}" class="floor"/><text x="${lx + 28}" y="${y - 8}">node -e 0 (the floor of a Node CLI command): ${num(floor)} ms</text>`);
  }
  const H = y + 4;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12">`,
    '<style>text{fill:#222}.panel{font-weight:600}.title{font-size:14px;font-weight:600}.val{font-size:10px;fill:#444}.tick{font-size:10px;fill:#666}' +
      '.grid{stroke:#e3e3e3;stroke-width:1}.floor{stroke:#c0392b;stroke-width:1.2;stroke-dasharray:4 3}</style>',
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="10" y="20" class="title">${esc(title)}</text>`,
    subtitle ? `<text x="10" y="38" class="tick">${esc(subtitle)}</text>` : '',
    ...body,
    ...legend,
    '</svg>',
  );
  return out.join('\n') + '\n';
}
