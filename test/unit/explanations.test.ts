// The status page's explanations (src/util/explanations.ts): every catalogue code a user can meet
// has a sentence in Bahasa Indonesia and in English, and a message narrows it to its cause.
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/util/catalogue.js';
import { ERROR_EXPLANATIONS, explainError, type ExplanationRow } from '../../src/util/explanations.js';

const rows = Object.entries(ERROR_EXPLANATIONS as Record<string, ExplanationRow>);
const sentences = rows.flatMap(([code, row]) => [{ code, ...row }, ...(row.causes ?? []).map((c) => ({ code, ...c }))]);

describe('error explanations', () => {
  it('explains every code of the catalogue, and nothing else', () => {
    expect(Object.keys(ERROR_EXPLANATIONS).sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('has both languages for every code and every cause, each a sentence, none left untranslated', () => {
    const bad = sentences.filter((s) => s.id.trim().length < 20 || s.en.trim().length < 20 || s.id === s.en || !/[.)]$/.test(s.id) || !/[.)]$/.test(s.en));
    expect(bad.map((s) => s.code)).toEqual([]);
  });

  it('covers every device-, sink- and config-facing code with advice in Bahasa', () => {
    const facing = Object.keys(ERROR_CODES).filter((c) => /^GW_ERR_(DEVICE|SINK|CONFIG|PUSH|BUFFER|CLOCK|DRIVER|DECODE|CHECKSUM|DOWNLOAD|WATERMARK)/.test(c));
    expect(facing.length).toBeGreaterThan(15);
    for (const code of facing) expect(explainError(code)?.id, code).toMatch(/\S{3,}/);
  });

  it('says what to check for the failures IT staff meet most', () => {
    expect(explainError('GW_ERR_DEVICE_AUTH', 'the terminal refused the comm key; check commKey against the terminal (Comm. settings)')?.id).toMatch(/^Comm key di terminal dan di konfigurasi berbeda/);
    expect(explainError('GW_ERR_DEVICE_TIMEOUT', 'CONNECT: no reply within 10000 ms')?.id).toContain('Periksa kabel jaringan dan IP terminal');
    expect(explainError('GW_ERR_DEVICE_UNREACHABLE', 'tcp 10.0.0.9:4370: connect EHOSTUNREACH 10.0.0.9:4370')?.id).toBe('Terminal tidak menjawab. Periksa kabel jaringan dan IP terminal.');
    expect(explainError('GW_ERR_DEVICE_UNREACHABLE', 'tcp 127.0.0.1:4370: connect ECONNREFUSED 127.0.0.1:4370')?.id).toMatch(/^Terminal menolak sambungan/);
  });

  it('tells a refusing broker, a refused password and an unreachable server apart', () => {
    expect(explainError('GW_ERR_SINK_UNREACHABLE', 'connect ECONNREFUSED 127.0.0.1:18831')?.id).toMatch(/^Broker menolak sambungan/);
    expect(explainError('GW_ERR_SINK_AUTH', 'Connection refused: Not authorized')?.en).toMatch(/not authorized/);
    expect(explainError('GW_ERR_SINK_UNREACHABLE', 'getaddrinfo ENOTFOUND mqtt.pusat.example')?.en).toMatch(/DNS/);
    expect(explainError('GW_ERR_SINK_UNREACHABLE', 'connect ETIMEDOUT 10.1.1.1:8883')?.en).toMatch(/does not answer/);
    expect(explainError('GW_ERR_SINK_UNREACHABLE', 'something else')).toEqual({ id: ERROR_EXPLANATIONS.GW_ERR_SINK_UNREACHABLE.id, en: ERROR_EXPLANATIONS.GW_ERR_SINK_UNREACHABLE.en });
  });

  it('matches causes without regard to case, and knows no code outside the catalogue', () => {
    expect(explainError('GW_ERR_SINK_AUTH', 'NOT AUTHORIZED')).toEqual(explainError('GW_ERR_SINK_AUTH', 'not authorized'));
    expect(explainError('GW_ERR_NOPE')).toBeUndefined();
    expect(explainError('toString')).toBeUndefined();
  });
});
