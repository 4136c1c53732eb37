// A kiosk's certificate as the local CA's lists say it is (issued.json, revoked.json): for
// `check`, /api/devices and the status page. Reads the files at each call; never throws.
import { kioskCaDir, readIssued, readRevoked } from './ca.js';

export interface KioskCertificateStatus {
  /** the newest certificate issued to the kiosk; null before `kiosk enroll` */
  certificate: { serial: string; notAfter: string; revoked: boolean; expired: boolean } | null;
  /** certificates issued to it that are neither revoked nor expired */
  valid: number;
  /** why the CA's lists could not be read; absent when they could */
  problem?: string;
}

export function kioskCertificateStatus(dataDir: string, deviceId: string, now = Date.now()): KioskCertificateStatus {
  const dir = kioskCaDir(dataDir);
  try {
    const revoked = new Set(readRevoked(dir).map((r) => r.serial));
    const mine = readIssued(dir).filter((c) => c.deviceId === deviceId);
    const state = mine.map((c) => ({ serial: c.serial, notAfter: c.notAfter, revoked: revoked.has(c.serial), expired: Date.parse(c.notAfter) <= now }));
    return { certificate: state.at(-1) ?? null, valid: state.filter((c) => !c.revoked && !c.expired).length };
  } catch (error) {
    return { certificate: null, valid: 0, problem: (error as Error).message };
  }
}
