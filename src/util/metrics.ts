// Prometheus metrics of one gateway instance (served at /metrics by the local API).
// Invariants:
// - One registry per Gateway instance, never the prom-client global: tests run several gateways
//   in one process.
// - Every rejection anywhere (bad packet, line, body, punch) increments `rejected` with a reason
//   of the catalogue (catalogue.ts, which lists every `reason` label value of these counters);
//   nothing is dropped without a count.
// - The event-loop monitor runs only between `runtime.start()` and `runtime.stop()` (the daemon's
//   lifetime), so a registry made in a test costs no timer; the lag gauge is the p99 since the
//   previous scrape (the monitor is reset on each scrape).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const MEMORY_KINDS = ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'] as const;

export function createMetrics() {
  const registry = new Registry();
  let loopDelay: IntervalHistogram | undefined;
  const metrics = {
    registry,
    punchesRead: new Counter({
      name: 'gateway_punches_read_total',
      help: 'Punches handed over by a device driver (before de-duplication)',
      labelNames: ['device'] as const,
      registers: [registry],
    }),
    punchesCommitted: new Counter({
      name: 'gateway_punches_committed_total',
      help: 'Punches newly committed to the buffer',
      labelNames: ['device'] as const,
      registers: [registry],
    }),
    punchesDuplicate: new Counter({
      name: 'gateway_punches_duplicate_total',
      help: 'Punches already in the buffer (same id) when handed over again',
      labelNames: ['device'] as const,
      registers: [registry],
    }),
    punchesQuarantined: new Counter({
      name: 'gateway_punches_quarantined_total',
      help: 'Punches kept out of the stream (impossible time, PIN outside the rule, too large, invalid fields), by reason',
      labelNames: ['device', 'reason'] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'gateway_rejected_total',
      help: 'Inputs refused (malformed packets, lines, bodies, punches), by reason',
      labelNames: ['device', 'reason'] as const,
      registers: [registry],
    }),
    pushRefused: new Counter({
      name: 'gateway_push_refused_total',
      help: 'Push requests and connections refused for their source (reason: source, pin, comm-key, mac, connections, connections-per-address); nothing of them was committed',
      labelNames: ['device', 'reason'] as const,
      registers: [registry],
    }),
    commands: new Counter({
      name: 'gateway_commands_total',
      help: 'Signed remote commands run, by command and result (ok, failed, unsupported)',
      labelNames: ['command', 'result'] as const,
      registers: [registry],
    }),
    commandsRefused: new Counter({
      name: 'gateway_commands_refused_total',
      help: 'Remote commands refused before they ran, by reason (malformed, unsigned, untrusted-key, bad-signature, wrong-target, expired, issued-in-future, replayed)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    userSync: new Counter({
      name: 'gateway_user_sync_total',
      help: 'userSync rounds, by group and result (ok; partial: a member unreadable or a user not written; failed: fewer than two members read)',
      labelNames: ['group', 'result'] as const,
      registers: [registry],
    }),
    userSyncConflicts: new Gauge({
      name: 'gateway_user_sync_conflicts',
      help: 'PINs held with another name or card on two members of a userSync group, at its last round',
      labelNames: ['group'] as const,
      registers: [registry],
    }),
    commitErrors: new Counter({
      name: 'gateway_buffer_commit_errors_total',
      help: 'Buffer transactions that failed (disk full, read-only, closed)',
      registers: [registry],
    }),
    published: new Counter({
      name: 'gateway_punches_published_total',
      help: 'Punches acknowledged by a sink',
      labelNames: ['sink'] as const,
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'gateway_punches_dead_lettered_total',
      help: 'Punches a sink refused for good (moved to the dead-letter table), by reason: too-large (refused for its size alone) or refused',
      labelNames: ['sink', 'reason'] as const,
      registers: [registry],
    }),
    sendFailures: new Counter({
      name: 'gateway_sink_send_failures_total',
      help: 'Batches that a sink did not accept and that will be retried',
      labelNames: ['sink'] as const,
      registers: [registry],
    }),
    publishLatency: new Histogram({
      name: 'gateway_publish_latency_seconds',
      help: 'Time from a punch being committed to its acknowledgement by a sink',
      labelNames: ['sink'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 3600],
      registers: [registry],
    }),
    sinkUp: new Gauge({
      name: 'gateway_sink_up',
      help: '1 when the sink is connected and not halted',
      labelNames: ['sink'] as const,
      registers: [registry],
    }),
    deviceUp: new Gauge({
      name: 'gateway_device_up',
      help: '1 when the device is online',
      labelNames: ['device'] as const,
      registers: [registry],
    }),
    apiRejected: new Counter({
      name: 'gateway_api_rejected_total',
      help: 'Local API requests refused (bad query or body, missing or wrong token, unknown route, too large), by status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    driverRestarts: new Counter({
      name: 'gateway_driver_restarts_total',
      help: 'Times the supervisor restarted a failed driver',
      labelNames: ['device'] as const,
      registers: [registry],
    }),
    hostClockSynchronized: new Gauge({
      name: 'gateway_host_clock_synchronized',
      help: 'Host clock: 1 NTP-synchronized, 0 not synchronized (year before 2024 or timedatectl says no), -1 unknown',
      registers: [registry],
    }),
    configReloads: new Counter({
      name: 'gateway_config_reloads_total',
      help: 'SIGHUP config reloads, by result (applied, refused)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    // Gauges below are set at scrape time by the local API (src/api/scrapeGauges.ts).
    queueDepth: new Gauge({
      name: 'gateway_queue_depth',
      help: 'Punches a sink has not acked yet (backlog, replays included)',
      labelNames: ['sink'] as const,
      registers: [registry],
    }),
    queueOldestAge: new Gauge({
      name: 'gateway_queue_oldest_unsent_age_seconds',
      help: 'Age of the oldest punch a sink has not acked yet (0 when none)',
      labelNames: ['sink'] as const,
      registers: [registry],
    }),
    deadLetters: new Gauge({
      name: 'gateway_dead_letters',
      help: 'Punches in the dead-letter table, waiting for an operator to replay or purge them',
      labelNames: ['sink'] as const,
      registers: [registry],
    }),
    quarantined: new Gauge({
      name: 'gateway_quarantined_punches',
      help: 'Punches in the quarantine table',
      registers: [registry],
    }),
    bufferFileBytes: new Gauge({
      name: 'gateway_buffer_file_bytes',
      help: 'Size of the SQLite buffer file plus its WAL',
      registers: [registry],
    }),
    logTreeSize: new Gauge({
      name: 'gateway_log_tree_size',
      help: 'Leaves in the punch log: the highest seq it covers, which is every committed punch (absent when the buffer keeps no log)',
      registers: [registry],
    }),
    logCheckpointAge: new Gauge({
      name: 'gateway_log_checkpoint_age_seconds',
      help: 'Time since the punch log\'s latest checkpoint was signed (its time line); a new one is signed only when punches came in, so it grows while none do (absent until the first)',
      registers: [registry],
    }),
    deviceLastPunchAge: new Gauge({
      name: 'gateway_device_last_punch_age_seconds',
      help: 'Time since the newest punch committed from the device (absent until one is)',
      labelNames: ['device'] as const,
      registers: [registry],
    }),
    deviceClockSkew: new Gauge({
      name: 'gateway_device_clock_skew_seconds',
      help: 'Device clock minus gateway clock when last measured (absent until measured)',
      labelNames: ['device'] as const,
      registers: [registry],
    }),
    deviceCompleteThrough: new Gauge({
      name: 'gateway_device_complete_through_seconds',
      help: 'Completeness watermark of the device: every punch it recorded up to this time (unix seconds) is committed (absent while none is proven)',
      labelNames: ['device'] as const,
      registers: [registry],
    }),
    eventLoopLagP99: new Gauge({
      name: 'gateway_event_loop_lag_p99_seconds',
      help: 'Event-loop delay, 99th percentile since the previous scrape (absent while the monitor is off)',
      registers: [registry],
      collect() {
        if (!loopDelay) return;
        if (loopDelay.count > 0) this.set(loopDelay.percentile(99) / 1e9);
        loopDelay.reset();
      },
    }),
    memory: new Gauge({
      name: 'gateway_memory_bytes',
      help: 'process.memoryUsage() at scrape time: rss, heapTotal, heapUsed, external, arrayBuffers',
      labelNames: ['kind'] as const,
      registers: [registry],
      collect() {
        const usage = process.memoryUsage();
        for (const kind of MEMORY_KINDS) this.set({ kind }, usage[kind]);
      },
    }),
    /** Start/stop the event-loop delay monitor behind eventLoopLagP99 (the daemon does, for its lifetime). */
    runtime: {
      start(): void {
        loopDelay ??= monitorEventLoopDelay({ resolution: 10 });
        loopDelay.enable();
      },
      stop(): void {
        loopDelay?.disable();
        loopDelay = undefined;
      },
    },
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
