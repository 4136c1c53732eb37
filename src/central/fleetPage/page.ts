// The fleet page at `/` of the centre's `http.listen`: one self-contained HTML document (inline CSS
// and script, no CDN, no build step) for a regency IT office — plain tables, no map. It holds no
// data itself; its script reads `/api/fleet` (script.ts).
// Invariants (as the gateway's status page, src/api/statusPage/page.ts):
// - The Content-Security-Policy allows exactly this page's inline style and script (by SHA-256
//   hash), requests to this origin only, and nothing else; style attributes are never used.
import { pageCsp } from '../../util/pageKit.js';
import { FLEET_PAGE_SCRIPT } from './script.js';

const STYLE = `
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

const BODY = `
<header>
  <h1 data-i18n="title"></h1>
  <span class="meta"><span data-i18n="centre"></span> <span id="centre-id">—</span> · <span data-i18n="updated"></span> <span id="updated">—</span></span>
  <button id="lang" type="button"></button>
</header>
<section id="token-box" hidden>
  <form id="token-form"><label for="token-input" data-i18n="tokenLabel"></label><input id="token-input" type="password" autocomplete="off"><button type="submit" data-i18n="save"></button></form>
  <p class="small" data-i18n="tokenHelp"></p>
</section>
<p id="error" class="error" hidden></p>
<section>
  <h2 data-i18n="gateways"></h2>
  <table id="gateways"><thead><tr><th data-i18n="gateway"></th><th data-i18n="status"></th><th data-i18n="lastSeen"></th><th data-i18n="version"></th><th data-i18n="backlog"></th><th data-i18n="oldestUnsent"></th><th data-i18n="devicesCount"></th><th data-i18n="logVerification"></th></tr></thead><tbody></tbody></table>
</section>
<section>
  <h2 data-i18n="devices"></h2>
  <table id="devices"><thead><tr><th data-i18n="gateway"></th><th data-i18n="device"></th><th data-i18n="status"></th><th data-i18n="lastSeen"></th><th data-i18n="lastPunch"></th><th data-i18n="completeThrough"></th><th data-i18n="skew"></th><th data-i18n="lastError"></th></tr></thead><tbody></tbody></table>
</section>
<section>
  <h2 data-i18n="problems"></h2>
  <table id="problems"><thead><tr><th data-i18n="foundAt"></th><th data-i18n="gateway"></th><th data-i18n="kind"></th><th data-i18n="detail"></th></tr></thead><tbody></tbody></table>
</section>
`;


export const FLEET_PAGE_HTML = `<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>absensi-gateway central</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${FLEET_PAGE_SCRIPT}</script>
</body>
</html>
`;

export const FLEET_PAGE_CSP = pageCsp({ script: FLEET_PAGE_SCRIPT, style: STYLE });
