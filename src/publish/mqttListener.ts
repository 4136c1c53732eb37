// Topics the MQTT sink subscribes to on its own connection (the remote command topic, README
// "Remote commands"), kept apart from the publishing path of mqttPublisher.ts.
// Invariants:
// - Every listened topic is subscribed at QoS 1 after each CONNACK (the session is clean, so the
//   broker forgets subscriptions with the connection); `granted` holds only what the broker granted
//   on the current connection.
// - A message goes to its topic's handler with its MQTT 5 response topic and correlation data; a
//   message on any other topic is ignored.
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from 'pino';

/** A message on a listened topic. */
export interface ListenedMessage {
  topic: string;
  payload: Buffer;
  /** MQTT 5 only */
  responseTopic?: string;
  correlationData?: Buffer;
}

export class MqttListeners {
  private readonly handlers = new Map<string, (message: ListenedMessage) => void>();
  private readonly granted = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly scrub: (text: string) => string,
  ) {}

  add(topic: string, handler: (message: ListenedMessage) => void): void {
    this.handlers.set(topic, handler);
  }

  isGranted(topic: string): boolean {
    return this.granted.has(topic);
  }

  /** Subscribes every listened topic on `client`; `current` says whether it is still the sink's connection. */
  subscribeAll(client: MqttClient, current: () => boolean): void {
    this.granted.clear();
    for (const topic of this.handlers.keys()) {
      client.subscribe(topic, { qos: 1 }, (error, grants) => {
        const refusedQos = grants?.find((g) => g.qos > 2)?.qos;
        const refused = error ?? (refusedQos !== undefined ? new Error(`reason code ${refusedQos}`) : undefined);
        if (refused) this.log.warn({ code: 'GW_ERR_SINK_UNREACHABLE', topic, error: this.scrub(refused.message) }, 'subscription refused by the broker');
        else if (current()) this.granted.add(topic);
      });
    }
  }

  deliver(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const handler = this.handlers.get(topic);
    if (!handler) return;
    const { responseTopic, correlationData } = packet.properties ?? {};
    handler({ topic, payload, ...(responseTopic ? { responseTopic } : {}), ...(correlationData ? { correlationData: Buffer.from(correlationData) } : {}) });
  }
}
