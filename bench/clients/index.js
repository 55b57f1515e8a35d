// Every client, in the order tables print them.
import ours from './ours.js'
import eventsourceClient from './eventsource-client.js'
import eventsource from './eventsource.js'
import microsoft from './microsoft.js'
import parser from './parser.js'
import parserEvent from './parser-event.js'
import drain from './drain.js'

export const CLIENTS = [ours, eventsourceClient, eventsource, microsoft, parser, parserEvent, drain]
export const byName = Object.fromEntries(CLIENTS.map((c) => [c.name, c]))
