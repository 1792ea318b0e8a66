// Plan a clone, save the plan, check the saved plan against the world, and apply it: through the
// library, on the simulator (virtual time: the clone's hours pass in a moment).
// Run from a checkout after `npm ci`: node examples/saved-plan.mjs
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { apply, checkSaved, loadFixture, plan, planFileOf, processShell, renderApplyFailure, renderPlanFailure, renderSavedFailure, simulate } from '../dist/src/index.js'

const env = loadFixture(new URL('../fixtures/demo.json', import.meta.url).pathname)
if (env._tag === 'Left') throw new Error(env.left)
const sim = simulate(env.right)
const capabilities = { rds: sim, clock: sim.clock, shell: processShell, random: Math.random }

// plan, and save it as `mitosis --plan --out FILE` does
const planned = await plan(capabilities, { clone: { source: 'mitosis-prod', target: 'mitosis-demo' } })()
if (planned._tag === 'Left') throw new Error(renderPlanFailure(planned.left))
const dir = mkdtempSync(join(tmpdir(), 'mitosis-'))
const file = join(dir, 'plan.json')
writeFileSync(file, JSON.stringify(planFileOf(planned.right), null, 2))

// later: the saved plan, checked as `mitosis apply FILE` checks it (stale? still safe? production?)
const checked = await checkSaved(capabilities, JSON.parse(readFileSync(file, 'utf8')))()
if (checked._tag === 'Left') throw new Error(renderSavedFailure(checked.left, file))
const { plan: saved } = checked.right
console.log(`${file}: ${saved.steps.length} steps, still as planned`)

const options = { pollIntervalMs: 30_000, stepTimeoutMs: 3 * 3_600_000, hookTimeoutMs: 60_000 }
const result = await apply(saved, capabilities, options, (e) => e.type === 'step-done' && console.log(`done ${e.n} ${e.op} ${e.id}`))
if (result._tag === 'Left') throw new Error(renderApplyFailure(result.left, saved))
console.log(`cloned ${saved.source} into ${saved.target}: ${result.right.steps} steps`)
rmSync(dir, { recursive: true })
