// Gauges computed when Prometheus scrapes /metrics, from the buffer and the device states, so they
// are never stale and cost nothing between scrapes.
// Invariants:
// - Per-device gauges, the tree size and the checkpoint age are reset first: a device removed from the config, or
//   one with no punch, no clock reading or no watermark yet, has no series rather than a made-up 0.
// - Nothing here writes to the buffer.
import type { GatewayView } from './view.js';

export function refreshScrapeGauges(view: GatewayView, nowMs = Date.now()): void {
  const { metrics } = view;
  metrics.queueDepth.reset();
  metrics.queueOldestAge.reset();
  metrics.deadLetters.reset();
  if (!view.buffer.isClosed()) {
    const stats = view.buffer.backlog();
    for (const sink of stats.sinks) {
      metrics.queueDepth.set({ sink: sink.sink }, sink.pending);
      const oldestMs = sink.oldestPendingAt ? Date.parse(sink.oldestPendingAt) : nowMs;
      metrics.queueOldestAge.set({ sink: sink.sink }, Math.max(0, (nowMs - oldestMs) / 1000));
      metrics.deadLetters.set({ sink: sink.sink }, sink.deadLetters);
    }
    metrics.quarantined.set(stats.quarantined);
    metrics.bufferFileBytes.set(stats.fileBytes);
  }
  metrics.logTreeSize.reset();
  const treeSize = view.log.treeSize();
  if (treeSize !== undefined) metrics.logTreeSize.set(treeSize);
  metrics.logCheckpointAge.reset();
  const checkpoint = view.log.checkpoint();
  if (checkpoint) metrics.logCheckpointAge.set(Math.max(0, (nowMs - Date.parse(checkpoint.time)) / 1000));
  for (const health of view.sinkHealth()) metrics.sinkUp.set({ sink: health.sink }, health.connected && !health.halted ? 1 : 0);
  metrics.deviceLastPunchAge.reset();
  metrics.deviceClockSkew.reset();
  metrics.deviceUp.reset();
  metrics.deviceCompleteThrough.reset();
  for (const device of view.devices()) {
    const watermark = view.watermark(device.id);
    if (watermark) metrics.deviceCompleteThrough.set({ device: device.id }, Date.parse(watermark.completeThrough) / 1000);
  }
  for (const device of view.states.list()) {
    metrics.deviceUp.set({ device: device.id }, device.online ? 1 : 0);
    if (device.lastPunchAt) metrics.deviceLastPunchAge.set({ device: device.id }, Math.max(0, (nowMs - Date.parse(device.lastPunchAt)) / 1000));
    if (device.clockSkewSec !== null) metrics.deviceClockSkew.set({ device: device.id }, device.clockSkewSec);
  }
}
