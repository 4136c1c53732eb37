// The edge rules under hostile input for the HTTP terminal kinds, through the drivers' own code on
// the real DriverContext and SQLite buffer (edgeHarness.ts): Hikvision push (`handle`), Hikvision
// pull (`backfill`: deviceInfo, then an AcsEvent search), zk-soap's poll (`syncAttendance`) and
// Fingerspot's `/scanlog/new` read (`pollNew`). The terminal side is a client whose transport
// answers the case's hostile body (each client's public seam: `request`, `exchange`, `call`), so
// the decode, mapping, commit and checkpoint code is the shipped one.
// Properties, besides the harness's (bounded punches, rows and state; every punch accounted for):
// - a record the codec passes becomes a committed punch exactly when its PIN meets the rule (under
//   its NFC form), else a quarantined one: a look-alike never commits beside the real PIN;
// - a driver answers or fails with its own errors (GatewayError, DecodeError), never anything else.
// Inputs are synthetic (mutate.ts), in the shapes of the quoted fixtures of each driver.
import { ok } from 'node:assert/strict';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { EasyLinkClient } from '../../../drivers/fingerspot-easylink/client.js';
import { DEFAULT_TABLES } from '../../../drivers/fingerspot-easylink/codec.js';
import { pollNew } from '../../../drivers/fingerspot-easylink/reads.js';
import { IsapiClient, type IsapiResponse } from '../../../drivers/hikvision-isapi/client.js';
import { hikvisionConfigSchema, HikvisionDriver } from '../../../drivers/hikvision-isapi/index.js';
import { ISAPI_PATHS } from '../../../drivers/hikvision-isapi/tables.js';
import { SoapClient } from '../../../drivers/zk-soap/client.js';
import { zkSoapConfigSchema } from '../../../drivers/zk-soap/config.js';
import { syncAttendance } from '../../../drivers/zk-soap/sync.js';
import { edgePin } from '../../../src/punch/edgeRules.js';
import { HikvisionSimulator, type SimEvent } from '../../../src/sim/hikvision/index.js';
import { DecodeError, GatewayError } from '../../../src/util/errors.js';
import { edgeHarness, type EdgeHarness } from './edgeHarness.js';
import { fcOptions } from './fuzzScale.js';
import { hostileExtraFields, hostileIdentity, hostilePin } from './mutate.js';

const pad = (n: number): string => String(n).padStart(2, '0');
let tick = 0;
/** A distinct wall time per record, so no good punch is a duplicate of an earlier case's. */
function nextWall(): { wall: string; iso: string } {
  tick += 1;
  const at = new Date(Date.UTC(2025, 0, 1) + tick * 1000);
  const wall = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}T${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
  return { wall, iso: `${wall}+07:00` };
}

/**
 * Of the PINs sent (records the codec passed), the rule's NFC forms commit in order, except those
 * whose punch went to quarantine as too-large; each PIN outside the rule is one pin-invalid row.
 */
function checkPins(committed: string[], sent: string[], quarantinedReasons: string[]): void {
  const expected = sent.flatMap((pin) => edgePin(pin) ?? []);
  const tooLarge = quarantinedReasons.filter((r) => r === 'too-large').length;
  let at = 0;
  for (const pin of committed) {
    at = expected.indexOf(pin, at);
    ok(at >= 0, `committed ${JSON.stringify(pin)} is not among ${JSON.stringify(expected)}`);
    at += 1;
  }
  ok(committed.length + tooLarge === expected.length, `${committed.length} committed + ${tooLarge} too large of ${expected.length} rule PINs`);
  const outside = sent.filter((pin) => edgePin(pin) === undefined).length;
  ok(quarantinedReasons.filter((r) => r === 'pin-invalid').length === outside, `${outside} PINs outside the rule, all quarantined pin-invalid`);
}

function onlyOwnErrors(error: unknown): void {
  if (!(error instanceof GatewayError || error instanceof DecodeError)) throw error;
}

/**
 * XML text content: a hostile value must not be able to end its element, and characters XML 1.0
 * forbids are left out (a body with them is refused whole, which tests nothing about the rules).
 */
const xmlText = (text: string): string =>
  text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('edge rules through Hikvision push (handle)', () => {
  let h: EdgeHarness;
  let driver: HikvisionDriver;
  const bodies = new HikvisionSimulator(); // never started: builds push bodies as the terminal sends them

  beforeAll(async () => {
    const entry = { id: 'lobby-face', driver: 'hikvision-isapi', pull: false, push: true, serial: 'DS-K1T341AM-SIM', timezone: 'Asia/Jakarta' };
    h = edgeHarness(entry);
    driver = new HikvisionDriver(hikvisionConfigSchema.parse(entry), h.ctx);
    await driver.start();
  });
  afterAll(async () => {
    await driver.stop();
    h.close();
  });

  it('pushed events with hostile employee numbers: only rule PINs commit, look-alikes are quarantined', async () => {
    let serialNo = 0;
    await fc.assert(
      fc.asyncProperty(hostilePin, fc.constantFrom('json', 'multipart') as fc.Arbitrary<'json' | 'multipart'>, async (pin, format) => {
        serialNo += 1;
        const event: SimEvent = { serialNo, major: 5, minor: 75, time: nextWall().iso, employeeNoString: pin, currentVerifyMode: 'cardOrFaceOrFp', attendanceStatus: 'checkIn' };
        const { body, contentType } = bodies.pushBody(event, format);
        const reply = await driver.handle({ method: 'POST', endpoint: '', query: {}, body: body.toString('utf8'), bytes: body, contentType, remoteAddress: '127.0.0.1' });
        const { punches, quarantined } = await h.check();
        ok(reply.status === 200, `status ${reply.status}`);
        checkPins(punches.map((p) => p.pin), pin.trim() === '' ? [] : [pin.trim()], quarantined.map((q) => q.reason));
      }),
      fcOptions('edge hikvision push events'),
    );
  });
});

/** An ISAPI client whose terminal answers what the case says (Digest and sockets left out). */
class ScriptedIsapi extends IsapiClient {
  deviceInfo = '';
  acsEvent = '';
  override async request(_method: string, path: string): Promise<IsapiResponse> {
    if (path === ISAPI_PATHS.deviceInfo) return { status: 200, contentType: 'application/xml', text: this.deviceInfo };
    if (path === ISAPI_PATHS.acsEvent) return { status: 200, contentType: 'application/json', text: this.acsEvent };
    throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `${path}: 404`);
  }
}

describe('edge rules through Hikvision pull (backfill: deviceInfo, AcsEvent)', () => {
  let h: EdgeHarness;
  let driver: HikvisionDriver;
  let client: ScriptedIsapi;

  beforeAll(() => {
    const entry = { id: 'face-1', driver: 'hikvision-isapi', host: '127.0.0.1', password: 'x', pollInterval: '1h', timezone: 'Asia/Jakarta' };
    h = edgeHarness(entry);
    const cfg = hikvisionConfigSchema.parse(entry);
    client = new ScriptedIsapi({ host: '127.0.0.1', port: 80, username: 'admin', password: 'x', timeoutMs: 1000, signal: h.ctx.signal });
    driver = new HikvisionDriver(cfg, h.ctx);
    Object.assign(driver, { client });
  });
  afterAll(async () => {
    await driver.stop();
    h.close();
  });

  const info = fc.record({ serial: hostileIdentity, model: hostileIdentity, firmware: hostileIdentity });
  const item = fc.record({ pin: hostilePin, cardNo: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 20 }), fc.integer({ min: 4000, max: 12_000 }).map((n) => '7'.repeat(n))), extra: hostileExtraFields });

  it('hostile identities and records: bounded state and punches, only rule PINs commit', async () => {
    let serialNo = 0;
    await fc.assert(
      fc.asyncProperty(info, fc.array(item, { minLength: 1, maxLength: 5 }), async (identity, items) => {
        client.deviceInfo = `<?xml version="1.0" encoding="UTF-8"?>\n<DeviceInfo version="2.0"><deviceName>Access Controller</deviceName><model>${xmlText(identity.model)}</model><serialNumber>${xmlText(identity.serial)}</serialNumber><firmwareVersion>${xmlText(identity.firmware)}</firmwareVersion></DeviceInfo>`;
        const list = items.map((i) => ({ ...i.extra, major: 5, minor: 75, time: nextWall().iso, employeeNoString: i.pin, serialNo: (serialNo += 1), currentVerifyMode: 'face', attendanceStatus: 'checkIn', ...(i.cardNo !== undefined ? { cardNo: i.cardNo } : {}) }));
        client.acsEvent = JSON.stringify({ AcsEvent: { searchID: 'x', responseStatusStrg: 'OK', numOfMatches: list.length, totalMatches: list.length, InfoList: list } });
        let done = false;
        try {
          await driver.backfill(Date.UTC(2025, 0, 1));
          done = true;
        } catch (error) {
          onlyOwnErrors(error);
        }
        const { punches, quarantined } = await h.check();
        // an event whose employee number is blank after trimming is quarantined invalid (acs-no-employee)
        if (done) checkPins(punches.map((p) => p.pin), items.map((i) => i.pin.trim()).filter((pin) => pin !== ''), quarantined.map((q) => q.reason));
      }),
      fcOptions('edge hikvision pull'),
    );
  });
});

/** A SOAP client whose terminal answers the case's HTTP bytes (ZK Web Server style: no Content-Length). */
class ScriptedSoap extends SoapClient {
  answer = Buffer.alloc(0);
  override async exchange(): Promise<Buffer> {
    return this.answer;
  }
}

describe('edge rules through the zk-soap poll (syncAttendance)', () => {
  let h: EdgeHarness;
  let client: ScriptedSoap;
  const cfg = zkSoapConfigSchema.parse({ id: 'gate-1', driver: 'zk-soap', host: '127.0.0.1', timezone: 'Asia/Jakarta' });

  beforeAll(() => {
    h = edgeHarness(cfg);
    client = new ScriptedSoap({ host: '127.0.0.1', port: 80, commKey: '0', timeoutMs: 1000, maxBodyBytes: 1 << 22 });
  });
  afterAll(() => h.close());

  const row = fc.record({ pin: hostilePin, code: fc.oneof(fc.constantFrom('0', '1', '15'), fc.integer({ min: 4000, max: 10_000 }).map((n) => `${'0'.repeat(n)}1`)) });

  it('rows with hostile PINs and huge code fields: bounded punches, only rule PINs commit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 5 }), async (rows) => {
        const xml = rows.map((r) => `<Row><PIN>${xmlText(r.pin)}</PIN><DateTime>${nextWall().wall.replace('T', ' ')}</DateTime><Verified>1</Verified><Status>0</Status><WorkCode>${r.code}</WorkCode></Row>`).join('\n');
        client.answer = Buffer.from(`HTTP/1.0 200 OK\r\nServer: ZK Web Server\r\nContent-Type: text/xml\r\n\r\n<?xml version="1.0" encoding="utf-8" standalone="no"?>\n<GetAttLogResponse>\n${xml}\n</GetAttLogResponse>`, 'utf8');
        try {
          await syncAttendance({ client, ctx: h.ctx, cfg, signal: h.ctx.signal });
        } catch (error) {
          onlyOwnErrors(error);
        }
        await h.check();
      }),
      fcOptions('edge zk-soap attlog bodies'),
    );
  });
});

/** An EasyLink client whose bridge answers the case's reply text. */
class ScriptedEasyLink extends EasyLinkClient {
  reply = '';
  override async call(): Promise<string> {
    return this.reply;
  }
}

describe('edge rules through Fingerspot /scanlog/new (pollNew)', () => {
  const SERIAL = 'FIO66208021230737';
  let h: EdgeHarness;
  let client: ScriptedEasyLink;

  beforeAll(() => {
    h = edgeHarness({ id: 'revo-1', driver: 'fingerspot-easylink', host: '127.0.0.1', serial: SERIAL, timezone: 'Asia/Jakarta' });
    client = new ScriptedEasyLink({ host: '127.0.0.1', port: 8090, serial: SERIAL, timeoutMs: 1000 });
  });
  afterAll(() => h.close());

  const scan = fc.record({ pin: fc.oneof(hostilePin, fc.nat().map((n) => n)), extra: hostileExtraFields });

  it('scan rows with hostile PINs and extra fields: only rule PINs commit, every row accounted for', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(scan, { minLength: 1, maxLength: 5 }), async (scans) => {
        const data = scans.map((s) => ({ ...s.extra, SN: SERIAL, ScanDate: nextWall().wall.replace('T', ' '), PIN: s.pin, VerifyMode: 1, IOMode: 1, WorkCode: 0 }));
        client.reply = JSON.stringify({ Result: true, Data: data });
        const read = { client, ctx: h.ctx, serial: SERIAL, tables: DEFAULT_TABLES, pageSize: 100, maxPages: 10, deviceNow: () => nextWall().wall, floor: undefined, signal: h.ctx.signal };
        try {
          await pollNew(read);
        } catch (error) {
          onlyOwnErrors(error);
        }
        const { punches, quarantined } = await h.check();
        // the codec's own PIN shape (codec.ts scanRowSchema); rows outside it are counted rejections
        const passed = scans.map((s) => String(s.pin)).filter((pin) => /^\S{1,32}$/.test(pin));
        checkPins(punches.map((p) => p.pin), passed, quarantined.map((q) => q.reason));
      }),
      fcOptions('edge fingerspot scanlog replies'),
    );
  });
});
