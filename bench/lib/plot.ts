/**
 * The growth plot as a PNG, drawn without dependencies: an RGB raster, a 5×7 bitmap font (upper case,
 * digits, a few signs), log-log axes, and a minimal PNG encoder (zlib from node:zlib, CRC-32 here).
 */
import { deflateSync } from 'node:zlib'
import type { GrowthRow, Series } from './growth.ts'

type RGB = [number, number, number]

const GLYPHS: Record<string, string> = {
  A: '01110100011000111111100011000110001', B: '11110100011000111110100011000111110', C: '01110100011000010000100001000101110',
  D: '11110100011000110001100011000111110', E: '11111100001000011110100001000011111', F: '11111100001000011110100001000010000',
  G: '01110100011000010111100011000101111', H: '10001100011000111111100011000110001', I: '01110001000010000100001000010001110',
  J: '00111000100001000010000101001001100', K: '10001100101010011000101001001010001', L: '10000100001000010000100001000011111',
  M: '10001110111010110101100011000110001', N: '10001100011100110101100111000110001', O: '01110100011000110001100011000101110',
  P: '11110100011000111110100001000010000', Q: '01110100011000110001101011001001101', R: '11110100011000111110101001001010001',
  S: '01111100001000001110000010000111110', T: '11111001000010000100001000010000100', U: '10001100011000110001100011000101110',
  V: '10001100011000110001100010101000100', W: '10001100011000110101101011010101010', X: '10001100010101000100010101000110001',
  Y: '10001100010101000100001000010000100', Z: '11111000010001000100010001000011111',
  0: '01110100011001110101110011000101110', 1: '00100011000010000100001000010001110', 2: '01110100010000100010001000100011111',
  3: '11111000100010000010000011000101110', 4: '00010001100101010010111110001000010', 5: '11111100001111000001000011000101110',
  6: '00110010001000011110100011000101110', 7: '11111000010001000100010000100001000', 8: '01110100011000101110100011000101110',
  9: '01110100011000101111000010001001100',
  ' ': '00000000000000000000000000000000000', '.': '00000000000000000000000000110001100', ',': '00000000000000000000011000010001000',
  ':': '00000011000110000000011000110000000', '-': '00000000000000011111000000000000000', '+': '00000001000010011111001000010000000',
  '(': '00010001000100001000010000010000010', ')': '01000001000001000010000100010001000', '/': '00000000010001000100010001000000000',
  '×': '00000100010101000100010101000100000', 'µ': '00000000001000110001100111110110000', '^': '00100010101000100000000000000000000',
  '=': '00000000001111100000111110000000000', '%': '11000110010001000100010001001100011', '÷': '00000001000000011111000000010000000',
  "'": '00100001000100000000000000000000000'
}

class Raster {
  readonly px: Uint8Array
  constructor (readonly w: number, readonly h: number) {
    this.px = new Uint8Array(w * h * 3).fill(255)
  }

  set (x: number, y: number, c: RGB): void {
    x = Math.round(x); y = Math.round(y)
    if (x < 0 || y < 0 || x >= this.w || y >= this.h) return
    const i = (y * this.w + x) * 3
    this.px[i] = c[0]; this.px[i + 1] = c[1]; this.px[i + 2] = c[2]
  }

  rect (x: number, y: number, w: number, h: number, c: RGB): void {
    for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.set(x + i, y + j, c)
  }

  line (x0: number, y0: number, x1: number, y1: number, c: RGB, width = 1, dash = 0): void {
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1)
    for (let k = 0; k <= n; k++) {
      if (dash > 0 && Math.floor(k / dash) % 2 === 1) continue
      const x = x0 + (x1 - x0) * k / n
      const y = y0 + (y1 - y0) * k / n
      const r = Math.floor(width / 2)
      for (let a = -r; a < width - r; a++) for (let b = -r; b < width - r; b++) this.set(x + a, y + b, c)
    }
  }

  /** Text at (x, y) top-left, glyphs scaled by `s`; returns the width drawn. */
  text (x: number, y: number, s: string, c: RGB, scale = 2): number {
    let cx = x
    for (const c0 of s) {
      const ch = c0 === 'µ' ? c0 : c0.toUpperCase()
      const g = GLYPHS[ch] ?? GLYPHS[' ']
      for (let r = 0; r < 7; r++) for (let q = 0; q < 5; q++) if (g[r * 5 + q] === '1') this.rect(cx + q * scale, y + r * scale, scale, scale, c)
      cx += 6 * scale
    }
    return cx - x
  }
}

export function textWidth (s: string, scale = 2): number { return s.length * 6 * scale }

const CRC = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

function crc32 (buf: Buffer): number {
  let c = 0xffffffff
  for (const b of buf) c = CRC[(c ^ b) & 255] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk (type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(td))
  return Buffer.concat([len, td, crc])
}

/** 8-bit RGB PNG of a raster. */
export function encodePNG (r: Raster): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(r.w, 0)
  ihdr.writeUInt32BE(r.h, 4)
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0
  const raw = Buffer.alloc((r.w * 3 + 1) * r.h)
  for (let y = 0; y < r.h; y++) {
    raw[y * (r.w * 3 + 1)] = 0
    Buffer.from(r.px.buffer, r.px.byteOffset + y * r.w * 3, r.w * 3).copy(raw, y * (r.w * 3 + 1) + 1)
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

function fmtMs (ms: number): string {
  if (ms >= 1000) return `${ms / 1000} S`
  if (ms >= 1) return `${ms} MS`
  return `${Math.round(ms * 1000)} µS`
}

/** Log-log plot of every time series of the growth rows; returns PNG bytes. */
export function plotGrowth (rows: GrowthRow[], series: Series[]): Buffer {
  const W = 1200
  const H = 640
  const L = 110
  const R = 380
  const T = 60
  const B = 70
  const r = new Raster(W, H)
  const grey: RGB = [225, 225, 225]
  const ink: RGB = [40, 40, 40]
  /** CPU time where measured (the steadier figure on a shared machine), else the wall figure */
  const val = (row: GrowthRow, s: Series): number | undefined => row.cpu.get(s.prefix) ?? (row.values.has(s.prefix) ? row.values.get(s.prefix)! * s.toMs! : undefined)
  const plotted = series.filter(s => s.toMs != null && rows.some(row => row.values.has(s.prefix)))
  const xs = rows.map(row => row.services)
  const ys: number[] = []
  for (const s of plotted) for (const row of rows) { const v = val(row, s); if (v != null && v > 0) ys.push(v) }
  const x0 = Math.log10(Math.min(...xs)) - 0.1
  const x1 = Math.log10(Math.max(...xs)) + 0.1
  const y0 = Math.floor(Math.log10(Math.min(...ys)))
  const y1 = Math.ceil(Math.log10(Math.max(...ys)))
  const px = (n: number): number => L + (Math.log10(n) - x0) / (x1 - x0) * (W - L - R)
  const py = (ms: number): number => H - B - (Math.log10(ms) - y0) / (y1 - y0) * (H - T - B)
  r.text(L, 18, 'GROWTH: ONE NODE, SERVICES × 10 ENDPOINTS. CPU TIME, LOG-LOG', ink, 2)
  for (let d = y0; d <= y1; d++) {
    const y = py(10 ** d)
    r.line(L, y, W - R, y, grey)
    const label = fmtMs(10 ** d)
    r.text(L - 10 - textWidth(label), y - 7, label, ink)
  }
  for (const n of xs) {
    const x = px(n)
    r.line(x, T, x, H - B, grey)
    const label = n >= 1000 ? `${n / 1000}K` : String(n)
    r.text(x - textWidth(label) / 2, H - B + 12, label, ink)
  }
  r.text(L + (W - L - R) / 2 - textWidth('SERVICES') / 2, H - B + 40, 'SERVICES', ink)
  r.line(L, T, L, H - B, ink, 2)
  r.line(L, H - B, W - R, H - B, ink, 2)
  let ly = T
  for (const s of plotted) {
    const pts = rows.filter(row => (val(row, s) ?? 0) > 0).map(row => [px(row.services), py(val(row, s)!)] as const)
    const dashed = s.prefix.startsWith('kernel.')
    for (let i = 1; i < pts.length; i++) r.line(pts[i - 1][0], pts[i - 1][1], pts[i][0], pts[i][1], s.color, 3, dashed ? 8 : 0)
    for (const [x, y] of pts) r.rect(x - 4, y - 4, 9, 9, s.color)
    r.rect(W - R + 20, ly + 2, 28, 10, s.color)
    r.text(W - R + 56, ly, s.title, ink)
    ly += 28
  }
  r.text(W - R + 20, ly + 10, 'DASHED: REAL KERNEL TOOLS', ink)
  return encodePNG(r)
}
