// Traffic agent run inside a test namespace with `ip netns exec NS node agent.mjs ...` (plain ESM so
// it starts fast; no TypeScript loader needed).
//
//   node agent.mjs serve NAME TCPPORTS UDPPORTS
//     Listens on 0.0.0.0 for each comma-separated port (either list may be '-'). Every TCP connection
//     or UDP datagram is answered with one JSON line {name, token, from, fromPort, local, localPort,
//     proto}: `from` is the source address the server saw. Prints "READY" once all sockets listen.
//
//   node agent.mjs repl
//     Reads one JSON request array per line on stdin and answers each with one result line (a
//     long-lived client: saves a Node start per request).
//
//   node agent.mjs client JSON
//     JSON = [{proto:'tcp'|'udp', host, port, timeoutMs?, token?}, ...] run one after another (each a
//     new socket, so a new conntrack entry). Prints one JSON array of results:
//     {outcome:'ok'|'refused'|'timeout'|'unreachable'|'error', reply?, peer?, local?, code?}.
//     `peer` is the address:port the reply came from (connected sockets only accept the peer they
//     sent to, so a reply from any other address shows up as a timeout).
import net from 'node:net'
import dgram from 'node:dgram'

const [mode, ...args] = process.argv.slice(2)

function ports (s) {
  return s === undefined || s === '-' || s === '' ? [] : s.split(',').map(Number)
}

function serve (name, tcpPorts, udpPorts) {
  let pending = tcpPorts.length + udpPorts.length
  const ready = () => { if (--pending === 0) process.stdout.write('READY\n') }
  if (pending === 0) process.stdout.write('READY\n')
  for (const port of tcpPorts) {
    const srv = net.createServer(sock => {
      let buf = ''
      sock.setEncoding('utf8')
      sock.on('error', () => {})
      sock.on('data', d => {
        buf += d
        const nl = buf.indexOf('\n')
        if (nl < 0) return
        const info = { name, proto: 'tcp', token: buf.slice(0, nl), from: sock.remoteAddress, fromPort: sock.remotePort, local: sock.localAddress, localPort: sock.localPort }
        process.stdout.write(JSON.stringify(info) + '\n')
        sock.end(JSON.stringify(info) + '\n')
      })
    })
    srv.listen(port, '0.0.0.0', ready)
  }
  for (const port of udpPorts) {
    const s = dgram.createSocket('udp4')
    s.on('message', (m, r) => {
      const info = { name, proto: 'udp', token: m.toString('utf8').trim(), from: r.address, fromPort: r.port, local: '0.0.0.0', localPort: port }
      process.stdout.write(JSON.stringify(info) + '\n')
      s.send(JSON.stringify(info) + '\n', r.port, r.address)
    })
    s.bind(port, '0.0.0.0', ready)
  }
}

function errOutcome (code) {
  if (code === 'ECONNREFUSED') return 'refused'
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'unreachable'
  if (code === 'ETIMEDOUT') return 'timeout'
  return 'error'
}

function tcpOnce (req) {
  return new Promise(resolve => {
    const sock = net.connect({ host: req.host, port: req.port })
    let done = false
    let buf = ''
    const finish = r => { if (done) return; done = true; clearTimeout(timer); sock.destroy(); resolve(r) }
    // when the timer fires, let already-queued socket events (an RST, an ICMP error) run first: under
    // load the process may wake up late with both ready
    const timer = setTimeout(() => setImmediate(() => finish({ outcome: 'timeout' })), req.timeoutMs ?? 1000)
    sock.setEncoding('utf8')
    sock.on('connect', () => sock.write((req.token ?? 'x') + '\n'))
    sock.on('data', d => {
      buf += d
      const nl = buf.indexOf('\n')
      if (nl >= 0) finish({ outcome: 'ok', reply: JSON.parse(buf.slice(0, nl)), peer: `${sock.remoteAddress}:${sock.remotePort}`, local: `${sock.localAddress}:${sock.localPort}` })
    })
    sock.on('error', e => finish({ outcome: errOutcome(e.code), code: e.code }))
    sock.on('close', () => finish({ outcome: 'error', code: 'closed without reply' }))
  })
}

function udpOnce (req) {
  return new Promise(resolve => {
    const s = dgram.createSocket('udp4')
    let done = false
    const finish = r => { if (done) return; done = true; clearTimeout(timer); try { s.close() } catch {} resolve(r) }
    const timer = setTimeout(() => setImmediate(() => finish({ outcome: 'timeout' })), req.timeoutMs ?? 1000)
    s.on('error', e => finish({ outcome: errOutcome(e.code), code: e.code }))
    s.on('message', (m, r) => {
      const a = s.address()
      finish({ outcome: 'ok', reply: JSON.parse(m.toString('utf8')), peer: `${r.address}:${r.port}`, local: `${a.address}:${a.port}` })
    })
    s.connect(req.port, req.host, err => {
      if (err) return finish({ outcome: errOutcome(err.code), code: err.code })
      s.send((req.token ?? 'x') + '\n')
    })
  })
}

async function client (reqs) {
  // {parallel: true, reqs: [...]} runs the requests concurrently (each still its own socket)
  if (!Array.isArray(reqs)) {
    const out = await Promise.all(reqs.reqs.map(req => req.proto === 'udp' ? udpOnce(req) : tcpOnce(req)))
    process.stdout.write(JSON.stringify(out) + '\n')
    return
  }
  const out = []
  for (const req of reqs) out.push(req.proto === 'udp' ? await udpOnce(req) : await tcpOnce(req))
  process.stdout.write(JSON.stringify(out) + '\n')
}

async function repl () {
  // one JSON array of requests per stdin line → one JSON array of results per stdout line
  process.stdin.setEncoding('utf8')
  let buf = ''
  let chain = Promise.resolve()
  process.stdin.on('data', d => {
    buf += d
    let nl
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      chain = chain.then(() => client(JSON.parse(line)))
    }
  })
  process.stdin.on('end', () => { chain.then(() => process.exit(0)) })
  process.stdout.write('READY\n')
}

if (mode === 'serve') serve(args[0], ports(args[1]), ports(args[2]))
else if (mode === 'client') await client(JSON.parse(args[0]))
else if (mode === 'repl') await repl()
else {
  process.stderr.write('usage: agent.mjs serve NAME TCPPORTS UDPPORTS | client JSON\n')
  process.exit(2)
}
