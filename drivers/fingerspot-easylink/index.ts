// fingerspot-easylink: Fingerspot terminals behind the EasyLink SDK bridge (FService.exe). See README.md.

export { fingerspotConfigSchema, type FingerspotConfig } from './config.js';
export { FingerspotEasyLinkDriver, DEFAULT_TUNING, type EasyLinkTuning } from './driver.js';
export { EasyLinkClient, BadReplyError, type EasyLinkClientOptions } from './client.js';
export { CHECKPOINT_KEY, type EasyLinkCheckpoint } from './reads.js';
export { fingerspotEasyLinkDriver } from './definition.js';
export { easyLinkUsersAccess, EasyLinkUsersSession } from './users.js';
