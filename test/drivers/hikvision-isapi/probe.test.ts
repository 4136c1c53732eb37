// probe --protocol hikvision-isapi against the simulator: identity, AcsEvent support, clear auth failure.
import { afterEach, describe, expect, it } from 'vitest';
import { formatHikProbe, probeHikvision } from '../../../drivers/hikvision-isapi/probe.js';
import type { HikvisionSimulator } from '../../../src/sim/hikvision/index.js';
import { PASSWORD, startSim } from './harness.js';

let sim: HikvisionSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
});

const options = (port: number, password = PASSWORD) => ({ host: '127.0.0.1', port, username: 'admin', password, timeoutMs: 5000, timeZone: 'Asia/Jakarta' });

describe('probe hikvision-isapi', () => {
  it('reports identity, clock and AcsEvent support', async () => {
    sim = await startSim({ records: 3, firstPunchMs: Date.now() - 3_600_000 });
    const result = await probeHikvision(options(sim.address.port));
    expect(result).toMatchObject({ serial: 'DS-K1T341AM20220101V030230ENG12345678', model: 'DS-K1T341AM', deviceType: 'ACS', acsEvent: { supported: true, totalMatchesLast24h: 3 } });
    expect(formatHikProbe(result)).toMatch(/AcsEvent {3}supported; 3 attendance events/);
  });

  it('a wrong password is GW_ERR_DEVICE_AUTH with a plain message and no password in it', async () => {
    sim = await startSim();
    const failure = probeHikvision(options(sim.address.port, 'sekret-salah'));
    await expect(failure).rejects.toMatchObject({ code: 'GW_ERR_DEVICE_AUTH', message: expect.stringContaining('wrong user name or password') });
    await expect(failure).rejects.not.toMatchObject({ message: expect.stringContaining('sekret-salah') });
  });
});
