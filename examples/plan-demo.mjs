// Plan the stack-mitosis demo with the library, on the simulator, and print the steps.
// Run from a checkout after `npm ci`: node examples/plan-demo.mjs
import { loadFixture, plan, renderPlanFailure, renderText, simulate } from '../dist/src/index.js'

const env = loadFixture(new URL('../fixtures/demo.json', import.meta.url).pathname)
if (env._tag === 'Left') throw new Error(env.left)
const planned = await plan({ rds: simulate(env.right) }, { clone: { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' } })()
if (planned._tag === 'Left') {
  console.error(renderPlanFailure(planned.left))
  process.exit(1)
}
process.stdout.write(renderText(planned.right.plan))
console.log(`${planned.right.plan.steps.filter((s) => s.after.length === 0).length} step(s) can start at once`)
