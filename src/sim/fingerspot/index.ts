export { FingerspotSimulator, type FingerspotSimOptions, type FingerspotFaults, type SimScan } from './simulator.js';
export { EasyLinkUserTable, type SimEasyLinkUser, type SimEasyLinkTemplate, type EasyLinkUserTableOptions } from './userTable.js';
