/**
 * String quoting used by iptables-save for free-text option values (`xtables_save_string`):
 * bare iff non-empty and only `[A-Za-z0-9_-]`, otherwise in double quotes with `"`, `\` and `'`
 * backslash-escaped.
 */
export function saveString (s: string): string {
  let plain = s.length > 0
  for (let i = 0; plain && i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45)) plain = false
  }
  if (plain) return s
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]
    if (ch === '"' || ch === '\\' || ch === '\'') out += '\\'
    out += ch
  }
  return out + '"'
}

/**
 * Quote a verbatim token of an unmodelled extension only when the tokenizer needs it to read the
 * token back unchanged (empty, whitespace, or a double quote).
 */
export function tokenString (s: string): string {
  if (s.length === 0) return '""'
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 34) return saveString(s)
  }
  return s
}
