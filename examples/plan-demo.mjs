// Plan the stack-mitosis demo with the library, on the fixture, and print the steps.
// Run from a checkout after `npm ci`: node examples/plan-demo.mjs
import { loadFixture, planClone, renderProblems, renderText } from '../dist/src/index.js'

const env = loadFixture(new URL('../fixtures/demo.json', import.meta.url).pathname)
if (env._tag === 'Left') throw new Error(env.left)
const plan = planClone(env.right, { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' })
if (plan._tag === 'Left') {
  console.error(renderProblems(plan.left))
  process.exit(1)
}
process.stdout.write(renderText(plan.right))
console.log(`${plan.right.steps.filter((s) => s.after.length === 0).length} step(s) can start at once`)
