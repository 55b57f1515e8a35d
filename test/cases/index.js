// The shared conformance case registry: run by test/conformance.test.js (Node) and by the in-page
// browser runner under e2e/. Case = { name, rule, run(t), node?: false, browser?: false, timeout?, exclusive?: true }.
// exclusive: the case replaces a global (globalThis.fetch) for a while, so it must never run alongside another
// case (test/conformance-cjs.test.js, and test/conformance.test.js under CONFORMANCE_CONCURRENCY, run the others concurrently).
// Rules: 'C1'..'C38' and 'API:<row>' are defined in docs/conformance.md (a test fails on any other).
import constructorCases from './constructor.js'
import requestCases from './request.js'
import responseCases from './response.js'
import parsingCases from './parsing.js'
import fieldCases from './fields.js'
import dispatchCases from './dispatch.js'
import extensionCases from './extensions.js'
import reconnectCases from './reconnect.js'
import errorCases from './errors.js'
import iterationCases from './iteration.js'
import resumeCases from './resume.js'

export const areas = {
  constructor: constructorCases,
  request: requestCases,
  response: responseCases,
  parsing: parsingCases,
  fields: fieldCases,
  dispatch: dispatchCases,
  extensions: extensionCases,
  reconnect: reconnectCases,
  errors: errorCases,
  iteration: iterationCases,
  resume: resumeCases,
}

/** @type {Array<{ name: string, rule: string, run: (t: any) => Promise<void>, node?: false, browser?: false, timeout?: number, exclusive?: true }>} */
export const cases = Object.values(areas).flat()

// Names are test titles and result keys: they must be unique.
{
  const seen = new Set()
  for (const c of cases) {
    const id = `${c.rule} ${c.name}`
    if (seen.has(id)) throw new Error(`duplicate case: ${id}`)
    seen.add(id)
  }
}

export default cases
