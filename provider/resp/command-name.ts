// Matching a command or option name in the stream: every command passes such checks, so no string is made.

/** Case-insensitive match of arg against a lowercase ASCII name (letters, digits and '-': `| 0x20` keeps those). */
export function isName(arg: Buffer, lower: Buffer): boolean {
  if (arg.length !== lower.length) return false;
  for (let i = 0; i < arg.length; i++) if ((arg[i] | 0x20) !== lower[i]) return false;
  return true;
}

/**
 * Whether arg starts with prefix (exact bytes). Every key of the stream is checked against the task's own prefixes,
 * so no view is made and the usual miss is decided at the first byte.
 */
export function hasPrefix(arg: Buffer, prefix: Buffer): boolean {
  if (arg.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (arg[i] !== prefix[i]) return false;
  return true;
}
