/**
 * A word as a POSIX shell reads it back unchanged: as it is when it holds only
 * characters no shell treats specially (letters, digits, `_ . / @ % + = : , -`),
 * else single-quoted with each `'` written `'\''`.
 */
export function shellWord(value: string): string {
  return /^[\w./@%+=:,-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
