// The Debian chromium the browser tests drive through playwright-core, and the flags every one of
// them starts it with (headless, no sandbox as root, nothing that phones home).
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS: string[] = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
