// The retained status payloads a gateway publishes (DESIGN.md "MQTT (contract)"): the gateway's
// `{prefix}/{site}/gateway/{gatewayId}/status` and each device's `{prefix}/{site}/{deviceId}/status`.
// Invariants:
// - These zod schemas are what the gateway's payloads are typed against (src/gateway.ts,
//   src/publish/mqttPublisher.ts), what the centre reads them with, and the source of their
//   entries in config/asyncapi.yaml; never hand-edit that file.
// - Objects are open (`loose`): a status may gain fields and a consumer ignores what it does not
//   know. A field may only be added, never change its meaning.
import { z } from 'zod';

const utcTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);

export const sinkQueueSchema = z
  .looseObject({
    pending: z.number().int().nonnegative().describe('punches committed and not yet acknowledged by this sink (the backlog)'),
    deadLetters: z.number().int().nonnegative().describe('punches this sink refused for good, waiting for an operator'),
    oldestPendingAt: utcTime.nullable().optional().describe('when the oldest punch still pending for this sink was committed (UTC); null when none is pending'),
  })
  .describe('one delivery sink of the gateway');

export const gatewayStatusSchema = z
  .looseObject({
    online: z.boolean().describe('false in the Last Will and the goodbye: the gateway is not connected'),
    version: z.string().describe('absensi-gateway version'),
    startedAt: z.string().describe('when the gateway process started (UTC)'),
    queue: z.record(z.string(), sinkQueueSchema).nullable().describe('per sink (mqtt, https): backlog and dead letters; null in the Last Will'),
    hostClock: z
      .looseObject({
        synchronized: z.boolean().nullable(),
        reason: z.string(),
        checkedAt: z.string(),
      })
      .nullable()
      .optional()
      .describe('the gateway host clock check (NTP), null before the first one'),
    logKey: z.string().optional().describe('the punch log verifier key (signed-note vkey) of this gateway'),
  })
  .describe('retained status of a gateway');

export type GatewayStatusPayload = z.infer<typeof gatewayStatusSchema>;

export const deviceStatusSchema = z
  .looseObject({
    gateway: z.string().min(1).optional().describe('id of the gateway the device belongs to'),
    online: z.boolean().describe('the gateway reaches the device (pulled) or heard from it recently (push)'),
    lastSeen: z.string().nullable().describe('when the gateway last heard from the device (UTC)'),
    lastPunchAt: z.string().nullable().describe('when the device last delivered a punch to the gateway (UTC)'),
    serial: z.string().nullable(),
    model: z.string().nullable(),
    clockSkewSec: z.number().nullable().describe('device clock minus gateway clock when last measured'),
    lastError: z.string().nullable(),
    lastErrorCode: z.string().nullable().optional().describe('the GW_ERR_* code of lastError'),
  })
  .describe('retained status of a device');

export type DeviceStatusPayload = z.infer<typeof deviceStatusSchema>;
