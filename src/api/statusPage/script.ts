// The status page's browser script, as a string (no build step, no CDN): fetches the JSON API and
// renders it. Written as plain ES2017 in one IIFE.
// Invariants:
// - Data is only ever put into the page with textContent, never innerHTML: device errors, reject
//   details and punch fields come from terminals and must not become markup.
// - `?token=` is read once, kept in sessionStorage (this tab only) and removed from the address
//   bar; API calls send it as a bearer token. A 401 shows a token form.
// - The language choice (id default, en) is kept in localStorage.
// - One refresh at a time, every REFRESH_MS; the PIN search survives refreshes.
import { STATUS_PAGE_TEXTS } from './i18n.js';

export const REFRESH_MS = 5000;

const SCRIPT_BODY = String.raw`
'use strict';
var lang = localStorage.getItem('absensi.lang') === 'en' ? 'en' : 'id';
var searchPin = '';
var data = {};
var busy = false;
var again = false;
var $ = function (id) { return document.getElementById(id); };
function t(key) { var d = TEXTS[lang]; return (d && d[key]) || TEXTS.en[key] || key; }

var params = new URLSearchParams(location.search);
if (params.has('token')) {
  sessionStorage.setItem('absensi.token', params.get('token') || '');
  params.delete('token');
  var rest = params.toString();
  history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
}

function api(path) {
  var headers = { Accept: 'application/json' };
  var token = sessionStorage.getItem('absensi.token');
  if (token) headers.Authorization = 'Bearer ' + token;
  return fetch(path, { headers: headers, cache: 'no-store' }).then(function (res) {
    if (res.status === 401) { $('token-box').hidden = false; throw new Error('401'); }
    return res.json().then(function (body) {
      if (!res.ok && path !== '/readyz') throw new Error(body.error || String(res.status));
      return body;
    });
  });
}

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

function renderTexts() {
  document.documentElement.lang = lang;
  document.title = t('title') + (data.gateway ? ' — ' + data.gateway.id : '');
  Array.prototype.forEach.call(document.querySelectorAll('[data-i18n]'), function (node) { node.textContent = t(node.getAttribute('data-i18n')); });
  $('pin').placeholder = t('searchPin');
  $('lang').textContent = t('switchTo');
}

function renderGateway() {
  var g = data.gateway, r = data.ready;
  if (g) {
    $('gw-id').textContent = g.id;
    $('gw-site').textContent = t('site') + ' ' + g.site;
    $('gw-version').textContent = g.version;
    $('gw-uptime').textContent = duration(g.uptimeSec);
    var cp = g.log.checkpoint, cpNode = $('checkpoint');
    cpNode.textContent = cp ? cp.size + ' ' + t('logCheckpointSize') + ' · ' + wall(cp.time) + ' UTC · ' + ago(cp.time) : t('never');
    cpNode.title = g.log.key || '';
  }
  if (r) {
    var b = $('ready');
    b.textContent = r.ready ? t('ready') : t('notReady');
    b.className = 'badge ' + (r.ready ? 'ok' : 'bad');
    b.title = r.reasons.map(function (x) { return x.code + ': ' + x.message; }).join('\n');
  }
}

function completeThrough(d) {
  var cell = el('div');
  var w = d.watermark;
  cell.appendChild(el('span', w ? '' : 'muted', w ? wall(w.completeThrough) : t('never')));
  if (w) {
    cell.title = t('completeThroughHelp') + ' (seq ≤ ' + w.seqThrough + ', ' + wall(w.at) + ' UTC)';
    cell.setAttribute('data-complete-through', w.completeThrough);
    cell.appendChild(el('div', 'small', t('basis.' + w.basis)));
  }
  if (d.watermarkFrozen) {
    var frozen = badge(t('watermarkFrozen'), 'warn');
    frozen.title = d.watermarkFrozen.reason;
    frozen.setAttribute('data-watermark', 'frozen');
    cell.appendChild(frozen);
  }
  return cell;
}

function kioskCertificate(k) {
  var c = k.certificate;
  var node = !c ? badge(t('kioskNoCert'), 'warn') : c.revoked ? badge(t('kioskRevoked'), 'bad') : c.expired ? badge(t('kioskExpired'), 'bad') : el('div', 'small', t('kioskCertUntil') + ' ' + c.notAfter.slice(0, 10));
  node.setAttribute('data-kiosk-certificate', !c ? 'none' : c.revoked ? 'revoked' : c.expired ? 'expired' : 'valid');
  if (c) node.title = 'serial ' + c.serial;
  return node;
}

function renderDevices() {
  var list = (data.devices && data.devices.devices) || [];
  fill($('devices').tBodies[0], list.map(function (d) {
    var status = !d.enabled ? badge(t('disabled'), 'muted') : d.online ? badge(t('online'), 'ok') : badge(t('offline'), 'bad');
    var name = el('div'); name.appendChild(el('strong', '', d.id)); name.appendChild(el('div', 'small', [d.driver, d.model, d.serial].filter(Boolean).join(' · ')));
    if (d.trust && !d.trust.authenticated) { var trustBadge = badge(t('unauthenticated'), 'warn'); trustBadge.title = t('unauthenticatedHelp'); trustBadge.setAttribute('data-trust', 'unauthenticated'); name.appendChild(trustBadge); }
    if (d.kiosk) name.appendChild(kioskCertificate(d.kiosk));
    var rejected = Object.keys(d.rejected).map(function (k) { return k + ' ×' + d.rejected[k]; }).join(', ');
    var errors = [d.lastError, rejected].filter(Boolean).join(' · ');
    var recent = d.recentRejects.slice(0, 3).map(function (x) { return wall(x.at) + ' ' + x.reason + (x.detail ? ' (' + x.detail + ')' : ''); }).join('\n');
    var skew = d.clockSkewSec === null ? null : (d.clockSkewSec > 0 ? '+' : '') + d.clockSkewSec + ' ' + t('sec');
    return row([name, status, ago(d.lastSeen), ago(d.lastPunchAt), completeThrough(d), skew, errors || t('never'), el('pre', 'small', recent || t('never'))], { 'data-device': d.id });
  }), 'noDevices', 8);
}

function renderSinks() {
  var q = data.queue;
  if (!q) return;
  fill($('sinks').tBodies[0], q.sinks.map(function (s) {
    var health = s.halted ? badge(t('halted'), 'bad') : s.connected ? badge(t('connected'), 'ok') : badge(t('disconnected'), 'bad');
    var oldest = s.oldestPendingAgeSec === null ? t('never') : duration(s.oldestPendingAgeSec);
    return row([el('strong', '', s.sink), health, s.pending, oldest, s.deadLetters, s.lastError || t('never')], { 'data-sink': s.sink });
  }), 'noSinks', 6);
  $('quarantined').textContent = String(q.quarantined);
}

function renderPunches() {
  var p = data.punches;
  if (!p) return;
  fill($('punches').tBodies[0], p.punches.map(function (x) {
    var sinks = el('div');
    Object.keys(x.sinks).forEach(function (name) {
      var s = x.sinks[name];
      var kind = s.state === 'acked' ? 'ok' : s.state === 'dead-lettered' || s.state === 'purged' ? 'bad' : 'warn';
      var b = badge(name + ': ' + t('sink.' + s.state), kind);
      b.setAttribute('data-sink-state', name + ':' + s.state);
      if (s.reason) b.title = s.reason;
      sinks.appendChild(b);
    });
    return row([wall(x.time), x.pin, x.device.id, t('state.' + x.state), t('verify.' + x.verify), sinks], { 'data-punch': x.id, 'data-pin': x.pin });
  }), 'noPunches', 6);
}

function render() { renderTexts(); renderGateway(); renderDevices(); renderSinks(); renderPunches(); }

function refresh() {
  if (busy) { again = true; return; }
  busy = true;
  var punchPath = '/api/punches?limit=50' + (searchPin ? '&pin=' + encodeURIComponent(searchPin) : '');
  Promise.all([api('/api/gateway'), api('/readyz'), api('/api/devices'), api('/api/queue'), api(punchPath)])
    .then(function (r) {
      data = { gateway: r[0], ready: r[1], devices: r[2], queue: r[3], punches: r[4] };
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
    .then(function () {
      busy = false;
      if (again) { again = false; refresh(); }
    });
}

$('lang').addEventListener('click', function () {
  lang = lang === 'id' ? 'en' : 'id';
  localStorage.setItem('absensi.lang', lang);
  render();
});
$('search').addEventListener('submit', function (ev) { ev.preventDefault(); searchPin = $('pin').value.trim(); refresh(); });
$('show-all').addEventListener('click', function () { $('pin').value = ''; searchPin = ''; refresh(); });
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

export const STATUS_PAGE_SCRIPT = `(function () {\nvar TEXTS = ${JSON.stringify(STATUS_PAGE_TEXTS).replace(/</g, '\\u003c')};\nvar REFRESH_MS = ${REFRESH_MS};\n${SCRIPT_BODY}})();\n`;
