// Waiting in tests without a timing threshold: poll a condition until it holds. The test's own
// timeout bounds the wait, or `timeoutMs` when given (a generous bound for "eventually", never a
// performance figure), after which the wait fails naming `what`.

/** Resolves once `check()` is true (checked every few milliseconds). */
export async function until(check: () => boolean, what?: string, timeoutMs?: number): Promise<void> {
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what ?? 'a condition'} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (process.env.ZK_TEST_DEBUG && what) console.log('waiting for', what);
  }
}
