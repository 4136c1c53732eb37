// ZK SOAP web servers and their differences, as data (src/devices/modelRows.ts; STYLE.md "Device
// knowledge as data"). What the gateway learns of a SOAP terminal before any call is the HTTP
// `Server` header of its answer.
// Invariants:
// - Rows come from public sources only, each with a fixture under test/drivers/zk-soap/fixtures/
//   (models.test.ts fails for a row without one, or whose fixture does not show the quirk).
// - The client copes with every row already (it sends the bare call element and reads every answer
//   to the end of the connection): the rows record what was seen. Newer ZKTeco firmware serves no
//   SOAP at all (vodvud/php_zklib#26); no public capture of its answer exists, so it has no row:
//   `probe` tells it apart.
import { lookUpModel, type ModelResult, type ModelRow } from '../../src/devices/modelRows.js';

export interface SoapQuirks {
  /** the answer has no Content-Length: the body ends when the terminal closes the connection */
  bodyUntilClose: boolean;
  /** the HTTP version of the answer */
  httpVersion: '1.0' | '1.1';
}

/** `server`: the HTTP Server header. */
export type SoapModelKey = 'server';

export const SOAP_DEFAULT_QUIRKS: SoapQuirks = { bodyUntilClose: false, httpVersion: '1.1' };

export const SOAP_MODELS: readonly ModelRow<SoapModelKey, SoapQuirks>[] = [
  {
    match: { server: 'ZK Web Server' },
    quirks: { bodyUntilClose: true, httpVersion: '1.0' },
    source: 'other-terminals.md "ZK SOAP" (Solution X-series and older ZK firmware answer HTTP/1.0 as "ZK Web Server" with no Content-Length, then close); the fixture is synthetic after that description',
    fixture: 'http-no-content-length_synthetic',
  },
];

export function soapQuirksFor(device: { server?: string }): ModelResult<SoapModelKey, SoapQuirks> {
  return lookUpModel(SOAP_MODELS, SOAP_DEFAULT_QUIRKS, device);
}
