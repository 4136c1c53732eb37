// serial-line: readers and time clocks that send one text line per punch over a serial port, and
// import-only terminals whose USB-flashdisk exports are imported (src/cli/import.ts). See README.md.

export { serialLineConfigSchema, type SerialLineConfig } from './config.js';
export { SerialLineDriver, DEFAULT_SERIAL_TUNING, formatOf, type SerialLineTuning, type PortOptions } from './driver.js';
export { compileFormat, decodeLine, splitLines, type LineFormat } from './codec.js';
export { SERIAL_FORMATS, shippedFormat } from './tables.js';
export { serialLineDriver } from './definition.js';
