// The pure answer splitter (drivers/zk-soap/stream.ts): whatever the reads look like, its slices
// mean what the whole answer means to the codec, and it refuses what the codec refuses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAttLog, decodeSoapBody, decodeUsers, isNoData, type SoapDocument } from '../../../drivers/zk-soap/codec.js';
import { MAX_SPAN_CHARS, SoapAnswerSplitter } from '../../../drivers/zk-soap/stream.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const HEAD = 'HTTP/1.0 200 OK\r\nServer: ZK Web Server\r\nContent-Type: text/xml\r\n\r\n';

/** `answer` fed in reads of `size` bytes (0: random sizes from a fixed seed) */
function split(answer: Buffer, size: number, rowsPerSlice: number): SoapDocument[] {
  const splitter = new SoapAnswerSplitter(rowsPerSlice);
  const out: SoapDocument[] = [];
  let seed = 11;
  for (let at = 0; at < answer.length; ) {
    const n = size > 0 ? size : 1 + ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % 97);
    out.push(...splitter.push(answer.subarray(at, at + n)));
    at += n;
  }
  out.push(...splitter.end());
  return out;
}

const rowsOf = (docs: SoapDocument[]) => docs.flatMap((d) => d.rows);

describe('SoapAnswerSplitter', () => {
  const attlog = readFileSync(join(FIXTURES, 'attlog_tad-php-TADResponseTest', 'input.xml'));
  const users = readFileSync(join(FIXTURES, 'userinfo_tad-php-TADResponseTest', 'input.xml'));

  it.each([1, 7, 0, 1_000_000])('slices the tad-php GetAttLog answer (reads of %i bytes) into the rows of the whole', (size) => {
    const docs = split(Buffer.concat([Buffer.from(HEAD, 'latin1'), attlog]), size, 2);
    expect(docs.every((d) => d.rows.length <= 2)).toBe(true);
    expect(rowsOf(docs)).toEqual(decodeSoapBody(attlog).rows);
    let first = 0;
    const records = docs.flatMap((d) => {
      const log = decodeAttLog(d, first);
      first += log.records.length + log.errors.length;
      return log.records;
    });
    expect(records).toEqual(decodeAttLog(decodeSoapBody(attlog)).records);
  });

  it('keeps a UTF-8 character split between two reads whole', () => {
    const body = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><GetAllUserInfoResponse><Row><PIN>1</PIN><Name>José</Name></Row><Row><PIN>2</PIN><Name>Ñandú</Name></Row></GetAllUserInfoResponse>', 'utf8');
    const docs = split(Buffer.concat([Buffer.from(HEAD, 'latin1'), body]), 1, 1);
    expect(docs.flatMap((d) => decodeUsers(d)).map((u) => u.name)).toEqual(['José', 'Ñandú']);
  });

  it('slices the tad-php user answer like the whole', () => {
    expect(rowsOf(split(Buffer.concat([Buffer.from(HEAD, 'latin1'), users]), 0, 1))).toEqual(decodeSoapBody(users).rows);
  });

  it.each([
    ['an answer cut inside a row', `${HEAD}<GetAttLogResponse>\r\n<Row><PIN>1</PIN><DateTime>2026-01-19 07:00:00</DateTime></Row>\r\n<Row><PIN>2</PIN><Date`, 'zk-soap-body-xml'],
    ['an answer cut before its end tag', `${HEAD}<GetAttLogResponse>\r\n<Row><PIN>1</PIN><DateTime>2026-01-19 07:00:00</DateTime></Row>\r\n`, 'zk-soap-body-xml'],
    ['plain text', `${HEAD}Not Found`, 'zk-soap-body-not-xml'],
    ['an empty body', `${HEAD}\r\n  `, 'zk-soap-body-empty'],
    ['a DOCTYPE', `${HEAD}<!DOCTYPE r [<!ENTITY x "xx">]><GetAttLogResponse>&x;</GetAttLogResponse>`, 'zk-soap-body-doctype'],
    ['no head end', 'HTTP/1.0 200 OK\r\nServer: x', 'zk-soap-http-head'],
    ['a short Content-Length body', 'HTTP/1.0 200 OK\r\nContent-Length: 500\r\n\r\n<GetAttLogResponse></GetAttLogResponse>', 'zk-soap-http-truncated'],
    ['a row that never ends', `${HEAD}<GetAttLogResponse><Row><PIN>${'1'.repeat(MAX_SPAN_CHARS + 10)}`, 'zk-soap-body'],
  ])('refuses %s', (_name, text, code) => {
    expect(() => split(Buffer.from(text, 'latin1'), 13, 2)).toThrow(expect.objectContaining({ code }) as Error);
  });

  it('hands out the slices before a cut', () => {
    const splitter = new SoapAnswerSplitter(1);
    const slices = splitter.push(Buffer.from(`${HEAD}<GetAttLogResponse><Row><PIN>1</PIN><DateTime>2026-01-19 07:00:00</DateTime></Row><Row><PIN>2</PIN>`, 'latin1'));
    expect(slices.map((d) => d.rows)).toEqual([[{ pin: '1', datetime: '2026-01-19 07:00:00' }]]);
    expect(() => splitter.end()).toThrow(expect.objectContaining({ code: 'zk-soap-body-xml' }) as Error);
  });

  it('reads "No data!" and a self-closed answer as no rows of a log', () => {
    const nodata = readFileSync(join(FIXTURES, 'nodata_tad-php-TADResponseTest', 'input.xml'));
    const answer = split(Buffer.concat([Buffer.from(HEAD, 'latin1'), nodata]), 5, 2000);
    expect(answer).toEqual([decodeSoapBody(nodata)]);
    expect(isNoData(answer[0]!)).toBe(true);
    const docs = split(Buffer.from(`${HEAD}<GetAttLogResponse/>\r\n`, 'latin1'), 3, 2000);
    expect(docs.map((d) => [d.root, d.rows.length])).toEqual([['GetAttLogResponse', 0]]);
  });
});
