// serial-line: readers and time clocks that send one text line per punch over a serial port, and
// import-only terminals whose USB-flashdisk exports are imported (importFiles.ts, run by
// `absensi-gateway import` and by a device's dropFolder). See README.md.

export { serialLineConfigSchema, type SerialLineConfig } from './config.js';
export { SerialLineDriver, DEFAULT_SERIAL_TUNING, type SerialLineTuning, type PortOptions } from './driver.js';
export { compileFormat, decodeLine, formatOf, splitLines, type LineFormat } from './codec.js';
export { SERIAL_FORMATS, shippedFormat } from './tables.js';
export { importFiles, importFormatOf, type ImportDevice, type ImportFilesOptions } from './importFiles.js';
export { importFilesOf, importLines, type ImportOptions, type ImportRejection, type ImportSummary } from './importLines.js';
export { serialLineDriver } from './factory.js';
