// What the gateway knows about each device right now, for the status topics, the API and the
// status page. In memory only: after a restart a device is unknown until its driver reports.
// `details` stay bounded however many updates merge into them (statusBounds.mergeDetails).
import { EventEmitter } from 'node:events';
import type { ErrorCode } from '../util/catalogue.js';
import type { DeviceError, DeviceStatusUpdate } from './driver.js';
import { mergeDetails } from './statusBounds.js';

export interface DeviceSnapshot {
  id: string;
  protocol: string;
  enabled: boolean;
  online: boolean;
  lastSeen: string | null;
  lastPunchAt: string | null;
  serial: string | null;
  model: string | null;
  firmware: string | null;
  platform: string | null;
  clockSkewSec: number | null;
  /** `CODE: message` of the error the device is in (null: none) */
  lastError: string | null;
  /** that error's catalogue code, for whoever explains it (the status page) */
  lastErrorCode: ErrorCode | null;
  restarts: number;
  punchesCommitted: number;
  rejected: Record<string, number>;
  /** the last few rejected inputs, newest first, for the status page */
  recentRejects: { at: string; reason: string; detail?: string }[];
  details: Record<string, unknown>;
}

const RECENT_REJECTS_KEPT = 20;

/** What is known of a device before its driver has said anything. */
export function blankSnapshot(id: string, protocol: string, enabled: boolean, serial?: string): DeviceSnapshot {
  return {
    id,
    protocol,
    enabled,
    online: false,
    lastSeen: null,
    lastPunchAt: null,
    serial: serial ?? null,
    model: null,
    firmware: null,
    platform: null,
    clockSkewSec: null,
    lastError: null,
    lastErrorCode: null,
    restarts: 0,
    punchesCommitted: 0,
    rejected: {},
    recentRejects: [],
    details: {},
  };
}

export class DeviceStates extends EventEmitter {
  private readonly devices = new Map<string, DeviceSnapshot>();

  register(id: string, protocol: string, enabled: boolean, serial?: string): DeviceSnapshot {
    const snapshot = blankSnapshot(id, protocol, enabled, serial);
    this.devices.set(id, snapshot);
    return snapshot;
  }

  unregister(id: string): void {
    this.devices.delete(id);
  }

  get(id: string): DeviceSnapshot | undefined {
    return this.devices.get(id);
  }

  list(): DeviceSnapshot[] {
    return [...this.devices.values()];
  }

  update(id: string, change: DeviceStatusUpdate): void {
    const device = this.devices.get(id);
    if (!device) return;
    const { details, lastError, ...rest } = change;
    if (lastError !== undefined) setLastError(device, lastError);
    for (const [key, value] of Object.entries(rest)) {
      if (value !== undefined) (device as unknown as Record<string, unknown>)[key] = value;
    }
    if (details) device.details = mergeDetails(device.details, details);
    if (change.online) device.lastSeen = new Date().toISOString();
    this.emit('change', device);
  }

  seen(id: string): void {
    const device = this.devices.get(id);
    if (!device) return;
    device.lastSeen = new Date().toISOString();
  }

  rejected(id: string, reason: string, detail?: string): void {
    const device = this.devices.get(id);
    if (!device) return;
    device.rejected[reason] = (device.rejected[reason] ?? 0) + 1;
    const entry: DeviceSnapshot['recentRejects'][number] = { at: new Date().toISOString(), reason };
    if (detail !== undefined) entry.detail = detail.slice(0, 200);
    device.recentRejects.unshift(entry);
    device.recentRejects.length = Math.min(device.recentRejects.length, RECENT_REJECTS_KEPT);
  }

  committed(id: string, count: number, lastPunchTime: string | null): void {
    const device = this.devices.get(id);
    if (!device) return;
    device.punchesCommitted += count;
    if (lastPunchTime && (!device.lastPunchAt || lastPunchTime > device.lastPunchAt)) device.lastPunchAt = lastPunchTime;
    this.emit('change', device);
  }

  restarted(id: string, error: DeviceError): void {
    const device = this.devices.get(id);
    if (!device) return;
    device.restarts += 1;
    device.online = false;
    setLastError(device, error);
    this.emit('change', device);
  }
}

function setLastError(device: DeviceSnapshot, error: DeviceError | null): void {
  device.lastError = error ? `${error.code}: ${error.message}` : null;
  device.lastErrorCode = error?.code ?? null;
}
