// The status page's browser script, as a string (no build step, no CDN): fetches the JSON API and
// renders it. Written as plain ES2017 in one IIFE.
// Invariants:
// - Data is only ever put into the page with textContent, never innerHTML: device errors, reject
//   details and punch fields come from terminals and must not become markup. The one markup the
//   page takes in is the gateway's own SVG (statusPage/svg.ts, every text escaped there), parsed
//   as XML by DOMParser (no script of it runs) and imported only when its root is an <svg>.
// - An error is shown with its catalogue code, the sentence of src/util/explanations.ts for it in
//   the page's language (`explain` applies that module's rule: first cause whose text occurs in the
//   message) and the message itself. Times carry their zone (WIB/WITA/WIT, else the UTC offset:
//   src/punch/time.ts zoneLabel, the same rule); a clock skew of CLOCK_SKEW_WARN_SEC or more is
//   shown as a problem.
// - `?token=` is read once, kept in sessionStorage (this tab only) and removed from the address
//   bar; API calls send it as a bearer token. A 401 shows a token form.
// - The language choice (id default, en) is kept in localStorage.
// - One refresh at a time, every REFRESH_MS; the PIN search survives refreshes.
// - A PIN search shows the path of its newest punch (terminal → gateway → each sink) until another
//   row's "Jalur" button picks another; "Semua" clears it. The path is fetched again each refresh.
import { CLOCK_SKEW_WARN_SEC, ZONE_ABBREVIATIONS } from '../../punch/time.js';
import { ERROR_EXPLANATIONS } from '../../util/explanations.js';
import { DOM_HELPERS, PAGE_PRELUDE, scriptJson } from '../../util/pageKit.js';
import { STATUS_PAGE_TEXTS } from './i18n.js';

export const REFRESH_MS = 5000;

const SCRIPT_BODY = String.raw`
var searchPin = '';
var pathPunch = null;
var data = {};
var busy = false;
var again = false;


function api(path, asText) {
  var headers = { Accept: asText ? 'image/svg+xml' : 'application/json' };
  var token = sessionStorage.getItem('absensi.token');
  if (token) headers.Authorization = 'Bearer ' + token;
  return fetch(path, { headers: headers, cache: 'no-store' }).then(function (res) {
    if (res.status === 401) { $('token-box').hidden = false; throw new Error('401'); }
    if (asText) {
      if (!res.ok) throw new Error(path + ': ' + res.status);
      return res.text();
    }
    return res.json().then(function (body) {
      if (!res.ok && path !== '/readyz') throw new Error(body.error || String(res.status));
      return body;
    });
  });
}

function zoneLabel(zone, time) {
  var m = time ? /([+-]\d\d:\d\d|Z)$/.exec(time) : null;
  var offset = m ? m[1] : null;
  var known = zone && Object.prototype.hasOwnProperty.call(ZONES, zone) ? ZONES[zone] : null;
  if (known && (offset === null || offset === known.offset)) return known.abbreviation;
  if (offset !== null) return offset === 'Z' ? 'UTC' : 'UTC' + offset;
  return zone || '';
}
function zoned(time, zone) { return time ? wall(time) + ' ' + zoneLabel(zone, time) : t('never'); }
function zoneOfDevice(id) {
  var list = (data.devices && data.devices.devices) || [];
  for (var i = 0; i < list.length; i++) if (list[i].id === id) return list[i].timezone;
  return null;
}

function explain(code, message) {
  var row = code && Object.prototype.hasOwnProperty.call(EXPLAIN, code) ? EXPLAIN[code] : null;
  if (!row) return null;
  var lower = (message || '').toLowerCase();
  var causes = row.causes || [];
  for (var i = 0; i < causes.length; i++) {
    if (causes[i].when.some(function (w) { return lower.indexOf(w.toLowerCase()) >= 0; })) return causes[i][lang];
  }
  return row[lang];
}
function problem(code, text) {
  var message = code && text && text.indexOf(code + ': ') === 0 ? text.slice(code.length + 2) : text;
  var box = el('div', 'problem');
  if (code) { box.setAttribute('data-code', code); box.appendChild(badge(code, 'bad')); }
  var sentence = explain(code, message);
  if (sentence) { var s = el('div', 'explain', sentence); s.setAttribute('data-explain', code); box.appendChild(s); }
  if (message) box.appendChild(el('div', 'small', message));
  return box;
}

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
    var clock = $('host-clock');
    var unsynced = g.hostClock && g.hostClock.synchronized === false;
    clock.hidden = !unsynced;
    clock.replaceChildren.apply(clock, unsynced ? [problem('GW_ERR_CLOCK_UNSYNCHRONIZED', g.hostClock.reason + ' (' + wall(g.hostClock.checkedAt) + ' UTC)')] : []);
  }
  if (r) {
    var b = $('ready');
    b.textContent = r.ready ? t('ready') : t('notReady');
    b.className = 'badge ' + (r.ready ? 'ok' : 'bad');
    b.title = r.reasons.map(function (x) { return x.code + ': ' + x.message; }).join('\n');
    $('not-ready').hidden = r.ready;
    var reasons = r.reasons.map(function (x) { var li = el('li'); li.appendChild(problem(x.code, x.message)); return li; });
    $('ready-reasons').replaceChildren.apply($('ready-reasons'), reasons);
  }
}

function completeThrough(d) {
  var cell = el('div');
  var w = d.watermark;
  cell.appendChild(el('span', w ? '' : 'muted', w ? zoned(w.completeThrough, d.timezone) : t('never')));
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

function skewCell(sec) {
  if (sec === null || sec === undefined) return t('never');
  var text = (sec > 0 ? '+' : '') + sec + ' ' + t('sec');
  if (Math.abs(sec) < SKEW_WARN_SEC) return text;
  var cell = el('div');
  var b = badge(text, 'bad');
  b.setAttribute('data-skew', 'high');
  cell.appendChild(b);
  cell.appendChild(el('div', 'explain', t('skewHigh').replace('{n}', String(SKEW_WARN_SEC))));
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
    var zone = el('span', 'badge muted', zoneLabel(d.timezone)); zone.title = d.timezone; zone.setAttribute('data-zone', zoneLabel(d.timezone)); name.appendChild(zone);
    if (d.trust && !d.trust.authenticated) { var trustBadge = badge(t('unauthenticated'), 'warn'); trustBadge.title = t('unauthenticatedHelp'); trustBadge.setAttribute('data-trust', 'unauthenticated'); name.appendChild(trustBadge); }
    if (d.kiosk) name.appendChild(kioskCertificate(d.kiosk));
    var rejected = Object.keys(d.rejected).map(function (k) { return k + ' ×' + d.rejected[k]; }).join(', ');
    var errors = el('div');
    if (d.lastError) errors.appendChild(problem(d.lastErrorCode, d.lastError));
    if (rejected) errors.appendChild(el('div', 'small', rejected));
    if (!d.lastError && !rejected) errors.textContent = t('never');
    var recent = d.recentRejects.slice(0, 3).map(function (x) { return wall(x.at) + ' ' + x.reason + (x.detail ? ' (' + x.detail + ')' : ''); }).join('\n');
    return row([name, status, ago(d.lastSeen), ago(d.lastPunchAt), completeThrough(d), skewCell(d.clockSkewSec), errors, el('pre', 'small', recent || t('never'))], { 'data-device': d.id });
  }), 'noDevices', 8);
}

function renderSinks() {
  var q = data.queue;
  if (!q) return;
  fill($('sinks').tBodies[0], q.sinks.map(function (s) {
    var health = s.halted ? badge(t('halted'), 'bad') : s.connected ? badge(t('connected'), 'ok') : badge(t('disconnected'), 'bad');
    var oldest = s.oldestPendingAgeSec === null ? t('never') : duration(s.oldestPendingAgeSec);
    return row([el('strong', '', s.sink), health, s.pending, oldest, s.deadLetters, s.lastError ? problem(s.lastErrorCode, s.lastError) : t('never')], { 'data-sink': s.sink });
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
    var pathButton = el('button', '', t('showPath'));
    pathButton.type = 'button';
    pathButton.setAttribute('data-path', x.id);
    pathButton.addEventListener('click', function () { pathPunch = x.id; refreshPath(); });
    return row([zoned(x.time, zoneOfDevice(x.device.id)), x.pin, x.device.id, t('state.' + x.state), t('verify.' + x.verify), sinks, pathButton], { 'data-punch': x.id, 'data-pin': x.pin });
  }), 'noPunches', 7);
}

var CHARTS = ['punches-today', 'backlog', 'oldest-unsent'];
function placeSvg(id, text) {
  var doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  var root = doc.documentElement;
  if (!(root instanceof SVGSVGElement) || doc.getElementsByTagName('parsererror').length > 0) return;
  $(id).replaceChildren(document.importNode(root, true));
}
function refreshCharts() {
  return Promise.all(CHARTS.map(function (name) {
    return api('/api/charts/' + name + '.svg?lang=' + lang, true).then(function (text) { placeSvg('chart-' + name, text); });
  }));
}

function refreshPath() {
  var section = $('path-section');
  if (!pathPunch) { section.hidden = true; $('punch-path').replaceChildren(); return Promise.resolve(); }
  var id = pathPunch;
  return api('/api/punches/' + id + '/path.svg?lang=' + lang, true).then(function (text) {
    if (id !== pathPunch) return;
    placeSvg('punch-path', text);
    $('punch-path').setAttribute('data-punch', id);
    section.hidden = false;
  }, function () { section.hidden = true; });
}
/** After a PIN search: the newest punch found, unless the one shown is among them. */
function choosePath() {
  var list = (data.punches && data.punches.punches) || [];
  if (!searchPin) return;
  if (!list.some(function (x) { return x.id === pathPunch; })) pathPunch = list.length > 0 ? list[0].id : null;
}

function renderCommands() {
  var c = data.commands;
  $('commands-box').hidden = !(c && c.enabled);
  if (!c || !c.enabled) return;
  fill($('commands').tBodies[0], c.commands.map(function (x) {
    var result = el('div');
    var b = badge(x.ok ? t('commandOk') : x.code === 'GW_ERR_COMMAND_REFUSED' ? t('commandRefused') : t('commandFailed'), x.ok ? 'ok' : 'bad');
    b.setAttribute('data-command-result', x.ok ? 'ok' : (x.reason || x.code || 'failed'));
    result.appendChild(b);
    if (!x.ok) result.appendChild(el('div', 'small', [x.code, x.reason, x.message].filter(Boolean).join(' · ')));
    return row([wall(x.at), x.action || t('never'), x.issuer || t('never'), result], { 'data-command': x.id || '' });
  }), 'noCommands', 4);
}

function renderUserSync() {
  var groups = (data.userSync && data.userSync.groups) || [];
  $('user-sync-box').hidden = groups.length === 0;
  var rows = [];
  groups.forEach(function (g) {
    g.conflicts.forEach(function (c) {
      var holders = c.devices.map(function (d) { return d.deviceId + ': ' + (d.name || '—') + ' · ' + t('userSyncCard') + ' ' + (d.card || '—'); }).join('; ');
      rows.push(row([g.group, c.pin, holders], { 'data-conflict': g.group + '/' + c.pin }));
    });
  });
  fill($('user-conflicts').tBodies[0], rows, 'noUserConflicts', 3);
}

function render() { renderTexts(); renderGateway(); renderDevices(); renderSinks(); renderCommands(); renderUserSync(); renderPunches(); }

function refresh() {
  if (busy) { again = true; return; }
  busy = true;
  var punchPath = '/api/punches?limit=50' + (searchPin ? '&pin=' + encodeURIComponent(searchPin) : '');
  Promise.all([api('/api/gateway'), api('/readyz'), api('/api/devices'), api('/api/queue'), api(punchPath), api('/api/commands'), api('/api/users/conflicts'), refreshCharts()])
    .then(function (r) {
      data = { gateway: r[0], ready: r[1], devices: r[2], queue: r[3], punches: r[4], commands: r[5], userSync: r[6] };
      $('token-box').hidden = true;
      $('error').hidden = true;
      $('updated').textContent = new Date().toLocaleTimeString(lang === 'id' ? 'id-ID' : 'en-GB');
      render();
      choosePath();
      return refreshPath();
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
  refresh();
});
$('search').addEventListener('submit', function (ev) { ev.preventDefault(); searchPin = $('pin').value.trim(); refresh(); });
$('show-all').addEventListener('click', function () { $('pin').value = ''; searchPin = ''; pathPunch = null; refresh(); });
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


export const STATUS_PAGE_SCRIPT = `(function () {\nvar TEXTS = ${scriptJson(STATUS_PAGE_TEXTS)};\nvar REFRESH_MS = ${REFRESH_MS};\nvar EXPLAIN = ${scriptJson(ERROR_EXPLANATIONS)};\nvar ZONES = ${scriptJson(ZONE_ABBREVIATIONS)};\nvar SKEW_WARN_SEC = ${CLOCK_SKEW_WARN_SEC};\n${DOM_HELPERS}${PAGE_PRELUDE}${SCRIPT_BODY}})();\n`;
