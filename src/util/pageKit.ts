// What the self-contained pages (the status page, the centre's fleet page, the kiosk page) have in
// common: their small DOM helpers as script text, and their Content-Security-Policy; the status
// and fleet pages also share their base style, the start of their script (language, `t`, the
// `?token=` hand-over) and the words those helpers use.
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

/** The status and fleet pages' common style: tables, badges, forms, the token box. */
export const PAGE_BASE_STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #6e7781; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; padding: 1rem 1.5rem 3rem; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .5rem 1.25rem; border-bottom: 1px solid var(--line); padding-bottom: .75rem; }
header h1 { font-size: 1.35rem; margin: 0; }
header .meta { color: var(--muted); }
header button { margin-left: auto; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
th { font-weight: 600; white-space: nowrap; }
td.empty { color: var(--muted); font-style: italic; }
.small { font-size: 12px; color: var(--muted); }
.badge { display: inline-block; border-radius: 1em; padding: 0 .6em; margin: 0 .25em .15em 0; font-size: 12px; border: 1px solid currentColor; white-space: nowrap; }
.ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); } .muted { color: var(--muted); }
.error { color: var(--bad); font-weight: 600; }
form { display: flex; gap: .5rem; margin: .25rem 0 .75rem; flex-wrap: wrap; }
input { font: inherit; padding: .25rem .5rem; min-width: 12rem; }
button { font: inherit; padding: .25rem .75rem; cursor: pointer; }
#token-box { border: 1px solid var(--bad); padding: .5rem 1rem; margin-top: 1rem; }
`;

/**
 * The start of a status or fleet page script: the language (remembered in localStorage), `$`,
 * `t(key)` over the page's TEXTS, and a `?token=` in the address moved into sessionStorage and out
 * of the address bar (and so out of the history and of screenshots).
 */
export const PAGE_PRELUDE = String.raw`
var lang = localStorage.getItem('absensi.lang') === 'en' ? 'en' : 'id';
var $ = function (id) { return document.getElementById(id); };
function t(key) { var d = TEXTS[lang]; return (d && d[key]) || TEXTS.en[key] || key; }

var params = new URLSearchParams(location.search);
if (params.has('token')) {
  sessionStorage.setItem('absensi.token', params.get('token') || '');
  params.delete('token');
  var rest = params.toString();
  history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
}
`;

/** The words DOM_HELPERS and the token form use, in both languages. */
export const PAGE_WORDS = {
  id: { tokenLabel: 'Token API', save: 'Simpan', loadFailed: 'Gagal memuat data', ago: 'lalu', sec: 'dtk', min: 'mnt', hour: 'jam', day: 'hari', never: '—' },
  en: { tokenLabel: 'API token', save: 'Save', loadFailed: 'Could not load data', ago: 'ago', sec: 's', min: 'min', hour: 'h', day: 'd', never: '—' },
} as const;

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
