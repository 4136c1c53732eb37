// watermark/v1: a device's completeness watermark (DESIGN.md "Completeness watermark").
// Invariants:
// - Meaning, as published: every punch the terminal had recorded with device time ≤
//   `completeThrough` when the watermark was proven (`at`) is committed in this gateway's buffer
//   with seq ≤ `seqThrough` — or, refused by the edge rules, kept in its quarantine table.
// - The zod schema below is the source of config/watermark-v1.schema.json; never hand-edit that file.
// - watermark/v1 may only gain optional fields; changing a meaning needs watermark/v2.
import { z } from 'zod';

export const WATERMARK_SCHEMA = 'watermark/v1';

/**
 * How a proof was made; the bases this build's drivers declare. The schema takes any short name, so
 * a consumer of watermark/v1 accepts a basis a later gateway adds.
 */
export const WATERMARK_BASES = ['download', 'paging'] as const;
export type WatermarkBasis = (typeof WATERMARK_BASES)[number];

/** The part of a watermark a driver proves and the buffer keeps; the rest is the gateway's identity. */
export const watermarkProofSchema = z.object({
  completeThrough: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/)
    .describe('device wall time with the UTC offset of the device IANA zone: every punch the terminal recorded at or before it is committed'),
  seqThrough: z.number().int().nonnegative().describe('every such punch is committed with a seq at or below this'),
  basis: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/)
    .describe('how it was proven: download = the terminal clock read just before a complete download of its log (zk-tcp, zk-soap); paging = the terminal clock read just before a complete paging of its log through the Fingerspot EasyLink bridge, the rows counted against the terminal\'s own count (fingerspot-easylink)'),
  at: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/).describe('gateway UTC time when it was proven'),
});

export type WatermarkProof = z.infer<typeof watermarkProofSchema>;

export const watermarkSchema = z
  .object({
    schema: z.literal(WATERMARK_SCHEMA),
    gateway: z.string().min(1).describe('configured gateway id'),
    site: z.string().min(1).describe('configured site/OPD code'),
    device: z.string().min(1).describe('device id from the gateway config'),
    ...watermarkProofSchema.shape,
  })
  .describe('absensi-gateway completeness watermark of one device, version 1');

export type Watermark = z.infer<typeof watermarkSchema>;

/** The published object: a proof with the identity of the gateway and device it belongs to. */
export function watermarkOf(identity: { gateway: string; site: string; device: string }, proof: WatermarkProof): Watermark {
  return { schema: WATERMARK_SCHEMA, gateway: identity.gateway, site: identity.site, device: identity.device, ...proof };
}
