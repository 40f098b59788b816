/**
 * Name and label syntax checks returning apimachinery's message texts (util/validation).
 * Each function returns the list of problems (empty = valid).
 */

export function maxLenError (n: number): string { return `must be no more than ${n} characters` }
export const EMPTY_ERROR = 'must be non-empty'

/** validation.RegexError: `msg (e.g. 'a',  or 'b', regex used for validation is 're')` */
export function regexError (msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`
  let s = msg + ' (e.g. '
  examples.forEach((ex, i) => {
    if (i > 0) s += ' or '
    s += `'${ex}', `
  })
  return s + `regex used for validation is '${fmt}')`
}

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL_FMT}$`)
const DNS1123_LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"

export function isDNS1123Label (v: string): string[] {
  const errs: string[] = []
  if (v.length > 63) errs.push(maxLenError(63))
  if (!DNS1123_LABEL_RE.test(v)) errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'))
  return errs
}

const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`)
const DNS1123_SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"

export function isDNS1123Subdomain (v: string): string[] {
  const errs: string[] = []
  if (v.length > 253) errs.push(maxLenError(253))
  if (!DNS1123_SUBDOMAIN_RE.test(v)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'))
  return errs
}

const DNS1035_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?'
const DNS1035_RE = new RegExp(`^${DNS1035_FMT}$`)
const DNS1035_MSG = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"

export function isDNS1035Label (v: string): string[] {
  const errs: string[] = []
  if (v.length > 63) errs.push(maxLenError(63))
  if (!DNS1035_RE.test(v)) errs.push(regexError(DNS1035_MSG, DNS1035_FMT, 'my-name', 'abc-123'))
  return errs
}

/** IANA_SVC_NAME (container port names, named targetPorts). */
export function isValidPortName (v: string): string[] {
  const errs: string[] = []
  if (v.length > 15) errs.push(maxLenError(15))
  if (!/^[-a-z0-9]+$/.test(v)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)')
  if (!/[a-z]/.test(v)) errs.push('must contain at least one letter (a-z)')
  if (v.includes('--')) errs.push('must not contain consecutive hyphens')
  if (v.length > 0 && (v.startsWith('-') || v.endsWith('-'))) errs.push('must not begin or end with a hyphen')
  return errs
}

export const PORT_NUM_ERROR = 'must be between 1 and 65535, inclusive'

export function isValidPortNum (n: number): string[] {
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? [] : [PORT_NUM_ERROR]
}

const QNAME_CHAR_FMT = '[A-Za-z0-9]'
const QNAME_EXT_CHAR_FMT = '[-A-Za-z0-9_.]'
const QNAME_FMT = `(${QNAME_CHAR_FMT}${QNAME_EXT_CHAR_FMT}*)?${QNAME_CHAR_FMT}`
const QNAME_RE = new RegExp(`^${QNAME_FMT}$`)
const QNAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"

/** Label keys, annotation keys, appProtocol, loadBalancerClass. */
export function isQualifiedName (v: string): string[] {
  const errs: string[] = []
  const parts = v.split('/')
  let name: string
  if (parts.length === 1) {
    name = parts[0]
  } else if (parts.length === 2) {
    const prefix = parts[0]
    name = parts[1]
    if (prefix.length === 0) errs.push('prefix part ' + EMPTY_ERROR)
    else for (const m of isDNS1123Subdomain(prefix)) errs.push('prefix part ' + m)
  } else {
    return ['a qualified name ' + regexError(QNAME_MSG, QNAME_FMT, 'MyName', 'my.name', '123-abc') +
      " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
  }
  if (name.length === 0) errs.push('name part ' + EMPTY_ERROR)
  else if (name.length > 63) errs.push('name part ' + maxLenError(63))
  if (!QNAME_RE.test(name)) errs.push('name part ' + regexError(QNAME_MSG, QNAME_FMT, 'MyName', 'my.name', '123-abc'))
  return errs
}

const LABEL_VALUE_FMT = `(${QNAME_FMT})?`
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`)
const LABEL_VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"

export function isValidLabelValue (v: string): string[] {
  const errs: string[] = []
  if (v.length > 63) errs.push(maxLenError(63))
  if (!LABEL_VALUE_RE.test(v)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'))
  return errs
}

/** Characters of generated name suffixes (apimachinery util/rand). */
export const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/**
 * `generateName` expansion: prefix truncated to 58 chars + 5 chars from the alphabet, picked
 * with the injected random in [0,1).
 */
export function generateName (prefix: string, random: () => number): string {
  const base = prefix.length > 58 ? prefix.slice(0, 58) : prefix
  let s = ''
  for (let i = 0; i < 5; i++) s += NAME_SUFFIX_ALPHABET[Math.floor(random() * NAME_SUFFIX_ALPHABET.length) % NAME_SUFFIX_ALPHABET.length]
  return base + s
}
