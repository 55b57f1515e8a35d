// Bun fetch drops the last body bytes when they arrive together with the end of the connection (a chunked
// response cut without its terminator). Run: bun scripts/repro/bun-fetch-cut.mjs (node and deno lose nothing).
import net from 'node:net'
const server = net.createServer((socket) => {
  socket.once('data', () => {
    socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n')
    setTimeout(() => socket.end('9\r\ndata: a\n\n\r\n'), 20) // a chunk, then FIN without the 0-length terminator
  })
})
await new Promise((r) => server.listen(0, '127.0.0.1', r))
let lost = 0
for (let i = 0; i < 50; i++) {
  const res = await fetch(`http://127.0.0.1:${server.address().port}/`)
  let got = ''
  try { for await (const c of res.body) got += new TextDecoder().decode(c) } catch {}
  if (got !== 'data: a\n\n') lost++
}
console.log(`${typeof Bun !== 'undefined' ? 'bun ' + Bun.version : typeof Deno !== 'undefined' ? 'deno' : 'node ' + process.version}: lost the last chunk in ${lost} of 50 cut responses`)
server.close()
