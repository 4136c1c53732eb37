// MQTT topic names (DESIGN.md "MQTT (contract)"). Site and device ids are validated by the config
// schema to contain no `/`, `+` or `#`, so they are safe as single topic levels.

export interface Topics {
  punch(deviceId: string): string;
  deviceStatus(deviceId: string): string;
  /** a kiosk punch photo, with publish.photos (raw JPEG, named by its SHA-256) */
  photo(deviceId: string, sha256: string): string;
  /** retained watermark/v1 of a device (DESIGN.md "Completeness watermark") */
  deviceWatermark(deviceId: string): string;
  gatewayStatus: string;
  /** the punch log's latest signed checkpoint (retained, text/plain) */
  checkpoint: string;
  /** what a central consumer subscribes to for every punch of this site */
  sitePunches: string;
  /** signed remote commands from the centre (README "Remote commands") */
  command: string;
  /** answers go only to response topics under this prefix: `{command}/reply/` */
  commandReplies: string;
}

export function buildTopics(prefix: string, site: string, gatewayId: string): Topics {
  return {
    punch: (deviceId) => `${prefix}/${site}/${deviceId}/punch`,
    deviceStatus: (deviceId) => `${prefix}/${site}/${deviceId}/status`,
    photo: (deviceId, sha256) => `${prefix}/${site}/${deviceId}/photo/${sha256}`,
    deviceWatermark: (deviceId) => `${prefix}/${site}/${deviceId}/watermark`,
    gatewayStatus: `${prefix}/${site}/gateway/${gatewayId}/status`,
    checkpoint: `${prefix}/${site}/gateway/${gatewayId}/checkpoint`,
    sitePunches: `${prefix}/${site}/+/punch`,
    command: `${prefix}/${site}/gateway/${gatewayId}/cmd`,
    commandReplies: `${prefix}/${site}/gateway/${gatewayId}/cmd/reply/`,
  };
}
