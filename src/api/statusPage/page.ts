// The status page at `/`: one self-contained HTML document (inline CSS and script, no CDN, no
// build step), for IT staff in the building. It holds no data itself; its script reads the JSON
// API (and the token, when one is configured) — see script.ts.
// Invariants:
// - The Content-Security-Policy allows exactly this page's inline style and script (by SHA-256
//   hash), requests to this origin only, and nothing else; style attributes are never used. The
//   charts are SVG the script fetches from this origin and imports (connect-src 'self'): they need
//   no img-src, and carry presentation attributes only (svg.ts), which CSP does not govern.
import { PAGE_BASE_STYLE, pageCsp } from '../../util/pageKit.js';
import { STATUS_PAGE_SCRIPT } from './script.js';

const STYLE = `${PAGE_BASE_STYLE}.small { margin: 0; white-space: pre-wrap; font-family: inherit; }
.problem { margin-bottom: .35rem; }
.explain { margin: .1rem 0; }
h3 { font-size: .95rem; font-weight: 600; margin: .75rem 0 .25rem; }
.chart svg { max-width: 100%; height: auto; }
.chart svg text:not([fill]) { fill: currentColor; }
#host-clock { border: 1px solid var(--bad); padding: .5rem 1rem; margin-top: 1rem; }
#not-ready { border: 1px solid var(--bad); padding: .25rem 1rem; margin-top: 1rem; }
#not-ready ul { margin: .25rem 0; padding-left: 1.25rem; }
`;

const BODY = `
<header>
  <h1><span id="gw-id">absensi-gateway</span> <small id="gw-site"></small></h1>
  <span id="ready" class="badge muted">…</span>
  <span class="meta"><span data-i18n="version"></span> <span id="gw-version"></span> · <span data-i18n="uptime"></span> <span id="gw-uptime"></span> · <span data-i18n="updated"></span> <span id="updated">—</span></span>
  <button id="lang" type="button"></button>
</header>
<section id="token-box" hidden>
  <form id="token-form"><label for="token-input" data-i18n="tokenLabel"></label><input id="token-input" type="password" autocomplete="off"><button type="submit" data-i18n="save"></button></form>
  <p class="small" data-i18n="tokenHelp"></p>
</section>
<p id="error" class="error" hidden></p>
<section id="host-clock" hidden></section>
<section id="not-ready" hidden>
  <h2 data-i18n="notReadyWhy"></h2>
  <ul id="ready-reasons"></ul>
</section>
<section>
  <h2 data-i18n="devices"></h2>
  <table id="devices"><thead><tr><th data-i18n="device"></th><th data-i18n="status"></th><th data-i18n="lastSeen"></th><th data-i18n="lastPunch"></th><th data-i18n="completeThrough"></th><th data-i18n="skew"></th><th data-i18n="errors"></th><th data-i18n="recentRejects"></th></tr></thead><tbody></tbody></table>
</section>
<section>
  <h2 data-i18n="sinks"></h2>
  <table id="sinks"><thead><tr><th data-i18n="sink"></th><th data-i18n="health"></th><th data-i18n="backlog"></th><th data-i18n="oldestUnsent"></th><th data-i18n="deadLetters"></th><th data-i18n="lastError"></th></tr></thead><tbody></tbody></table>
  <p><span data-i18n="quarantined"></span>: <span id="quarantined">—</span></p>
  <p><span data-i18n="logCheckpoint"></span>: <span id="checkpoint">—</span></p>
</section>
<section id="commands-box" hidden>
  <h2 data-i18n="commands"></h2>
  <table id="commands"><thead><tr><th data-i18n="commandAt"></th><th data-i18n="command"></th><th data-i18n="issuer"></th><th data-i18n="result"></th></tr></thead><tbody></tbody></table>
</section>
<section id="user-sync-box" hidden>
  <h2 data-i18n="userSync"></h2>
  <table id="user-conflicts"><thead><tr><th data-i18n="userSyncGroup"></th><th data-i18n="pin"></th><th data-i18n="userSyncHolders"></th></tr></thead><tbody></tbody></table>
</section>
<section id="charts">
  <h2 data-i18n="charts"></h2>
  <h3 data-i18n="chartPunchesToday"></h3><div class="chart" id="chart-punches-today"></div>
  <h3 data-i18n="chartBacklog"></h3><div class="chart" id="chart-backlog"></div>
  <h3 data-i18n="chartOldest"></h3><div class="chart" id="chart-oldest-unsent"></div>
</section>
<section>
  <h2 data-i18n="punches"></h2>
  <form id="search"><input id="pin" name="pin" inputmode="numeric" autocomplete="off"><button type="submit" data-i18n="search"></button><button type="button" id="show-all" data-i18n="showAll"></button></form>
  <table id="punches"><thead><tr><th data-i18n="time"></th><th data-i18n="pin"></th><th data-i18n="device"></th><th data-i18n="state"></th><th data-i18n="verify"></th><th data-i18n="delivery"></th><th data-i18n="showPath"></th></tr></thead><tbody></tbody></table>
  <div id="path-section" hidden><h3 data-i18n="punchPath"></h3><div class="chart" id="punch-path"></div></div>
</section>
`;


export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>absensi-gateway</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${STATUS_PAGE_SCRIPT}</script>
</body>
</html>
`;

export const STATUS_PAGE_CSP = pageCsp({ script: STATUS_PAGE_SCRIPT, style: STYLE });
