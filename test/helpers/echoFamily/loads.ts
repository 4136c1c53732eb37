// Which of the echo family's lazy modules have loaded: each records itself here when imported, so a
// test can tell that the kit imports a family's driver, probe and simulator only when they are used.
export const loadedModules = new Set<'driver' | 'probe' | 'simulator'>();
