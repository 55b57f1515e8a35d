// The web-standard half of fetch-eventsource/server in a project without @types/node (Hono, Deno.serve, a worker):
// compiled by test/package.test.js in the configurations without it, so its declarations must name no Node type.
import { type SSEEvent, formatEvent, lastEventId, newWebStream } from 'fetch-eventsource/server'

declare const config: { keepAlive?: number; id?: string }

export function handler(request: Request): Response {
  // exactOptionalPropertyTypes: an option read from somewhere optional may be undefined.
  const stream = newWebStream({ signal: request.signal, keepAlive: config.keepAlive, highWaterMark: undefined })
  const event: SSEEvent = { id: config.id, event: undefined, data: lastEventId(request) }
  void stream.publish(event)
  void formatEvent(event)
  return stream.response
}
