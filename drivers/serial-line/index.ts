// serial-line: readers and time clocks that send one text line per punch over a serial port, and
// import-only terminals whose USB-flashdisk exports are imported (logImport.ts and importLines.ts, run by
// `absensi-gateway import` and by a device's dropFolder). See README.md.

export { serialLineConfigSchema, type SerialLineConfig } from './config.js';
export { SerialLineDriver, DEFAULT_SERIAL_TUNING, type SerialLineTuning, type PortOptions } from './driver.js';
export { compileFormat, decodeLine, formatOf, splitLines, type LineFormat } from './codec.js';
export { SERIAL_FORMATS, shippedFormat } from './tables.js';
export { importFormatOf, serialLineLogImport } from './logImport.js';
export { importFilesOf, importLines, type ImportOptions } from './importLines.js';
export { serialLineDriver } from './definition.js';
