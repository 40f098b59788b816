import { createHash } from 'node:crypto'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** RFC 4648 base32 (standard alphabet) of the first bytes of `buf`, enough for `chars` characters. */
function base32Prefix (buf: Uint8Array, chars: number): string {
  let out = ''
  let acc = 0
  let bits = 0
  for (let i = 0; i < buf.length && out.length < chars; i++) {
    acc = ((acc << 8) | buf[i]) & 0xffff
    bits += 8
    while (bits >= 5 && out.length < chars) {
      out += BASE32[(acc >> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return out
}

/** kube-proxy's chain-name hash: base32(sha256(s))[0:16]. */
export function hash16 (s: string): string {
  return base32Prefix(createHash('sha256').update(s, 'utf8').digest(), 16)
}

export type ChainKind = 'SVC' | 'SVL' | 'EXT' | 'FW' | 'XLB'

/** `KUBE-SVC-…`, `KUBE-SVL-…`, `KUBE-EXT-…`, `KUBE-FW-…`, `KUBE-XLB-…` for one service port. */
export function servicePortChain (kind: ChainKind, servicePortName: string, protocol: string): string {
  return `KUBE-${kind}-${hash16(servicePortName + protocol.toLowerCase())}`
}

/** `KUBE-SEP-…` for one endpoint (`ip:port`, IPv6 in brackets) of one service port. */
export function endpointChain (servicePortName: string, protocol: string, endpoint: string): string {
  return `KUBE-SEP-${hash16(servicePortName + protocol.toLowerCase() + endpoint)}`
}
