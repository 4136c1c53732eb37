// config/asyncapi.yaml is what src/publish/asyncApi.ts generates from the zod schemas (`npm run
// schema`), names the topics the gateway publishes to, resolves every reference, and is a valid
// AsyncAPI 3.0 document by @asyncapi/parser (when installed: it is the one check this suite cannot
// make itself).
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { parse } from 'yaml';
import { ASYNCAPI_FILE, asyncApiDocument, channelAddresses, renderAsyncApi } from '../../src/publish/asyncApi.js';
import { buildTopics } from '../../src/publish/topics.js';

it('the committed config/asyncapi.yaml is the generated one (run `npm run schema` when this fails)', () => {
  expect(readFileSync(ASYNCAPI_FILE, 'utf8')).toBe(renderAsyncApi());
  expect(parse(readFileSync(ASYNCAPI_FILE, 'utf8'))).toEqual(asyncApiDocument());
});

it('each channel address, filled in, is the topic the gateway publishes to', () => {
  const topics = buildTopics('absensi', 'BKPP', 'oki-bkpp-01');
  const fill = (address: string): string => address.replace('{prefix}', 'absensi').replace('{site}', 'BKPP').replace('{gatewayId}', 'oki-bkpp-01').replace('{deviceId}', 'lobby-1').replace('{sha256}', 'ab'.repeat(32));
  const addresses = channelAddresses();
  expect(fill(addresses.punch)).toBe(topics.punch('lobby-1'));
  expect(fill(addresses.photo)).toBe(topics.photo('lobby-1', 'ab'.repeat(32)));
  expect(fill(addresses.deviceStatus)).toBe(topics.deviceStatus('lobby-1'));
  expect(fill(addresses.deviceWatermark)).toBe(topics.deviceWatermark('lobby-1'));
  expect(fill(addresses.gatewayStatus)).toBe(topics.gatewayStatus);
  expect(fill(addresses.checkpoint)).toBe(topics.checkpoint);
});

it('every $ref resolves, every address parameter is declared, every channel has an operation', () => {
  const doc = asyncApiDocument();
  const refs: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) if (key === '$ref' && typeof value === 'string') refs.push(value);
    else walk(value);
  };
  walk(doc);
  expect(refs.length).toBeGreaterThan(0);
  for (const ref of refs) {
    const target = ref.slice(2).split('/').reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], doc);
    expect(target, ref).toBeDefined();
  }
  const channels = doc.channels as Record<string, { address: string; parameters: Record<string, unknown> }>;
  for (const [name, channel] of Object.entries(channels)) {
    const used = [...channel.address.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    expect(Object.keys(channel.parameters).sort(), name).toEqual(used);
  }
  const operated = Object.values(doc.operations as Record<string, { channel: { $ref: string } }>).map((o) => o.channel.$ref);
  expect(operated.sort()).toEqual(Object.keys(channels).map((c) => `#/channels/${c}`).sort());
});

it('@asyncapi/parser finds no error in it', async (ctx) => {
  const name = '@asyncapi/parser';
  let parser: { Parser: new () => { parse(text: string): Promise<{ document?: unknown; diagnostics: { severity: number; message: string; path: unknown }[] }> } };
  try {
    parser = (await import(name)) as typeof parser;
  } catch {
    return ctx.skip('@asyncapi/parser is not installed (a devDependency to add); config/asyncapi.yaml was not validated by it');
  }
  const { document, diagnostics } = await new parser.Parser().parse(readFileSync(ASYNCAPI_FILE, 'utf8'));
  expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
  expect(document).toBeDefined();
});
