// What every route module is registered with: the gateway's view and the app's own state.
import type { BacklogSampler } from './backlogSampler.js';
import type { CommitHealth } from './readiness.js';
import type { GatewayView } from './view.js';

export interface ApiContext {
  view: GatewayView;
  commits: CommitHealth;
  /** when this gateway started (the status page shows the uptime) */
  startedAt: Date;
  authRequired: boolean;
  /** the backlog of the last 24 h, sampled while the app runs */
  backlog: BacklogSampler;
}
