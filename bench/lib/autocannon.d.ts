/** The part of autocannon's programmatic API the benchmarks use (the package ships no types). */
declare module 'autocannon' {
  namespace autocannon {
    interface Request {
      method?: string
      path?: string
      headers?: Record<string, string>
      body?: string
    }
    interface Options {
      url: string
      connections?: number
      duration?: number
      amount?: number
      workers?: number
      pipelining?: number
      timeout?: number
      method?: string
      headers?: Record<string, string>
      body?: string
      requests?: Request[]
    }
    interface Histogram {
      average: number
      mean: number
      stddev: number
      min: number
      max: number
      total: number
      p50: number
      p90: number
      p97_5: number
      p99: number
      [k: string]: number
    }
    interface Result {
      requests: Histogram
      latency: Histogram
      throughput: Histogram
      errors: number
      timeouts: number
      non2xx: number
      duration: number
      [k: string]: unknown
    }
  }
  function autocannon (opts: autocannon.Options): Promise<autocannon.Result>
  export default autocannon
}
