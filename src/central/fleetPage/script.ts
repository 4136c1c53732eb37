// The fleet page's browser script, as a string (no build step, no CDN): fetches `/api/fleet` and
// renders three plain tables. Plain ES2017 in one IIFE, the same habits as the gateway's status
// page script (src/api/statusPage/script.ts), with the same DOM helpers (src/util/pageKit.ts).
// Invariants:
// - Data is only ever put into the page with textContent, never innerHTML: gateway, device and
//   error texts come from the fleet and must not become markup.
// - `?token=` is read once, kept in sessionStorage (this tab only) and removed from the address
//   bar; the API call sends it as a bearer token. A 401 shows a token form.
// - The language choice (id default, en) is kept in localStorage.
import { DOM_HELPERS, PAGE_PRELUDE, scriptJson } from '../../util/pageKit.js';
import { FLEET_PAGE_TEXTS } from './i18n.js';

export const FLEET_REFRESH_MS = 5000;

const SCRIPT_BODY = String.raw`
var data = null;
var busy = false;


function api(path) {
  var headers = { Accept: 'application/json' };
  var token = sessionStorage.getItem('absensi.token');
  if (token) headers.Authorization = 'Bearer ' + token;
  return fetch(path, { headers: headers, cache: 'no-store' }).then(function (res) {
    if (res.status === 401) { $('token-box').hidden = false; throw new Error('401'); }
    return res.json().then(function (body) {
      if (!res.ok) throw new Error(body.error || String(res.status));
      return body;
    });
  });
}

function onlineBadge(online) { return online === true ? badge(t('online'), 'ok') : online === false ? badge(t('offline'), 'bad') : badge(t('unknown'), 'muted'); }
function named(main, small) { var n = el('div'); n.appendChild(el('strong', '', main)); if (small) n.appendChild(el('div', 'small', small)); return n; }

function renderTexts() {
  document.documentElement.lang = lang;
  document.title = t('title') + (data ? ' — ' + data.centre.id : '');
  Array.prototype.forEach.call(document.querySelectorAll('[data-i18n]'), function (node) { node.textContent = t(node.getAttribute('data-i18n')); });
  $('lang').textContent = t('switchTo');
}

function logCell(g) {
  var kinds = { verified: 'ok', pending: 'warn', problem: 'bad', none: 'muted' };
  var cell = el('div');
  var b = badge(t('log.' + g.log.state), kinds[g.log.state]);
  b.setAttribute('data-log', g.log.state);
  cell.appendChild(b);
  var lines = [t('verifiedThrough') + ' ' + g.log.verifiedSize];
  if (g.log.problems > 0) lines.push(g.log.problems + ' ' + t('problemsCount'));
  if (g.log.checkpoint && g.log.checkpoint.detail) lines.push(g.log.checkpoint.detail);
  cell.appendChild(el('div', 'small', lines.join(' · ')));
  cell.title = g.log.key ? g.log.key + (g.log.keySource ? ' (' + g.log.keySource + ')' : '') : '';
  return cell;
}

function renderGateways() {
  fill($('gateways').tBodies[0], data.gateways.map(function (g) {
    var backlog = g.backlog === null ? null : String(g.backlog);
    var detail = g.sinks.map(function (s) { return s.sink + ' ' + s.pending; }).join(' · ');
    var backlogCell = el('div', '', backlog === null ? t('never') : backlog);
    if (detail) backlogCell.appendChild(el('div', 'small', detail));
    var seen = el('div', '', ago(g.lastSeen));
    if (g.highestSeq !== null) seen.appendChild(el('div', 'small', t('highestSeq') + ' ' + g.highestSeq));
    return row([named(g.id, g.site ? t('site') + ' ' + g.site : ''), onlineBadge(g.online), seen, g.version, backlogCell, g.oldestUnsentAt ? ago(g.oldestUnsentAt) : null, g.devices.length, logCell(g)], { 'data-gateway': g.id });
  }), 'noGateways', 8);
}

function deviceRow(gatewayId, d) {
  var wm = el('span', d.completeThrough ? '' : 'muted', wall(d.completeThrough));
  if (d.completeThrough) {
    wm.setAttribute('data-complete-through', d.completeThrough);
    wm.title = t('completeThroughHelp') + ' (seq ≤ ' + d.seqThrough + ')';
  }
  var skew = d.clockSkewSec === null ? null : (d.clockSkewSec > 0 ? '+' : '') + d.clockSkewSec + ' ' + t('sec');
  return row([gatewayId || t('unassigned'), named(d.id, [d.model, d.serial].filter(Boolean).join(' · ')), onlineBadge(d.online), ago(d.lastSeen), wall(d.lastPunch), wm, skew, d.lastError], { 'data-device': (gatewayId || '') + '/' + d.id });
}

function renderDevices() {
  var rows = [];
  data.gateways.forEach(function (g) { g.devices.forEach(function (d) { rows.push(deviceRow(g.id, d)); }); });
  data.unassigned.forEach(function (d) { rows.push(deviceRow('', d)); });
  fill($('devices').tBodies[0], rows, 'noDevices', 8);
}

function renderProblems() {
  fill($('problems').tBodies[0], data.problems.map(function (p) {
    return row([wall(p.foundAt) + ' UTC', p.gateway, p.kind, p.detail], { 'data-problem': p.gateway + ':' + p.kind });
  }), 'noProblems', 4);
}

function render() {
  renderTexts();
  if (!data) return;
  $('centre-id').textContent = data.centre.id;
  renderGateways(); renderDevices(); renderProblems();
}

function refresh() {
  if (busy) return;
  busy = true;
  api('/api/fleet')
    .then(function (fleet) {
      data = fleet;
      $('token-box').hidden = true;
      $('error').hidden = true;
      $('updated').textContent = new Date().toLocaleTimeString(lang === 'id' ? 'id-ID' : 'en-GB');
      render();
    })
    .catch(function (e) {
      if (e.message === '401') return;
      $('error').hidden = false;
      $('error').textContent = t('loadFailed') + ': ' + e.message;
    })
    .then(function () { busy = false; });
}

$('lang').addEventListener('click', function () {
  lang = lang === 'id' ? 'en' : 'id';
  localStorage.setItem('absensi.lang', lang);
  render();
});
$('token-form').addEventListener('submit', function (ev) {
  ev.preventDefault();
  sessionStorage.setItem('absensi.token', $('token-input').value.trim());
  $('token-input').value = '';
  refresh();
});
renderTexts();
refresh();
setInterval(refresh, REFRESH_MS);
`;

export const FLEET_PAGE_SCRIPT = `(function () {\nvar TEXTS = ${scriptJson(FLEET_PAGE_TEXTS)};\nvar REFRESH_MS = ${FLEET_REFRESH_MS};\n${DOM_HELPERS}${PAGE_PRELUDE}${SCRIPT_BODY}})();\n`;
