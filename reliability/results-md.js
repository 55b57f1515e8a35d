// Renders reliability/RESULTS.md from a stress report (reliability/stress.js), so the figures quoted in the README
// always come from one real run, with the machine it ran on.

const n = (x) => (typeof x === 'number' ? x.toLocaleString('en-US') : String(x ?? '–'))
const range = (s) => (s ? `${s.min} / ${s.median} / ${s.max}` : '–')
const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
const failed = (section) => section?.error !== undefined

/** One row per claim, for the README: the figure, and the bounded test that guards it in `npm test`. */
function summaryTable(r) {
  const rows = []
  const ok = (section) => section && !failed(section)
  if (ok(r.cuts)) {
    const runs = r.cuts.runs
    const exact = runs.every((x) => x.problem === null)
    rows.push([
      'Exactly once across connection cuts (Node)',
      `${runs.length} runs × ${n(r.cuts.events)} events, ${Math.min(...runs.map((x) => x.cuts))}–${Math.max(...runs.map((x) => x.cuts))} cuts each: ${exact ? 'every event once, in order' : 'FAILED'}`,
      'cuts.test.js (3,000 events, ≥ 100 cuts)',
    ])
  }
  if (ok(r.chromium)) rows.push(['Exactly once across connection cuts (Chromium)', `${n(r.chromium.total)} events, ${r.chromium.cuts} cuts: ${r.chromium.problem ?? 'every event once, in order'}`, 'cuts.test.js (1,000 events, ≥ 100 cuts)'])
  if (ok(r.restarts)) {
    const below = r.restarts.positions.reduce((a, p) => a + p.belowPolicy, 0)
    rows.push(['Server killed and restarted', `${r.restarts.clients} clients, ${r.restarts.kills} kills: ${r.restarts.problems === 0 ? 'no loss, no duplicate' : 'FAILED'}; ${below} of ${n(r.restarts.positions.reduce((a, p) => a + p.samples, 0))} waits shorter than the policy`, 'restarts.test.js (20 clients, 2 kills)'])
  }
  if (ok(r.storms)) {
    const v = Object.values(r.storms)
    const w = r.storms
    rows.push([
      'Retry storms',
      `503 by default: ${w['503 Retry-After: 1, default policy'].requests} request; Retry-After 1 s honoured by default: ${w['503 Retry-After: 1, shouldRetry: () => true (Retry-After honoured by default)'].perMinute}/min; ` +
        `in 5 s, dead server with initialDelay 0: ${w['dead server (connection refused), initialDelay 0'].requests} attempts, server that accepts, sends \`retry: 0\` and ends: ` +
        `${w['200 then end at once, after the server sent retry: 0'].requests}, Retry-After: 0 in a loop: ${w['503 Retry-After: 0, shouldRetry: () => true, initialDelay 0'].requests}; ` +
        `one event per connection with \`retry: 50\`: ${w['one event per connection, then end, retry: 50'].requests} events in 3 s`,
      'retry-storms.test.js (≤ 12 attempts in 5 s; ≥ 20 events in 3 s)',
    ])
  }
  if (ok(r.stalls)) rows.push(['Stalls', `heartbeatTimeout 500 ms fires after ${r.stalls.heartbeat500.detectedAfterMs.max} ms at most; close() on ${r.stalls.closeWithoutHeartbeat.streams} stalled streams released in ${r.stalls.closeWithoutHeartbeat.serverSawAllClosedAfterMs} ms`, 'stalls.test.js (the same 50 and 200 streams: every detection within 800 ms, all released within 1 s)'])
  if (ok(r.hostile)) {
    const k = r.hostile.kinds
    const legal = ['comment-lines', 'field-lines', 'blank-lines'].filter((x) => k[x])
    const ending = ['line', 'event', 'comment'].filter((x) => k[x])
    rows.push(['Hostile streams, maxBufferSize 1 MiB', `200 MiB of legal keep-alive lines: open throughout, heap ≤ ${Math.max(...legal.map((x) => k[x].peakMiB.heapAfterGc))} MiB; endless line/event/comment: max-buffer-size-exceeded after ≤ ${Math.max(...ending.map((x) => k[x].serverWroteMiB))} MiB sent, heap ≤ ${Math.max(...ending.map((x) => k[x].peakMiB.heapAfterGc))} MiB`, 'hostile.test.js (40 MiB)'])
  }
  if (ok(r.amplification)) {
    const worst = r.amplification.reduce((a, b) => (b.bytesPerChar > a.bytesPerChar ? b : a))
    rows.push(['Heap per pending character', `${Math.min(...r.amplification.map((a) => a.bytesPerChar))}–${worst.bytesPerChar} bytes (worst: ${worst.shape}${worst.bytesPerChar > 8 ? ' ⚠' : ''})`, 'hostile.test.js'])
  }
  if (ok(r.comments)) {
    const c = r.comments.clients
    const fig = (x) => `${x.rssMiB} MiB (${n(x.readMiB)} MiB read)`
    rows.push([
      'Comment flood, peak RSS growth',
      `${r.comments.rounds} × ${r.comments.secondsPerClient} s of keep-alive comments over loopback, median: ours ${fig(c.ours)}, eventsource 5 ${fig(c.eventsource)}, bare fetch loop ${fig(c['fetch-decode'])}${c.ours.rssMiB > c.eventsource.rssMiB * r.comments.rssMargin ? ' ⚠' : ''}`,
      `comment-flood.test.js (3 × 2 s, ≤ eventsource 5 × ${r.comments.rssMargin})`,
    ])
  }
  if (ok(r.load)) rows.push(['Concurrent sources', `${n(r.load.count)} × ${r.load.each} events in ${(r.load.deliveredMs / 1000).toFixed(1)} s; ${n(Math.round(r.load.perConnectionBytes.heap / 1024))} KiB heap, ${n(Math.round(r.load.perConnectionBytes.rss / 1024))} KiB RSS per connection; process exits by itself after close()`, 'load.test.js (the same 1,000 sources: heap < 31 KiB × 1.2, RSS < 88 KiB × 1.5 per connection)'])
  if (ok(r.cycles)) rows.push(['Connect/close cycles', `${n(r.cycles.cycles)} cycles: heap slope ${r.cycles.heapSlopeBytesPerCycle} B/cycle; ${n(r.cycles.sourcesCollected)}/${n(r.cycles.sourcesCreated)} closed sources garbage-collected`, 'load.test.js (1,500 cycles)'])
  if (ok(r.iterator)) rows.push(['for await, stalled consumer', `${n(r.iterator.total)} events buffered, none lost; ${r.iterator.bytesPerBufferedEvent} bytes per buffered event (unbounded by design)`, 'load.test.js (20,000 events)'])
  if (ok(r.redirects)) rows.push(['Cross-origin redirect', 'cookies only with withCredentials; Authorization dropped; custom headers and Last-Event-ID follow (Chromium and Node)', 'security.test.js'])
  return table(['claim', 'last run', 'bounded test (test/reliability/)'], rows)
}

/** @param {{ machine: any, failures: string[], results: Record<string, any> }} report */
export function renderResults({ machine, failures, results: r }) {
  const out = []
  const push = (...lines) => out.push(...lines, '')
  push(
    '# Reliability: figures from the last stress run',
    '',
    '<!-- Generated by `npm run stress` (reliability/stress.js → results-md.js); do not edit by hand. -->',
  )
  push(
    table(['', ''], [
      ['Date', machine.date],
      ['Node', machine.node],
      ['Chromium', machine.chromium],
      ['Machine', `${machine.os}, ${machine.cpus}, ${machine.memoryGiB} GiB (load average at the end: ${machine.loadAverage.join(', ')}; the machine was shared)`],
      ['Seed', `\`SEED=${machine.seed}\``],
      ['Duration', `${machine.totalSeconds} s`],
      ['Verdict', failures.length === 0 ? 'every check passed' : `**${failures.length} check(s) failed:** ${failures.join('; ')}`],
    ]),
  )
  push('## Summary', '', summaryTable(r))
  push(
    'Reproduce: `npm run stress` (builds, then runs every section; a few minutes on 2 cores). One section:',
    '`node reliability/stress.js cuts` (sections: cuts, chromium, restarts, storms, stalls, hostile, amplification, comments,',
    'load, cycles, iterator, redirects); replay the seeded ones with `SEED=<seed>`. The bounded versions of these checks run in',
    '`npm test` (`node --test test/reliability/`).',
  )

  if (r.cuts && !failed(r.cuts)) {
    push(
      '## Exactly once across connection cuts',
      '',
      'A loopback TCP proxy (reliability/cutting-proxy.js) cuts every connection at a seeded byte offset: anywhere (HTTP',
      'head and chunk framing included), inside a UTF-8 sequence, between CR and LF, or just before the blank line that',
      'would dispatch an event; half the cuts end the body normally (FIN), half reset the connection (RST). The server',
      '(reliability/resumable-server.js) resumes from `Last-Event-ID`; events mix LF/CRLF/CR endings and 1–4-byte',
      'characters, and every event received is checked against the script: ids 1…N once each, in order, exact data.',
      '',
      table(
        ['runtime', 'seed', 'framing', 'events delivered', 'cuts', 'connections', 'time', 'result'],
        [
          ...r.cuts.runs.map((run) => ['Node', run.seed, run.framing, `${n(run.received)} / ${n(run.total)}`, run.cuts, run.connections, `${(run.durationMs / 1000).toFixed(1)} s`, run.problem ?? 'exactly once, in order'] ),
          ...(r.chromium && !failed(r.chromium)
            ? [[`Chromium ${r.chromium.version ?? ''}`, r.chromium.seed, r.chromium.framing, `${n(r.chromium.received)} / ${n(r.chromium.total)}`, r.chromium.cuts, r.chromium.connections, `${(r.chromium.durationMs / 1000).toFixed(1)} s`, r.chromium.problem ?? 'exactly once, in order']]
            : []),
        ],
      ),
      '',
      `Cut kinds in the first run: ${Object.entries(r.cuts.runs[0].cutKinds).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
      'Framing `close` = `Connection: close` without a length, so a cut is a *normal* end of the body at an arbitrary byte;',
      '`chunked` = a cut is a network error; `mixed` alternates per request. In Chromium the stream is cross-origin (the',
      'proxy is another port), so every reconnection also sends a CORS preflight through the proxy, and those get cut too.',
    )
  }

  if (r.restarts && !failed(r.restarts)) {
    const p = r.restarts.policy
    push(
      '## Server restarts',
      '',
      `${n(r.restarts.clients)} clients stream ${n(r.restarts.total)} events each from a server process that is SIGKILLed ${r.restarts.kills} times and`,
      'restarted on the same port once every client has failed 5 reconnections. Result: ' +
        (r.restarts.problems === 0 ? '**every client received every event exactly once, in order.**' : `**${r.restarts.problems} clients lost or duplicated events.**`),
      '',
      `Waits between attempts (ms, all clients and outages; policy initialDelay ${p.initialDelay}, factor ${p.factor}, maxDelay ${p.maxDelay}, jitter ${p.jitter}):`,
      '',
      table(
        ['wait', 'policy allows', 'observed min / median / max', 'samples', 'shorter than the policy'],
        r.restarts.positions.map((x) => [x.wait === 1 ? '1 (after the loss)' : x.wait, x.allowed[0] === x.allowed[1] ? `${x.allowed[0]}` : `${x.allowed[0]}–${x.allowed[1]}`, range(x.observed), x.samples, x.belowPolicy]),
      ),
      '',
      'Delays grow by the factor, are capped at maxDelay, and each new outage starts again from the reconnection time (the',
      'success in between reset the growth). Waits above the policy are event-loop lag: 200 clients reconnect in one process.',
    )
  }

  if (r.storms && !failed(r.storms)) {
    push(
      '## Retry storms',
      '',
      table(
        ['server behaviour', 'requests', 'per minute', 'window', 'state after'],
        Object.entries(r.storms)
          .filter(([k]) => k !== 'sectionMs')
          .map(([k, v]) => [k, v.requests, v.readyStateAfter === 2 ? '– (ended)' : n(v.perMinute), `${v.windowMs / 1000} s`, ['CONNECTING', 'OPEN', 'CLOSED'][v.readyStateAfter]]),
      ),
      '',
      'A 503 ends the source by default (one request). Retried (`shouldRetry: () => true`), it waits what `Retry-After` says.',
      'Network failures back off to maxDelay (steady waits ' + range(r.storms['TCP accept-and-close, policy 1:100 of the defaults (30 ms … 300 ms, jitter 0.2)']?.steadyWaitMs) +
        ' ms for maxDelay 300, jitter 0.2). A server that accepts and ends every stream without an event counts as failing:',
      'its waits grow like failures, and with `retry: 0` (or `initialDelay: 0`, or `Retry-After: 0`) the storm floor (0, 100,',
      '200, 400 ms …) keeps the rate bounded. One event per connection resets the count, so such a server keeps its own pace.',
      '`maxAttempts` and `close()` during a wait are checked in test/reliability/retry-storms.test.js.',
    )
  }

  if (r.stalls && !failed(r.stalls)) {
    push(
      '## Stalls',
      '',
      `heartbeatTimeout 500 ms on ${r.stalls.heartbeat500.streams} streams that send headers and then nothing: detected ${range(r.stalls.heartbeat500.detectedAfterMs)} ms (min / median / max)`,
      `after the request. Without a heartbeat, \`close()\` on ${r.stalls.closeWithoutHeartbeat.streams} stalled streams: the server saw every response close within`,
      `${r.stalls.closeWithoutHeartbeat.serverSawAllClosedAfterMs} ms. heartbeatTimeout is an idle timeout: a trickle faster than it (one byte per 80 ms against 400 ms) keeps`,
      'the stream alive by design; one slower than it is caught (test/reliability/stalls.test.js).',
    )
  }

  if (r.hostile && !failed(r.hostile)) {
    push(
      '## Hostile streams (maxBufferSize 1 MiB, up to 200 MiB sent)',
      '',
      'Each client runs in its own process; heap after GC and RSS are sampled while the bytes stream in (growth over the',
      'process baseline).',
      '',
      table(
        ['stream', 'outcome', 'server wrote', 'heap (after GC) peak', 'RSS peak', 'time', 'throughput'],
        Object.entries(r.hostile.kinds).map(([k, v]) => [k, v.outcome, `${v.serverWroteMiB} MiB`, `${v.peakMiB.heapAfterGc} MiB`, `${v.peakMiB.rss} MiB`, `${v.ms} ms`, v.throughputMiBps ? `${v.throughputMiBps} MiB/s` : '–']),
      ),
      '',
      '`line`: one endless line; `event`: an endless event of `data:` lines; `comment`: one endless comment without a line',
      'break (it is a line). `comment-lines`, `field-lines`, `blank-lines` are legal streams: the source must stay open,',
      'and it does, with flat memory, then delivers the next event.',
    )
  }

  if (r.amplification && !failed(r.amplification)) {
    push(
      '## Heap per pending character',
      '',
      'Marginal heap per character of maxBufferSize while a line or an event is pending (between limits of 256 Ki and 1 Mi',
      'characters, in-memory fetch, so only the library is measured). A JS string costs 1–2 bytes per character.',
      '',
      table(['pending text', 'bytes per character', 'heap at a 1 Mi limit', 'at the default 16 Mi limit'], r.amplification.map((a) => [a.shape, a.bytesPerChar, `${a.heapMiBAt1Mi} MiB`, `≈ ${n(a.atDefault16MiMiB)} MiB${a.bytesPerChar > 8 ? ' ⚠' : ''}`])),
      '',
      '⚠ marks shapes where a hostile server holds far more memory than the limit suggests (many tiny data lines, or a line',
      'arriving in tiny chunks, is kept as one small string object per piece).',
    )
  }

  if (r.comments && !failed(r.comments)) {
    const names = { ours: 'ours (FetchEventSource)', eventsource: '`eventsource` 5', 'fetch-decode': 'bare fetch loop, decoding', 'fetch-bytes': 'bare fetch loop, bytes only' }
    push(
      '## Comment flood',
      '',
      `An event stream of nothing but \`${r.comments.line}\` lines, written in 64 KiB writes as fast as loopback takes them for`,
      `${r.comments.secondsPerClient} s per client, then \`data: end\`. Each client in its own process, the clients alternating, ${r.comments.rounds} rounds; growth over`,
      'the process baseline just before connecting, median of the rounds (RSS sampled every 5 ms, the rest every 25 ms).',
      '',
      table(
        ['client', 'peak RSS growth', 'RSS per round', 'heap', 'array buffers', 'young generation', 'read', 'throughput'],
        Object.entries(r.comments.clients).map(([k, v]) => [names[k] ?? k, `${v.rssMiB} MiB`, v.rssMiBRuns.join(' / '), `${v.heapMiB} MiB`, `${v.arrayBuffersMiB} MiB`, `${v.youngGenerationMiB} MiB`, `${n(v.readMiB)} MiB`, `${n(v.MiBps)} MiB/s`]),
      ),
      '',
      'The bare loops are the limit: `fetch` + `getReader()` dropping each chunk (with and without a TextDecoder). The',
      "fetch's byte chunks (array buffers) are freed only when a scavenge runs, so a client that allocates less per byte read",
      'scavenges less often and holds more of them: the bytes-only loop grows most. The rest of the growth is neither heap',
      'nor byte buffers, and about the same in every decoding client. A client that kept one chunk alive into every',
      'scavenge would make V8 grow the young generation (8–16 MiB instead of 4) and hold more chunks between scavenges;',
      'test/reliability/comment-flood.test.js fails on that.',
    )
  }

  if (r.load && !failed(r.load)) {
    const l = r.load
    push(
      '## Load',
      '',
      `${n(l.count)} concurrent sources in one Node process against the scripted test server, ${l.each} events each: ${n(l.delivered)} events`,
      `delivered ${l.bad.length === 0 ? 'exactly, in order' : 'WITH ERRORS'} in ${(l.deliveredMs / 1000).toFixed(1)} s. Per open connection (source + fetch + socket): **${n(l.perConnectionBytes.heap)} bytes of heap**,`,
      `${n(l.perConnectionBytes.rss)} bytes of RSS. After \`close()\`: sockets released in ${l.releasedMs} ms, nothing left holding the event loop`,
      `(${l.holdingAfterClose.length === 0 ? 'none' : l.holdingAfterClose.join(', ')}), and the process exited by itself ${l.exitedAfterCloseMs} ms after printing.`,
    )
  }

  if (r.cycles && !failed(r.cycles)) {
    const c = r.cycles
    push(
      '## Connect/close cycles',
      '',
      `${n(c.cycles)} cycles after ${n(c.warmup)} warm-up cycles, each closed at a seeded stage (${Object.entries(c.stages).map(([k, v]) => `${k} ${n(v)}`).join(', ')}).`,
      `Heap after GC: ${c.heapMinMiB}–${c.heapMaxMiB} MiB; least-squares slope **${c.heapSlopeBytesPerCycle} bytes per cycle** (second half: ${c.heapSlopeSecondHalf}),`,
      `i.e. no growth (a leaked source would cost kilobytes per cycle). Every one of the ${n(c.sourcesCreated)} closed sources was`,
      `garbage-collected: ${n(c.sourcesCollected)} finalized (FinalizationRegistry). ${(c.ms / 1000).toFixed(1)} s.`,
    )
  }

  if (r.iterator && !failed(r.iterator)) {
    const it = r.iterator
    push(
      '## Async iterator with a slow consumer',
      '',
      `A \`for await\` loop that stalls while ${n(it.total)} events arrive, then drains: ${n(it.received)} yielded, ${it.problem ?? 'none lost, in order'}.`,
      `The iterator buffers without bound by design (no backpressure on the socket): the backlog of ${n(it.peakBacklog)} events held`,
      `${it.backlogHeapMiB} MiB, **${it.bytesPerBufferedEvent} bytes per buffered event** (MessageEvent + data). A consumer that cannot keep up should`,
      'use a handler, or close the source.',
    )
  }

  if (r.redirects && !failed(r.redirects)) {
    const cell = (c) => (c.atB.length === 0 ? '(no request)' : c.atB.map((x) => `${x.method}: ${['cookie', 'authorization', 'apiKey', 'lastEventId'].filter((k) => x[k] !== undefined).map((k) => ({ cookie: 'Cookie', authorization: 'Authorization', apiKey: 'X-Api-Key', lastEventId: 'Last-Event-ID' })[k]).join(', ') || 'none of them'}`).join('; '))
    push(
      '## Credentials and custom headers across a cross-origin redirect',
      '',
      `Chromium (${r.redirects.chromium}): the page sets a cookie, opens a source on its own origin, which answers 307 to another`,
      'origin (same host, another port). What reached the other origin:',
      '',
      table(['init', 'received at the redirect target'], r.redirects.cases.map((c) => [c.id, cell(c)])),
      '',
      'Node (test/reliability/security.test.js, every 301/302/303/307/308, with and without withCredentials): Node has no',
      'cookie jar; fetch drops `Authorization`, `Cookie` and `Proxy-Authorization` set by hand on a cross-origin redirect,',
      'and forwards every other header (`X-Api-Key`, `Last-Event-ID`). Put secrets in `Authorization`, not in custom headers,',
      'if a redirect could leave your origin.',
    )
  }
  return out.join('\n')
}
