// Deno's streaming TextDecoder drops a U+FEFF that starts any decode() call, not only the stream's first one, so
// a BOM that opens a later network chunk vanishes. Through the library: a line "\uFEFFdata: b" (whose field name
// is "\uFEFFdata", so it must be ignored, WHATWG) dispatches "b" on Deno.
//   node scripts/repro/deno-bom-mid-stream.mjs   -> ["a"]
//   deno run -A scripts/repro/deno-bom-mid-stream.mjs   -> ["a","b"] (Deno 2.9.6)
// Fix in the library: new TextDecoder('utf-8', { ignoreBOM: true }) and remove the one leading BOM by hand.
import { FetchEventSource } from '../../dist/index.js'

const chunks = ['data: a\n\n', '\uFEFFdata: b\n\n'].map((s) => new TextEncoder().encode(s))
const fetch = async () =>
  new Response(new ReadableStream({ start(c) { for (const chunk of chunks) c.enqueue(chunk); c.close() } }), {
    headers: { 'content-type': 'text/event-stream' },
  })
const source = new FetchEventSource('http://stream.test/', { fetch })
const seen = []
source.onmessage = (e) => seen.push(e.data)
source.onerror = () => {
  source.close()
  console.log(JSON.stringify(seen))
}
