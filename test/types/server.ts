// Typical and wrong code against fetch-eventsource/server and fetch-eventsource/testing, compiled by
// test/package.test.js against the packed tarball in the configurations that have @types/node.
import http from 'node:http'
import { type EventStream, type SSEEvent, SSE_HEADERS, formatEvent, lastEventId, newStream, newWebStream } from 'fetch-eventsource/server'
import { type RequestRecord, type ScriptedResponse, type TestServer, startTestServer } from 'fetch-eventsource/testing'

http.createServer(async (req, res) => {
  const from = Number(lastEventId(req) || 0)
  const stream: EventStream = newStream(res, { headers: { 'x-extra': '1' }, keepAlive: 15_000, maxBuffered: 1 << 20 })
  const ok: boolean = await stream.publish({ id: from + 1, event: 'tick', data: 'a', retry: 1000 })
  const sent: boolean = stream.send({ data: new Uint8Array([0x61]) })
  stream.comment('note')
  stream.signal.addEventListener('abort', () => {})
  if (ok && sent && !stream.closed) stream.close()
})

export function handler(request: Request): Response {
  const stream = newWebStream({ signal: request.signal, keepAlive: 15_000 })
  void stream.publish({ data: lastEventId(request) })
  return stream.response
}

const event: SSEEvent = { id: '1', data: 'x' }
// exactOptionalPropertyTypes: every optional field and option also takes undefined, as the runtime does.
declare const maybe: { id?: string; ms?: number; roots?: Record<string, string> }
void formatEvent({ id: maybe.id, event: undefined, retry: maybe.ms, data: undefined })
export async function optionalOptions(res: http.ServerResponse): Promise<void> {
  newStream(res, { status: undefined, headers: undefined, maxBuffered: maybe.ms, keepAlive: maybe.ms }).close()
  const server = await startTestServer({ port: undefined, host: undefined, staticRoots: maybe.roots, limits: { ttlMs: maybe.ms } })
  void server.requests(server.url, { preflight: undefined })
  void server.script([{ status: undefined, body: [{ repeat: 'x', times: undefined }], end: undefined, redirect: undefined }])
  await server.close()
}
const text: string = formatEvent(event)
const type: string | undefined = SSE_HEADERS['content-type']

export async function testing(): Promise<void> {
  const server: TestServer = await startTestServer({ staticRoots: { '/dist/': 'dist' }, limits: { scriptBytes: 1 << 20 } })
  const responses: ScriptedResponse[] = [{ body: ['data: a\n\n', { delay: 10 }, { repeat: 'x', times: 3 }], end: 'hang', cors: true }]
  const url: string = server.script(responses)
  const seen: RequestRecord[] = server.requests(url, { preflight: false })
  const headers: Record<string, string> | undefined = seen[0]?.headers
  await server.close()
  void [text, type, headers]

  // @ts-expect-error publish takes an event object
  void newStream(new http.ServerResponse(new http.IncomingMessage(null as never))).publish('data')
  // @ts-expect-error retry is a number of ms
  void formatEvent({ retry: '1000' })
  // @ts-expect-error an unknown ending
  server.script([{ end: 'later' }])
  // @ts-expect-error script returns the URL synchronously, not a promise
  await server.script([]).then(() => {})
}
