// What the self-contained pages (the status page, the centre's fleet page, the kiosk page) have in
// common: their small DOM helpers as script text, and their Content-Security-Policy.
// Invariants:
// - A page is one HTML document with inline CSS and script and no CDN; its CSP admits exactly
//   that script and that style by hash, so a page's whole script (helpers included) is hashed.
// - The helpers put data into the page only as text (textContent), never as markup; they call
//   the page's own `t(key)` for the words "never", "sec", "min", "hour", "day", "ago".
import { createHash } from 'node:crypto';

/** `el`, `row`, `fill`, `badge`, `duration`, `ago`, `wall`: plain ES2017 functions for a page script. */
export const DOM_HELPERS = String.raw`
function el(tag, cls, text) {
  var node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}
function row(cells, attrs) {
  var tr = document.createElement('tr');
  Object.keys(attrs || {}).forEach(function (k) { tr.setAttribute(k, attrs[k]); });
  cells.forEach(function (c) { var td = el('td'); if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? t('never') : String(c); tr.appendChild(td); });
  return tr;
}
function fill(tbody, rows, emptyKey, columns) {
  tbody.replaceChildren.apply(tbody, rows);
  if (rows.length === 0) { var td = el('td', 'empty', t(emptyKey)); td.colSpan = columns; var tr = el('tr'); tr.appendChild(td); tbody.appendChild(tr); }
}
function badge(text, kind) { return el('span', 'badge ' + kind, text); }
function duration(sec) {
  if (sec < 60) return Math.round(sec) + ' ' + t('sec');
  if (sec < 3600) return Math.round(sec / 60) + ' ' + t('min');
  if (sec < 86400) return (sec / 3600).toFixed(1) + ' ' + t('hour');
  return (sec / 86400).toFixed(1) + ' ' + t('day');
}
function ago(iso) {
  if (!iso) return t('never');
  return duration(Math.max(0, (Date.now() - Date.parse(iso)) / 1000)) + ' ' + t('ago');
}
function wall(time) { return time ? time.slice(0, 19).replace('T', ' ') : t('never'); }
`;

/** JSON safe inside a <script>: no `</script>` in the data can close it early. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const hashOf = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The CSP of a self-contained page: its one script and one style by hash, requests to itself; `extra` adds directives (the kiosk's camera). */
export function pageCsp(page: { script: string; style: string; img?: string; extra?: readonly string[] }): string {
  return [
    "default-src 'none'",
    `script-src ${hashOf(page.script)}`,
    `style-src ${hashOf(page.style)}`,
    "connect-src 'self'",
    `img-src ${page.img ?? 'data:'}`,
    ...(page.extra ?? []),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
