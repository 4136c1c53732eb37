// `absensi-gateway demo` end to end: simulated terminals → gateway → embedded broker → subscriber.
import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';
import { punchSchema } from '../../src/punch/punch.js';
import { tempDir } from '../helpers/tmp.js';

it('prints every stored and new punch of the three simulated terminals as valid punch/v1', async () => {
  const tmp = tempDir();
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  try {
    await runDemo({ duration: '6s', interval: '400ms', json: true, apiPort: '0', dataDir: tmp.dir }, out);
    const punches = text.trim().split('\n').map((line) => punchSchema.parse(JSON.parse(line)));
    // 12 + 8 records stored in the simulators, plus punches made during the run
    expect(punches.length).toBeGreaterThanOrEqual(20);
    expect(new Set(punches.map((p) => p.device.id))).toEqual(new Set(['lobby-1', 'hall-2', 'gate-3']));
    expect(punches.filter((p) => p.device.id === 'gate-3').every((p) => p.time.endsWith('+09:00') && p.device.protocol === 'zk-push')).toBe(true);
    expect(punches.filter((p) => p.device.id === 'hall-2').every((p) => p.time.endsWith('+08:00'))).toBe(true);
    expect(punches.filter((p) => p.device.id === 'lobby-1').every((p) => p.time.endsWith('+07:00'))).toBe(true);
    expect(new Set(punches.map((p) => p.device.serial))).toEqual(new Set(['DEMO0000000001', 'DEMO0000000002', 'DEMO0000000003']));
  } finally {
    tmp.cleanup();
  }
});
