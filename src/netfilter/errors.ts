/**
 * The one error type the netfilter parser throws. Messages follow iptables-restore's wording
 * (`line 7: Bad argument \`foo'`, `COMMIT expected at line 12`).
 */

export type NetfilterErrorCode =
  | 'E_PARSE'
  | 'E_UNKNOWN_CHAIN'
  | 'E_UNKNOWN_TARGET'
  | 'E_UNKNOWN_MATCH'
  | 'E_UNKNOWN_TABLE'
  | 'E_COMMIT_EXPECTED'
  | 'E_CHAIN'
  | 'E_RULE'
  | 'E_LIMIT'

export interface NetfilterErrorInit {
  code: NetfilterErrorCode
  reason: string
  line: number
  column?: number
  token?: string
}

export class NetfilterError extends Error {
  readonly code: NetfilterErrorCode
  /** 1-based line of the restore text */
  readonly line: number
  /** 1-based column of the offending token, when known */
  readonly column?: number
  /** the offending token, when known */
  readonly token?: string
  /** iptables' own reason text, without the line prefix */
  readonly reason: string

  constructor (init: NetfilterErrorInit) {
    super(init.code === 'E_COMMIT_EXPECTED' ? init.reason : `line ${init.line}: ${init.reason}`)
    this.name = 'NetfilterError'
    this.code = init.code
    this.line = init.line
    this.column = init.column
    this.token = init.token
    this.reason = init.reason
  }
}
