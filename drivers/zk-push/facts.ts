// Facts a zk-push terminal tells about itself (an INFO command result, the INFO= of a getrequest
// poll, handshake parameters), bounded before they reach the device status.
// Invariants:
// - Identity strings (model, firmware, platform) are taken only when 1 to 64 characters with no
//   control or format characters (DESIGN.md "Trust at the edge"); a longer one is dropped, never
//   cut, so a 300 KB `~DeviceName` becomes no model at all.
// - `details` facts keep at most MAX_FACTS keys, each key and value at most MAX_FACT_CHARS
//   characters of the same kind; the rest is dropped and counted.
import type { DeviceIdentity } from '../../src/devices/driver.js';

export const MAX_IDENTITY_CHARS = 64;
const MAX_FACTS = 32;
const MAX_FACT_CHARS = 64;
const PLAIN = /^[^\p{C}]+$/u;

export function isIdentityString(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_IDENTITY_CHARS && PLAIN.test(value);
}

/** Facts safe to show: short plain keys and values only; `dropped` counts the others. */
export function boundedFacts<V extends string | number>(values: Record<string, V>): { facts: Record<string, V>; dropped: number } {
  const kept: [string, V][] = [];
  let dropped = 0;
  for (const [key, value] of Object.entries(values)) {
    const text = String(value);
    const fits = kept.length < MAX_FACTS && key.length <= MAX_FACT_CHARS && PLAIN.test(key) && text.length <= MAX_FACT_CHARS && (text === '' || PLAIN.test(text));
    if (fits) kept.push([key, value]);
    else dropped += 1;
  }
  // fromEntries defines own properties: a key named __proto__ stays a plain key
  return { facts: Object.fromEntries(kept), dropped };
}

/** model/firmware/platform from an INFO answer's `~DeviceName`, `FWVersion`, `Platform`, each only when it is an identity string. */
export function identityOf(values: Record<string, string>): Pick<DeviceIdentity, 'model' | 'firmware' | 'platform'> {
  return {
    ...(isIdentityString(values.DeviceName) ? { model: values.DeviceName } : {}),
    ...(isIdentityString(values.FWVersion) ? { firmware: values.FWVersion } : {}),
    ...(isIdentityString(values.Platform) ? { platform: values.Platform } : {}),
  };
}
