// fetch-eventsource/server: the server half of Hertz's SSE support for Node and fetch-style servers.
export { type SSEEvent, type StreamOptions, type RequestLike, SSE_HEADERS, formatEvent, formatComment, lastEventId } from './format.js'
export { type EventStream, type NodeResponse, newStream } from './node-stream.js'
export { type WebEventStream, type WebStreamOptions, newWebStream } from './web-stream.js'
