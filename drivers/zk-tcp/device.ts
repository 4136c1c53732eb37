// Terminal-level operations on a connected ZkClient: identity, counts, clock, users, attendance.
// Invariants:
// - Each function is one short conversation with the terminal, safe to call between others
//   (the client serializes requests).
// - The terminal's keypad is re-enabled in `finally` whenever it was disabled here.
// - Attendance comes back whole or as an error (the client never returns a partial dataset).
import {
  decodeAttendanceDataset, decodeCString, decodeDataStat, decodeFreeSizes, decodeTime, decodeU32, decodeUsers,
  encodeReadRequest, encodeTime, encodeU32, formatWallTime, type AttendanceDataset, type FreeSizes, type WallTime,
  type ZkUser,
} from './codec.js';
import { clockSkewSec, wallTimeIn } from '../../src/punch/time.js';
import type { ProgressFn, ZkClient } from './client.js';
import { quirksFor, type ModelResult } from './models.js';
import { CMD, OPTION_NAMES } from './tables.js';

export interface DeviceFacts {
  serial?: string;
  model?: string;
  platform?: string;
  firmware?: string;
  vendor?: string;
  mac?: string;
  sizes: FreeSizes;
  /** the models.ts row (or defaults) for this platform/firmware */
  known: ModelResult;
}

/** Reads who the terminal is (§8) and its counts (§6). */
export async function identify(client: ZkClient): Promise<DeviceFacts> {
  const serial = await client.readOption(OPTION_NAMES.serial);
  const model = await client.readOption(OPTION_NAMES.model);
  const platform = await client.readOption(OPTION_NAMES.platform);
  const vendor = await client.readOption(OPTION_NAMES.vendor);
  const mac = await client.readOption(OPTION_NAMES.mac);
  const version = await client.request(CMD.GET_VERSION);
  const firmware = version.command === CMD.ACK_OK ? decodeCString(version.data) || undefined : undefined;
  const sizes = await readSizes(client);
  return { serial: serial || undefined, model: model || undefined, platform, firmware, vendor, mac, sizes, known: quirksFor({ platform, firmware }) };
}

export async function readSizes(client: ZkClient): Promise<FreeSizes> {
  return decodeFreeSizes((await client.command(CMD.GET_FREE_SIZES)).data);
}

export async function readClock(client: ZkClient): Promise<WallTime> {
  return decodeTime(decodeU32((await client.command(CMD.GET_TIME)).data));
}

export interface ClockReading {
  deviceTime: string;
  clockSkewSec: number;
  /** set when the terminal clock was changed in this call */
  setFromSkewSec?: number;
}

/**
 * Measures device clock minus gateway clock in `zone`; with `setClock`, writes the gateway's wall
 * time to the terminal (CMD_SET_TIME + CMD_REFRESHDATA, §4) when the skew is 2 s or more.
 */
export async function measureClock(client: ZkClient, zone: string, setClock: boolean): Promise<ClockReading> {
  const device = await readClock(client);
  const skew = clockSkewSec(device, zone, Date.now());
  if (!setClock || Math.abs(skew) < 2) return { deviceTime: formatWallTime(device), clockSkewSec: skew };
  await client.command(CMD.SET_TIME, encodeU32(encodeTime(wallTimeIn(zone, Date.now()))), 'CMD_SET_TIME');
  await client.command(CMD.REFRESHDATA);
  const after = await readClock(client);
  return { deviceTime: formatWallTime(after), clockSkewSec: clockSkewSec(after, zone, Date.now()), setFromSkewSec: skew };
}

/** The user table (§6.3 FCT_USER) and its record size (28 or 72 bytes, §7). */
export async function readUserTable(client: ZkClient, count: number): Promise<{ users: ZkUser[]; recordSize?: number }> {
  const dataset = await client.readDataset(CMD.USERTEMP_RRQ, 5);
  const users = decodeUsers(dataset, count);
  return { users, recordSize: users.length > 0 ? (dataset.length - 4) / users.length : undefined };
}

export async function readUsers(client: ZkClient, count: number): Promise<ZkUser[]> {
  return (await readUserTable(client, count)).users;
}

export interface AttendanceRead {
  set: AttendanceDataset;
  /** the raw dataset, kept for audit when a layout is unknown */
  bytes: Buffer;
}

/** Downloads and splits the attendance log; throws DecodeError (with the bytes kept by the caller) for an unknown layout. */
export async function readAttendance(
  client: ZkClient,
  options: { count: number; preferredSizes: number[]; onProgress?: ProgressFn; onBytes?: (bytes: Buffer) => void },
): Promise<AttendanceRead> {
  const bytes = await client.readDataset(CMD.ATTLOG_RRQ, 0, options.onProgress);
  options.onBytes?.(bytes);
  return { set: decodeAttendanceDataset(bytes, options.count, options.preferredSizes), bytes };
}

/** Runs `task` with the terminal's keypad and sensor locked (timeout variant, §6.1), always re-enabling. */
export async function withDeviceDisabled<T>(client: ZkClient, seconds: number, task: () => Promise<T>): Promise<T> {
  await client.command(CMD.DISABLEDEVICE, encodeU32(seconds), 'CMD_DISABLEDEVICE');
  try {
    return await task();
  } finally {
    if (client.connected) await client.request(CMD.ENABLEDEVICE).catch(() => undefined);
  }
}

/** CMD_CLEAR_ATTLOG then CMD_REFRESHDATA (data-record.md). The caller holds the terminal disabled. */
export async function clearAttendance(client: ZkClient): Promise<void> {
  await client.command(CMD.CLEAR_ATTLOG);
  await client.command(CMD.REFRESHDATA);
}

/**
 * The attendance record size without downloading the log: the data-stat of CMD_DATA_WRRQ announces
 * the dataset size (§6.3), which is 4 + records × size.
 */
export async function detectRecordSize(client: ZkClient, records: number): Promise<number | undefined> {
  if (records <= 0) return undefined;
  await client.request(CMD.FREE_DATA);
  try {
    const reply = await client.request(CMD.DATA_WRRQ, encodeReadRequest(CMD.ATTLOG_RRQ, 0, 0));
    if (reply.command === CMD.DATA) return decodeAttendanceDataset(reply.data, records).recordSize;
    if (reply.command !== CMD.ACK_OK) return undefined;
    const total = decodeDataStat(reply.data) - 4;
    return total > 0 && total % records === 0 ? total / records : undefined;
  } finally {
    await client.request(CMD.FREE_DATA).catch(() => undefined);
  }
}
