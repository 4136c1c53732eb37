// The fleet page at `/` of the centre's `http.listen`: one self-contained HTML document (inline CSS
// and script, no CDN, no build step) for a regency IT office — plain tables, no map. It holds no
// data itself; its script reads `/api/fleet` (script.ts).
// Invariants (as the gateway's status page, src/api/statusPage/page.ts):
// - The Content-Security-Policy allows exactly this page's inline style and script (by SHA-256
//   hash), requests to this origin only, and nothing else; style attributes are never used.
import { PAGE_BASE_STYLE, pageCsp } from '../../util/pageKit.js';
import { FLEET_PAGE_SCRIPT } from './script.js';

const STYLE = `${PAGE_BASE_STYLE}`;

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
