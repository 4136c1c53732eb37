// The built-in kiosk page at `GET /kiosk/` on the kiosk listener (DESIGN.md "Kiosks and apps"):
// one self-contained HTML document for a tablet's browser — a PIN pad, masuk / pulang /
// istirahat, an optional camera snapshot, a confirmation with the time and the punch id, and a
// queue in the page's own storage while the gateway cannot be reached. Bahasa Indonesia and
// English, no CDN, no build step.
// Invariants:
// - Served under the same client certificate as the API it calls: the listener's onRequest hook
//   admits only a registered kiosk's certificate, so the page names no device itself.
// - The Content-Security-Policy allows exactly this page's inline style and script (by SHA-256
//   hash), requests to this origin only, images from data: (the snapshot) and the camera stream.
// - Data is put into the page with textContent only.
// - A punch goes into the queue (localStorage) before it is sent and leaves it only on an answer
//   that settles it (200, or a refusal the kiosk cannot cure by retrying); a resend carries the
//   same time, so the gateway answers the same id: each punch is committed once.
import { pageCsp, scriptJson } from '../util/pageKit.js';

const TEXTS = {
  id: { title: 'Absensi', pin: 'Masukkan PIN', in: 'Masuk', out: 'Pulang', break: 'Istirahat', photo: 'Foto', clear: 'Hapus', done: 'Tercatat', queued: 'menunggu dikirim', offline: 'Gateway tidak terjangkau; absen disimpan dan dikirim nanti', refused: 'Ditolak', clock: 'Jam tablet salah; jam gateway', needPin: 'Masukkan PIN dulu', lang: 'English' },
  en: { title: 'Attendance', pin: 'Enter PIN', in: 'Check in', out: 'Check out', break: 'Break', photo: 'Photo', clear: 'Clear', done: 'Recorded', queued: 'waiting to be sent', offline: 'Gateway unreachable; the punch is kept and sent later', refused: 'Refused', clock: "The tablet's clock is wrong; gateway time", needPin: 'Enter a PIN first', lang: 'Bahasa Indonesia' },
};

const STYLE = `
* { box-sizing: border-box; }
body { font: 18px/1.4 system-ui, sans-serif; margin: 0; padding: 1rem; display: flex; flex-direction: column; align-items: center; gap: .75rem; }
header { width: 100%; max-width: 28rem; display: flex; justify-content: space-between; align-items: baseline; }
#clock { font-size: 2rem; font-variant-numeric: tabular-nums; }
#pin { font-size: 2rem; letter-spacing: .3em; min-height: 2.8rem; text-align: center; width: 100%; max-width: 28rem; border-bottom: 2px solid #888; }
.pad { display: grid; grid-template-columns: repeat(3, 5rem); gap: .5rem; }
.pad button, .states button { font: inherit; font-size: 1.5rem; padding: .75rem; border-radius: .5rem; border: 1px solid #888; cursor: pointer; }
.states { display: flex; gap: .5rem; flex-wrap: wrap; justify-content: center; }
.states button { font-size: 1.2rem; min-width: 8rem; }
#message { min-height: 3rem; text-align: center; max-width: 28rem; }
.ok { color: #1a7f37; } .bad { color: #cf222e; } .warn { color: #9a6700; }
video, canvas { max-width: 12rem; border-radius: .5rem; }
`;

const BODY = `
<header><strong data-t="title"></strong><span id="clock">--:--:--</span><button id="lang" type="button"></button></header>
<div id="pin" aria-live="polite"></div>
<div class="pad" id="pad"></div>
<div class="states">
  <button type="button" data-state="check-in" data-t="in"></button>
  <button type="button" data-state="check-out" data-t="out"></button>
  <button type="button" data-state="break-out" data-t="break"></button>
</div>
<label><input type="checkbox" id="use-photo"> <span data-t="photo"></span></label>
<video id="video" autoplay muted playsinline hidden></video>
<div id="message" aria-live="assertive"></div>
<div id="queue" class="warn"></div>
`;

const SCRIPT_BODY = String.raw`
'use strict';
var lang = localStorage.getItem('absensi.kiosk.lang') === 'en' ? 'en' : 'id';
var pin = '';
var stream = null;
var sending = false;
var QUEUE_KEY = 'absensi.kiosk.queue';
var $ = function (id) { return document.getElementById(id); };
function t(key) { return TEXTS[lang][key] || key; }
function queue() { try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || '[]'); } catch (e) { return []; } }
function saveQueue(q) { localStorage.setItem(QUEUE_KEY, JSON.stringify(q)); renderQueue(); }
function pad2(n) { return (n < 10 ? '0' : '') + n; }
function isoNow() {
  var d = new Date(), off = -d.getTimezoneOffset(), sign = off >= 0 ? '+' : '-', a = Math.abs(off);
  return d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) + 'T' + pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds()) + sign + pad2(Math.floor(a / 60)) + ':' + pad2(a % 60);
}
function say(text, kind) { var m = $('message'); m.textContent = text; m.className = kind; }
function renderPin() { $('pin').textContent = pin; }
function renderQueue() { var n = queue().length; $('queue').textContent = n ? n + ' ' + t('queued') : ''; }
function renderTexts() {
  document.documentElement.lang = lang;
  document.title = t('title');
  Array.prototype.forEach.call(document.querySelectorAll('[data-t]'), function (n) { n.textContent = t(n.getAttribute('data-t')); });
  $('lang').textContent = t('lang');
  renderQueue();
}
function snapshot() {
  if (!stream) return undefined;
  var v = $('video'), c = document.createElement('canvas');
  c.width = 320; c.height = Math.round(320 * (v.videoHeight || 240) / (v.videoWidth || 320));
  c.getContext('2d').drawImage(v, 0, 0, c.width, c.height);
  return c.toDataURL('image/jpeg', 0.7);
}
function punch(state) {
  if (!pin) { say(t('needPin'), 'warn'); return; }
  var body = { pin: pin, time: isoNow(), state: state };
  var photo = snapshot();
  if (photo) body.photo = photo;
  var q = queue(); q.push(body); saveQueue(q);
  pin = ''; renderPin();
  flush();
}
function settle(body) { saveQueue(queue().filter(function (b) { return !(b.pin === body.pin && b.time === body.time && b.state === body.state); })); }
function flush() {
  if (sending) return;
  var q = queue();
  if (q.length === 0) return;
  sending = true;
  var body = q[0];
  var sent = Object.assign({}, body, { sentAt: isoNow() });
  fetch('/kiosk/v1/punch', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(sent), cache: 'no-store' })
    .then(function (res) { return res.json().then(function (answer) { return { status: res.status, answer: answer }; }); })
    .then(function (r) {
      if (r.status === 200) { settle(body); say(t('done') + ' ' + body.time.slice(11, 19) + ' · ' + body.pin + ' · ' + r.answer.id, 'ok'); $('message').setAttribute('data-punch-id', r.answer.id); }
      else if (r.status === 409) { settle(body); say(t('clock') + ' ' + new Date(r.answer.gatewayTime).toLocaleTimeString(), 'bad'); }
      else if (r.status >= 400 && r.status < 500) { settle(body); say(t('refused') + ': ' + r.answer.code, 'bad'); }
      else throw new Error(String(r.status));
      return true;
    })
    .catch(function () { say(t('offline'), 'warn'); return false; })
    .then(function (progressed) { sending = false; if (progressed && queue().length) flush(); });
}
for (var k = 1; k <= 12; k++) {
  var b = document.createElement('button');
  b.type = 'button';
  var key = k === 10 ? 'C' : k === 11 ? '0' : k === 12 ? '⌫' : String(k);
  b.textContent = key; b.setAttribute('data-key', key);
  $('pad').appendChild(b);
}
$('pad').addEventListener('click', function (ev) {
  var key = ev.target.getAttribute && ev.target.getAttribute('data-key');
  if (!key) return;
  if (key === 'C') pin = ''; else if (key === '⌫') pin = pin.slice(0, -1); else if (pin.length < 24) pin += key;
  renderPin();
});
Array.prototype.forEach.call(document.querySelectorAll('[data-state]'), function (b) { b.addEventListener('click', function () { punch(b.getAttribute('data-state')); }); });
$('use-photo').addEventListener('change', function (ev) {
  if (!ev.target.checked) { if (stream) stream.getTracks().forEach(function (tr) { tr.stop(); }); stream = null; $('video').hidden = true; return; }
  navigator.mediaDevices.getUserMedia({ video: { width: 320 } }).then(function (s) { stream = s; $('video').srcObject = s; $('video').hidden = false; }).catch(function () { ev.target.checked = false; });
});
$('lang').addEventListener('click', function () { lang = lang === 'id' ? 'en' : 'id'; localStorage.setItem('absensi.kiosk.lang', lang); renderTexts(); });
setInterval(function () { $('clock').textContent = isoNow().slice(11, 19); }, 1000);
setInterval(flush, 3000);
renderTexts(); renderPin(); flush();
`;

const SCRIPT = `(function () {\nvar TEXTS = ${scriptJson(TEXTS)};\n${SCRIPT_BODY}})();\n`;


export const KIOSK_PAGE_HTML = `<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Absensi</title><style>${STYLE}</style></head>
<body>${BODY}<script>${SCRIPT}</script></body></html>
`;

export const KIOSK_PAGE_CSP = pageCsp({ script: SCRIPT, style: STYLE, img: 'data: blob:', extra: ['media-src mediastream: blob:'] });
