// A tiny SVG sparkline: a polyline scaled to its box, plus a dashed line at the opening price.

const SVG_NS = 'http://www.w3.org/2000/svg'
const WIDTH = 140
const HEIGHT = 34
const PAD = 2

/** Creates an empty sparkline element. */
export function createSparkline() {
  const svg = document.createElementNS(SVG_NS, 'svg')
  svg.setAttribute('class', 'spark')
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`)
  svg.setAttribute('preserveAspectRatio', 'none')
  svg.setAttribute('aria-hidden', 'true')
  const base = document.createElementNS(SVG_NS, 'line')
  base.setAttribute('class', 'base')
  const line = document.createElementNS(SVG_NS, 'polyline')
  svg.append(base, line)
  return svg
}

/**
 * @param {SVGSVGElement} svg from createSparkline()
 * @param {number[]} values
 * @param {number} reference drawn as the dashed base line (e.g. the opening price)
 */
export function drawSparkline(svg, values, reference) {
  const [base, line] = /** @type {[SVGLineElement, SVGPolylineElement]} */ ([...svg.children])
  if (values.length === 0) return
  const min = Math.min(reference, ...values)
  const max = Math.max(reference, ...values)
  const span = max - min || 1
  const x = (/** @type {number} */ i) => PAD + (i * (WIDTH - 2 * PAD)) / Math.max(values.length - 1, 1)
  const y = (/** @type {number} */ v) => HEIGHT - PAD - ((v - min) * (HEIGHT - 2 * PAD)) / span
  line.setAttribute('points', values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '))
  base.setAttribute('x1', String(PAD))
  base.setAttribute('x2', String(WIDTH - PAD))
  base.setAttribute('y1', y(reference).toFixed(1))
  base.setAttribute('y2', y(reference).toFixed(1))
  svg.setAttribute('class', `spark ${values[values.length - 1] >= reference ? 'up' : 'down'}`)
}
