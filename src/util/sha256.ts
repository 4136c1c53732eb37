const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A SHA-256 digest in lowercase hex, as photo files are named and punches point at them. */
export function isSha256Hex(text: string): boolean {
  return SHA256_HEX.test(text);
}
