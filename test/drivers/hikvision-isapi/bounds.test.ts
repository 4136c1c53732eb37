// Issue 15, bounded allocation: what a Hikvision terminal (here the ISAPI simulator on 127.0.0.1,
// answering with synthetic bodies) announces or sends must not make the driver hold or loop
// without bound: an answer body over the client's limit is cut off and refused, and a search that
// answers MORE for ever ends with an error while the cursor stays where it was.
import { afterEach, describe, expect, it } from 'vitest';
import { IsapiClient } from '../../../drivers/hikvision-isapi/client.js';
import { CURSOR_KEY, syncEvents } from '../../../drivers/hikvision-isapi/sync.js';
import { ISAPI_PATHS } from '../../../drivers/hikvision-isapi/tables.js';
import type { HikvisionSimulator } from '../../../src/sim/hikvision/index.js';
import { MemoryContext } from '../../helpers/memoryContext.js';
import { PASSWORD, startSim } from './harness.js';

let sim: HikvisionSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function clientFor(s: HikvisionSimulator, maxBodyBytes?: number): IsapiClient {
  return new IsapiClient({ host: '127.0.0.1', port: s.address.port, username: 'admin', password: PASSWORD, timeoutMs: 10_000, ...(maxBodyBytes ? { maxBodyBytes } : {}) });
}

const MAPPING = { zone: 'Asia/Jakarta', timeFrom: 'offset', minorMap: {}, verifyModeMap: {}, stateMap: {} } as const;

/** One synthetic AcsEvent page that always says MORE and carries one new-looking punch. */
function endlessPage(): string {
  const info = { major: 5, minor: 75, time: '2026-01-19T07:30:00+07:00', employeeNoString: '1', serialNo: 7, currentVerifyMode: 'face' };
  return JSON.stringify({ AcsEvent: { searchID: 'x', responseStatusStrg: 'MORE', numOfMatches: 1, totalMatches: 0xffffffff, InfoList: [info] } });
}

describe('an ISAPI answer body over the limit', () => {
  it('is refused while it streams (default 8 MiB limit, a 16 MiB body)', async () => {
    sim = await startSim({ acsEventBody: `{"AcsEvent":{"responseStatusStrg":"OK","pad":"${'x'.repeat(16 * 1024 * 1024)}"}}` });
    await expect(clientFor(sim).postJson(ISAPI_PATHS.acsEvent, {})).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_PROTOCOL', message: expect.stringContaining('larger than 8388608 bytes') });
  });

  it('ends the search with a counted rejection and leaves the cursor alone', async () => {
    sim = await startSim({ acsEventBody: `{"AcsEvent":{"responseStatusStrg":"OK","pad":"${'x'.repeat(64 * 1024)}"}}` });
    const ctx = new MemoryContext({ device: { id: 'lobby-1', driver: 'hikvision-isapi', timezone: 'Asia/Jakarta' } });
    await expect(syncEvents({ client: clientFor(sim, 16 * 1024), ctx, mapping: MAPPING, pageSize: 30, lookbackMs: 86_400_000 })).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_PROTOCOL' });
    expect(ctx.rejections.map((r) => r.reason)).toEqual(['isapi-body-too-large']);
    expect(ctx.checkpoint.get(CURSOR_KEY)).toBeUndefined();
  });
});

describe('a terminal that answers MORE for ever', () => {
  it('is refused once a search passes maxEvents; the cursor stays where it was', async () => {
    sim = await startSim({ acsEventBody: endlessPage() });
    const ctx = new MemoryContext({ device: { id: 'lobby-1', driver: 'hikvision-isapi', timezone: 'Asia/Jakarta' } });
    await expect(syncEvents({ client: clientFor(sim), ctx, mapping: MAPPING, pageSize: 30, lookbackMs: 86_400_000, maxEvents: 50 })).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_PROTOCOL', message: expect.stringContaining('still MORE after 50 events') });
    expect(sim.stats.requests['/ISAPI/AccessControl/AcsEvent']).toBeGreaterThanOrEqual(50);
    expect(ctx.rejections.map((r) => r.reason)).toEqual(['acs-search-unbounded']);
    expect(ctx.checkpoint.get(CURSOR_KEY)).toBeUndefined();
  });
});
