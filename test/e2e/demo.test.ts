// `absensi-gateway demo` end to end: simulated terminals → gateway → embedded broker → subscriber,
// and → the centre on PGlite in {dataDir}/central: every punch printed is stored there, and the
// fleet view names the demo gateway and its three devices.
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { DEMO_NEWCOMER, runDemo } from '../../src/cli/demo.js';
import { fleetView } from '../../src/central/fleet.js';
import { openEmbedded } from '../../src/central/store.js';
import { punchSchema } from '../../src/punch/punch.js';
import { tempDir } from '../helpers/tmp.js';

it('prints every stored and new punch of the three simulated terminals as valid punch/v1, and the centre stores each one', async () => {
  const tmp = tempDir();
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  try {
    await runDemo({ duration: '8s', interval: '400ms', json: true, apiPort: '0', fleetPort: '0', dataDir: tmp.dir }, out);
    const punches = text.trim().split('\n').map((line) => punchSchema.parse(JSON.parse(line)));
    // 12 + 8 records stored in the simulators, plus punches made during the run
    expect(punches.length).toBeGreaterThanOrEqual(20);
    expect(new Set(punches.map((p) => p.device.id))).toEqual(new Set(['lobby-1', 'hall-2', 'gate-3']));
    expect(punches.filter((p) => p.device.id === 'gate-3').every((p) => p.time.endsWith('+09:00') && p.device.protocol === 'zk-push')).toBe(true);
    expect(punches.filter((p) => p.device.id === 'hall-2').every((p) => p.time.endsWith('+08:00'))).toBe(true);
    expect(punches.filter((p) => p.device.id === 'lobby-1').every((p) => p.time.endsWith('+07:00'))).toBe(true);
    expect(new Set(punches.map((p) => p.device.serial))).toEqual(new Set(['DEMO0000000001', 'DEMO0000000002', 'DEMO0000000003']));
    // enrolled at hall-2, copied by the userSync group, punching at lobby-1
    expect(punches.filter((p) => p.pin === DEMO_NEWCOMER.pin).map((p) => p.device.id)).toContain('lobby-1');

    const store = await openEmbedded(join(tmp.dir, 'central'));
    try {
      const stored = new Set((await store.query<{ id: string }>('SELECT id FROM punches')).rows.map((r) => r.id));
      expect(punches.filter((p) => !stored.has(p.id)).map((p) => p.id)).toEqual([]);
      const fleet = await fleetView(store, { centre: { id: 'demo-pusat', engine: store.engine }, configured: {} });
      expect(fleet.gateways.map((g) => g.id)).toEqual(['demo-gw']);
      expect(fleet.gateways[0]?.devices.map((d) => d.id)).toEqual(['gate-3', 'hall-2', 'lobby-1']);
      expect(fleet.gateways[0]?.highestSeq).toBeGreaterThanOrEqual(punches.length > 0 ? Math.max(...punches.map((p) => p.seq)) : 1);
    } finally {
      await store.close();
    }
  } finally {
    tmp.cleanup();
  }
}, 60_000);
