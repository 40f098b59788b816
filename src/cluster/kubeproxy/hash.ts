/**
 * kube-proxy's chain-name hash, base32(sha256(s))[0:16]. SHA-256 (FIPS 180-4) is computed here in
 * plain JS: the inputs are short strings and a render hashes one per endpoint (100k at 10k Services),
 * where the per-call cost of node:crypto dominates. A unit test checks it against node:crypto.
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
])
const W = new Int32Array(64)
const OUT = new Int32Array(8)
const utf8 = new TextEncoder()
let block = new Uint8Array(256)

/**
 * SHA-256 of the UTF-8 bytes of `s` + `tail` as 8 big-endian words (a shared buffer: copy what you
 * keep). Taking two parts saves building the joined string for each endpoint.
 */
export function sha256Words (s: string, tail = ''): Int32Array {
  // UTF-8 bytes into the block buffer (room for the worst case: 3 bytes per UTF-16 unit, plus padding)
  const max = (s.length + tail.length) * 3 + 72
  if (block.length < max) block = new Uint8Array(max * 2)
  const b = block
  let len = utf8.encodeInto(s, b).written
  const t = tail.length
  let ascii = true
  for (let i = 0; i < t; i++) {
    const c = tail.charCodeAt(i)
    if (c > 127) { ascii = false; break }
    b[len + i] = c
  }
  len += ascii ? t : utf8.encodeInto(tail, b.subarray(len)).written
  // message + 0x80 + zero padding + 64-bit length, in whole 64-byte blocks
  const total = ((len + 9 + 63) >> 6) << 6
  b[len] = 0x80
  for (let i = len + 1; i < total - 8; i++) b[i] = 0
  const bits = len * 8
  b[total - 8] = 0
  b[total - 7] = 0
  b[total - 6] = 0
  b[total - 5] = Math.floor(bits / 0x100000000) & 255
  b[total - 4] = (bits >>> 24) & 255
  b[total - 3] = (bits >>> 16) & 255
  b[total - 2] = (bits >>> 8) & 255
  b[total - 1] = bits & 255
  let h0 = 0x6a09e667 | 0
  let h1 = 0xbb67ae85 | 0
  let h2 = 0x3c6ef372 | 0
  let h3 = 0xa54ff53a | 0
  let h4 = 0x510e527f | 0
  let h5 = 0x9b05688c | 0
  let h6 = 0x1f83d9ab | 0
  let h7 = 0x5be0cd19 | 0
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4
      W[i] = (b[j] << 24) | (b[j + 1] << 16) | (b[j + 2] << 8) | b[j + 3]
    }
    for (let i = 16; i < 64; i++) {
      const x = W[i - 15]
      const y = W[i - 2]
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0
    }
    let a = h0
    let bb = h1
    let c = h2
    let d = h3
    let e = h4
    let f = h5
    let g = h6
    let h = h7
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const ch = (e & f) ^ (~e & g)
      const t1 = (h + S1 + ch + K[i] + W[i]) | 0
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      const maj = (a & bb) ^ (a & c) ^ (bb & c)
      h = g
      g = f
      f = e
      e = (d + t1) | 0
      d = c
      c = bb
      bb = a
      a = (t1 + S0 + maj) | 0
    }
    h0 = (h0 + a) | 0
    h1 = (h1 + bb) | 0
    h2 = (h2 + c) | 0
    h3 = (h3 + d) | 0
    h4 = (h4 + e) | 0
    h5 = (h5 + f) | 0
    h6 = (h6 + g) | 0
    h7 = (h7 + h) | 0
  }
  OUT[0] = h0
  OUT[1] = h1
  OUT[2] = h2
  OUT[3] = h3
  OUT[4] = h4
  OUT[5] = h5
  OUT[6] = h6
  OUT[7] = h7
  return OUT
}

/** RFC 4648 base32 alphabet (standard), as character codes */
const B32 = Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', ch => ch.charCodeAt(0))

/** kube-proxy's chain-name hash: base32(sha256(s + tail))[0:16], i.e. the first 80 bits of the digest. */
export function hash16 (s: string, tail = ''): string {
  return named(NO_PREFIX, s, tail)
}

const NO_PREFIX: number[] = []
const codes = (s: string): number[] => Array.from(s, ch => ch.charCodeAt(0))
const PREFIX = { SVC: codes('KUBE-SVC-'), SVL: codes('KUBE-SVL-'), EXT: codes('KUBE-EXT-'), FW: codes('KUBE-FW-'), XLB: codes('KUBE-XLB-'), SEP: codes('KUBE-SEP-') }
const nameCodes: number[] = []

/**
 * `prefix` + base32 hash as one flat string: chain names are Map keys and are compared often (save
 * view composition), and a name built by concatenation would be a rope V8 compares the slow way.
 */
function named (prefix: number[], s: string, tail: string): string {
  const w = sha256Words(s, tail)
  const a = w[0] >>> 0
  const b = w[1] >>> 0
  const c = w[2] >>> 16
  const out = nameCodes
  out.length = 0
  for (const x of prefix) out.push(x)
  // 80 bits = a (32) · b (32) · c (16), taken 5 bits at a time
  out.push(B32[a >>> 27], B32[(a >>> 22) & 31], B32[(a >>> 17) & 31], B32[(a >>> 12) & 31],
    B32[(a >>> 7) & 31], B32[(a >>> 2) & 31], B32[((a & 3) << 3) | (b >>> 29)], B32[(b >>> 24) & 31],
    B32[(b >>> 19) & 31], B32[(b >>> 14) & 31], B32[(b >>> 9) & 31], B32[(b >>> 4) & 31],
    B32[((b & 15) << 1) | (c >>> 15)], B32[(c >>> 10) & 31], B32[(c >>> 5) & 31], B32[c & 31])
  return String.fromCharCode.apply(null, out)
}

export type ChainKind = 'SVC' | 'SVL' | 'EXT' | 'FW' | 'XLB'

/** `KUBE-SVC-…`, `KUBE-SVL-…`, `KUBE-EXT-…`, `KUBE-FW-…`, `KUBE-XLB-…` for one service port. */
export function servicePortChain (kind: ChainKind, servicePortName: string, protocol: string): string {
  return named(PREFIX[kind], servicePortName, protocol.toLowerCase())
}

/** `KUBE-SEP-…` for one endpoint (`ip:port`, IPv6 in brackets) of one service port. */
export function endpointChain (servicePortName: string, protocol: string, endpoint: string): string {
  return named(PREFIX.SEP, servicePortName + protocol.toLowerCase(), endpoint)
}

/** `endpointChain` with `servicePortName + lowercase protocol` already joined (one per port, not per endpoint). */
export function endpointChainOf (portPrefix: string, endpoint: string): string {
  return named(PREFIX.SEP, portPrefix, endpoint)
}
