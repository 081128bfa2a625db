// A self-contained HTML page (inline SVG, no scripts, no network) for a load-test run:
// the latency percentile curve, throughput per second, the table and the run's setup.
import { TABLE_PERCENTILES, formatMs } from './latency-recorder.mjs';

const WIDTH = 1000;
const HEIGHT = 380;
const MARGIN = { left: 70, right: 20, top: 30, bottom: 50 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
const LABELLED = new Set([50, 90, 99, 99.9, 99.99, 100]);

const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function frame(title, xLabel, yLabel, body) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">
<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="15" font-weight="bold">${escapeHtml(title)}</text>
<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_W}" height="${PLOT_H}" fill="#fafafa" stroke="#999"/>
${body}
<text x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 8}" text-anchor="middle">${escapeHtml(xLabel)}</text>
<text transform="translate(16 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text>
</svg>`;
}

const gridLineY = (y, label) =>
  `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${y}" y2="${y}" stroke="#ddd"/>` +
  `<text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end">${escapeHtml(label)}</text>`;
const gridLineX = (x, label) =>
  `<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + PLOT_H}" stroke="#ddd"/>` +
  `<text x="${x}" y="${MARGIN.top + PLOT_H + 16}" text-anchor="middle">${escapeHtml(label)}</text>`;

/**
 * Latency against percentile on a "nines" axis (x = -log10(1 - p)), latency on a log axis:
 * the tail, where a mass connect shows, gets as much room as the median.
 */
export function percentileCurveSvg(curve, percentiles) {
  if (curve.length === 0) return frame('Latency by percentile', 'percentile', 'latency (ms)', '');
  const nines = (p) => (p >= 100 ? maxNines : -Math.log10(1 - p / 100));
  // The maximum (p100) sits at the right edge, at least half a nine beyond the last point.
  const lastFinite = Math.max(0, ...curve.filter((point) => point.p < 100).map((point) => nines(point.p)));
  const maxNines = Math.max(2, Math.ceil(lastFinite + 0.5));
  const values = curve.map((point) => Math.max(point.ms, 0.01));
  const low = Math.floor(Math.log10(Math.min(...values)));
  const high = Math.max(low + 1, Math.ceil(Math.log10(Math.max(...values))));
  const x = (p) => MARGIN.left + (Math.min(nines(p), maxNines) / maxNines) * PLOT_W;
  const y = (ms) => MARGIN.top + PLOT_H - ((Math.log10(Math.max(ms, 0.01)) - low) / (high - low)) * PLOT_H;

  let body = '';
  for (let e = low; e <= high; e++) body += gridLineY(y(10 ** e), formatMs(10 ** e));
  for (let n = 0; n < maxNines; n++)
    body += gridLineX(x(100 - 10 ** (2 - n)), `${(100 - 10 ** (2 - n)).toFixed(Math.max(0, n - 2))}%`);
  body += gridLineX(x(100), 'max');
  const path = curve.map((point, i) => `${i ? 'L' : 'M'}${x(point.p).toFixed(1)},${y(point.ms).toFixed(1)}`).join(' ');
  body += `<path d="${path}" fill="none" stroke="#1f6feb" stroke-width="2.5"/>`;
  for (const p of TABLE_PERCENTILES.filter((p) => Number.isFinite(percentiles[p]))) {
    body += `<circle cx="${x(p).toFixed(1)}" cy="${y(percentiles[p]).toFixed(1)}" r="3.5" fill="#d1242f"/>`;
    // Labels only where they do not crowd: the columns between 50 and 90 sit close together.
    if (!LABELLED.has(p)) continue;
    const anchor = p === 100 ? 'end' : 'start';
    const dx = p === 100 ? -4 : 4;
    body += `<text x="${(x(p) + dx).toFixed(1)}" y="${(y(percentiles[p]) - 8).toFixed(1)}" text-anchor="${anchor}" font-size="11" fill="#d1242f" stroke="#fff" stroke-width="3" paint-order="stroke">p${p} ${formatMs(percentiles[p])} ms</text>`;
  }
  return frame('Latency by percentile (log scales)', 'percentile of requests', 'latency (ms)', body);
}

/** Responses completed in each 1 s bucket (bars), errors and timeouts in red below them. */
export function throughputSvg(perSecond) {
  const seconds = Math.max(perSecond.length, 1);
  const peak = Math.max(1, ...perSecond.map((bucket) => bucket.responses + bucket.failures));
  const step = niceStep(peak / 5);
  const top = Math.ceil(peak / step) * step;
  const barW = PLOT_W / seconds;
  const x = (second) => MARGIN.left + second * barW;
  const y = (count) => MARGIN.top + PLOT_H - (count / top) * PLOT_H;

  let body = '';
  for (let value = 0; value <= top; value += step) body += gridLineY(y(value), value.toLocaleString('en'));
  const labelEvery = Math.max(1, Math.ceil(seconds / 20));
  for (let s = 0; s <= seconds; s += labelEvery) body += gridLineX(x(s), `${s}s`);
  perSecond.forEach((bucket, second) => {
    const w = Math.max(barW - 1, 0.5).toFixed(1);
    body += `<rect x="${x(second).toFixed(1)}" y="${y(bucket.responses).toFixed(1)}" width="${w}" height="${(MARGIN.top + PLOT_H - y(bucket.responses)).toFixed(1)}" fill="#2da44e"><title>${second}s: ${bucket.responses} responses, ${bucket.failures} errors/timeouts</title></rect>`;
    if (bucket.failures > 0) {
      const h = Math.max(2, MARGIN.top + PLOT_H - y(bucket.failures));
      body += `<rect x="${x(second).toFixed(1)}" y="${(MARGIN.top + PLOT_H - h).toFixed(1)}" width="${w}" height="${h.toFixed(1)}" fill="#d1242f"/>`;
    }
  });
  // The legend sits in the top margin, right of the title, so it never hides a bar.
  const legendX = MARGIN.left + PLOT_W - 200;
  body += `<rect x="${legendX}" y="4" width="10" height="10" fill="#2da44e"/><text x="${legendX + 15}" y="13">responses per second</text>`;
  body += `<rect x="${legendX}" y="17" width="10" height="10" fill="#d1242f"/><text x="${legendX + 15}" y="26">errors + timeouts per second</text>`;
  return frame('Throughput over time (1 s buckets)', 'seconds since start', 'responses per second', body);
}

function niceStep(raw) {
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map((f) => f * magnitude).find((candidate) => candidate >= raw) ?? 10 * magnitude;
}

function htmlTable(rows) {
  const [header, ...body] = rows;
  return `<table><tr>${header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')}</tr>${body
    .map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('')}</table>`;
}

/** The whole page for one run: `report` is what the JSON file holds. */
export function renderHtml(report) {
  const { summary, parameters, machine } = report;
  const percentileRows = [
    ['', ...TABLE_PERCENTILES.map((p) => `${p}%`), '# reqs'],
    [
      'GET /keys/{key} (ms)',
      ...TABLE_PERCENTILES.map((p) => formatMs(summary.percentiles[p])),
      String(summary.requests),
    ],
  ];
  const countRows = [
    ['requests/s', '2xx', '404 (expected misses)', 'other non-2xx', 'errors', 'timeouts'],
    [
      summary.throughput.toFixed(0),
      summary.status.ok,
      summary.status.notFound,
      summary.status.other,
      summary.errors,
      summary.timeouts,
    ].map(String),
  ];
  const setupRows = [
    ['setting', 'value'],
    ...Object.entries({ ...parameters, ...machine }).map(([key, value]) => [key, String(value)]),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kv-server load test ${escapeHtml(report.startedAt)}</title>
<style>
body { font-family: sans-serif; margin: 24px; color: #1f2328; max-width: 1040px; }
table { border-collapse: collapse; margin: 8px 0 20px; font-size: 14px; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: right; }
th { background: #f6f8fa; } td:first-child { text-align: left; }
.bad { color: #d1242f; font-weight: bold; }
</style></head><body>
<h1>kv-server load test</h1>
<p>${escapeHtml(report.startedAt)}: ${escapeHtml(parameters.connections)} connections (ramp-up ${escapeHtml(parameters.rampUpSeconds)} s), ${escapeHtml(parameters.durationSeconds)} s against ${escapeHtml(parameters.target)}.
<span class="${summary.errors + summary.timeouts > 0 ? 'bad' : ''}">${summary.errors} errors, ${summary.timeouts} timeouts</span> (timeout ${escapeHtml(parameters.timeoutSeconds)} s).
Load generator: opening ${parameters.rampUpSeconds > 0 ? 'the first step of' : 'all'} connections took ${escapeHtml(report.autocannonTotals?.openingMs ?? '?')} ms
(blocked at most ${escapeHtml(report.autocannonTotals?.longestBlockMs ?? '?')} ms at a time; the first request of a connection is timed from its creation).</p>
<h2>Response time percentiles</h2>
${htmlTable(percentileRows)}
${htmlTable(countRows)}
${percentileCurveSvg(summary.curve, summary.percentiles)}
${throughputSvg(summary.perSecond)}
<h2>Run</h2>
${htmlTable(setupRows)}
</body></html>
`;
}
