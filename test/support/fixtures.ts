import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import type { DBInstance, Environment } from '../../src/plan/domain.js'
import type { Plan, Step } from '../../src/plan/plan.js'
import { planClone, type CloneRequest } from '../../src/plan/clone/clone.js'
import { renderProblems } from '../../src/plan/problems.js'
import { loadFixture } from '../../src/sim/fixture.js'

/** The repository root (tests run from dist/test). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
export const fixturePath = (name: string): string => `${repoRoot}fixtures/${name}.json`

export const fixture = (name: string): Environment => {
  const env = loadFixture(fixturePath(name))
  if (E.isLeft(env)) throw new Error(env.left)
  return env.right
}

export const plan = (env: Environment, req: CloneRequest): Plan => {
  const p = planClone(env, req)
  if (E.isLeft(p)) throw new Error(renderProblems(p.left))
  return p.right
}

export const planProblem = (env: Environment, req: CloneRequest): string => {
  const p = planClone(env, req)
  if (E.isRight(p)) throw new Error('expected the planner to refuse')
  return renderProblems(p.left)
}

/** `Op id` per step, renames as `rename a → b`: the order a user reads. */
export const outline = (p: Plan): string[] =>
  p.steps.map((s) =>
    s.op === 'ModifyDBInstance' && s.request.NewDBInstanceIdentifier !== undefined
      ? `rename ${s.id} → ${s.request.NewDBInstanceIdentifier}`
      : `${s.op} ${s.id}`,
  )

export const step = (p: Plan, pred: (s: Step) => boolean): Step => {
  const s = p.steps.find(pred)
  if (s === undefined) throw new Error('no such step')
  return s
}

export const stepOf = (p: Plan, op: Step['op'], id: string): Step => step(p, (s) => s.op === op && s.id === id && !(s.op === 'ModifyDBInstance' && s.request.NewDBInstanceIdentifier !== undefined))
export const renameOf = (p: Plan, from: string): Step =>
  step(p, (s) => s.op === 'ModifyDBInstance' && s.id === from && s.request.NewDBInstanceIdentifier !== undefined)

/** Every step `s` transitively waits for. */
export const ancestors = (p: Plan, s: Step): Set<number> => {
  const out = new Set<number>()
  const visit = (n: number) => {
    for (const a of p.steps[n - 1]!.after) if (!out.has(a)) { out.add(a); visit(a) }
  }
  visit(s.n)
  return out
}

/** A copy of an environment with one instance changed. */
export const withInstance = (env: Environment, id: string, change: (i: DBInstance) => DBInstance): Environment => ({
  ...env,
  instances: env.instances.map((i) => (i.DBInstanceIdentifier === id ? change(i) : i)),
})
