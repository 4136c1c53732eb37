// Waiting in tests without a timing threshold: poll a condition until it holds; the test's own
// timeout bounds the wait. `what` names the condition in ZK_TEST_DEBUG output.

/** Resolves once `check()` is true (checked every few milliseconds). */
export async function until(check: () => boolean, what?: string): Promise<void> {
  while (!check()) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (process.env.ZK_TEST_DEBUG && what) console.log('waiting for', what);
  }
}
