// A gateway as the centre sees it on the broker, built from the real pieces (punch/v1 from the
// normalizer, leaves and checkpoints from src/log): its punches, its retained status naming its
// key, its devices' statuses, its watermarks and its signed checkpoints — with the means to alter, drop or double one.
import { generateKeyPairSync } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { formatCheckpoint, logKeyName, logOrigin } from '../../src/log/checkpoint.js';
import { ed25519Signer, signNote, type NoteSigner } from '../../src/log/note.js';
import type { Punch } from '../../src/punch/punch.js';
import type { DeviceStatusPayload } from '../../src/punch/status.js';
import { MemoryPunchLog } from '../helpers/memoryPunchLog.js';
import { unsequenced } from '../helpers/punches.js';

export class FakeGateway {
  readonly signer: ReturnType<typeof ed25519Signer>;
  readonly vkey: string;
  readonly log = new MemoryPunchLog();
  readonly punches: Punch[] = [];
  private client: MqttClient | undefined;

  constructor(
    readonly site: string,
    readonly id: string,
    /** each gateway's own terminal: punch ids derive from its serial, so two gateways never share one */
    readonly device = `lobby-${id}`,
    readonly prefix = 'absensi',
  ) {
    this.signer = ed25519Signer(logKeyName(site, id), generateKeyPairSync('ed25519').privateKey);
    this.vkey = this.signer.verifier.vkey;
  }

  async connect(url: string): Promise<void> {
    this.client = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: `fake-${this.site}-${this.id}` });
  }

  async close(): Promise<void> {
    await this.client?.endAsync();
  }

  /** Logs `count` more punches of the day (local times on 2026-01-19, zone +07:00). */
  make(count: number): Punch[] {
    const made: Punch[] = [];
    for (let n = 0; n < count; n++) {
      const i = this.punches.length;
      const base = unsequenced(i, this.device, { localTime: `2026-01-19T${String(7 + Math.floor(i / 3600)).padStart(2, '0')}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}` });
      const punch = { ...base, gateway: this.id, site: this.site, seq: i + 1 } as Punch;
      this.punches.push(punch);
      this.log.append(punch);
      made.push(punch);
    }
    return made;
  }

  checkpoint(size = this.log.head().size, signer: NoteSigner = this.signer): string {
    const origin = logOrigin(this.signer.name, this.log.epoch);
    return signNote(formatCheckpoint({ origin, size, root: this.log.root(size), time: new Date('2026-01-19T10:00:00Z') }), signer);
  }

  private get mqtt(): MqttClient {
    if (!this.client) throw new Error('not connected');
    return this.client;
  }

  /** The retained gateway status; `extra` adds or overrides fields (queue, online …). */
  async publishStatus(extra: Record<string, unknown> = {}): Promise<void> {
    await this.mqtt.publishAsync(`${this.prefix}/${this.site}/gateway/${this.id}/status`, JSON.stringify({ online: true, version: 'test', logKey: this.vkey, ...extra }), { qos: 1, retain: true });
  }

  /** The retained status of its device, as src/gateway.ts publishes it (DeviceStatusPayload). */
  async publishDeviceStatus(status: Partial<DeviceStatusPayload> = {}): Promise<void> {
    const full: DeviceStatusPayload = { gateway: this.id, online: true, lastSeen: null, lastPunchAt: null, serial: `SN-${this.device}`, model: 'SIM-F22', clockSkewSec: null, lastError: null, lastErrorCode: null, ...status };
    await this.mqtt.publishAsync(`${this.prefix}/${this.site}/${this.device}/status`, JSON.stringify(full), { qos: 1, retain: true });
  }

  async publishPunches(punches: readonly Punch[]): Promise<void> {
    await Promise.all(punches.map((p) => this.mqtt.publishAsync(`${this.prefix}/${this.site}/${p.device.id}/punch`, JSON.stringify(p), { qos: 1 })));
  }

  async publishCheckpoint(note = this.checkpoint()): Promise<void> {
    await this.mqtt.publishAsync(`${this.prefix}/${this.site}/gateway/${this.id}/checkpoint`, note, { qos: 1, retain: true });
  }

  async publishWatermark(completeThrough: string, seqThrough = this.log.head().size): Promise<void> {
    const watermark = { schema: 'watermark/v1', gateway: this.id, site: this.site, device: this.device, completeThrough, seqThrough, basis: 'download', at: '2026-01-20T01:00:00Z' };
    await this.mqtt.publishAsync(`${this.prefix}/${this.site}/${this.device}/watermark`, JSON.stringify(watermark), { qos: 1, retain: true });
  }
}
