/**
 * What a saved plan was made from, as Terraform keeps it: the source and the target tree as they
 * were before the run began (so a half-done run still matches), with the settings the plan copies.
 * A plan applied later refuses to run against a world that no longer matches, naming the change.
 */
import * as t from 'io-ts'
import type { Environment } from './domain.js'
import { instanceSettings } from './attributes.js'
import { replicaForest } from './forest.js'
import { Plan } from './operations.js'
import { settingDifferences } from './predict.js'
import { runInProgress, tagsOf, targetTreeIds } from './runs.js'

export const BasisInstance = t.intersection([
  t.type({ id: t.string, settings: t.UnknownRecord }),
  t.partial({ resource: t.string, engineVersion: t.string, parent: t.string }),
])
export type BasisInstance = t.TypeOf<typeof BasisInstance>

export const Basis = t.type({ instances: t.array(BasisInstance) })
export type Basis = t.TypeOf<typeof Basis>

export const PlanFile = t.type({ kind: t.literal('mitosis-plan'), plan: Plan, basis: Basis }, 'PlanFile')
export type PlanFile = t.TypeOf<typeof PlanFile>

/** The basis of `plan` in `current` (reconstructed to before the run when one is under way). */
export const basisOf = (current: Environment, plan: Plan): Basis => {
  const env = runInProgress(current, plan.source, plan.target)?.original ?? current
  const forest = replicaForest(env.instances)
  const ids = [plan.source, ...targetTreeIds(env, plan.target)]
  return {
    instances: ids.flatMap((id) => {
      const i = forest.byId.get(id)
      if (i === undefined) return []
      const parent = forest.parentOf(id)
      return [
        {
          id,
          settings: instanceSettings(i, tagsOf(env, i)) as Record<string, unknown>,
          ...(i.DbiResourceId === undefined ? {} : { resource: i.DbiResourceId }),
          ...(i.EngineVersion === undefined ? {} : { engineVersion: i.EngineVersion }),
          ...(parent === undefined ? {} : { parent }),
        },
      ]
    }),
  }
}

/** What changed between the world a plan was made from and the world now; empty when none. */
export const staleness = (saved: Basis, now: Basis): ReadonlyArray<string> => {
  const out: string[] = []
  const nowById = new Map(now.instances.map((i) => [i.id, i]))
  const savedIds = new Set(saved.instances.map((i) => i.id))
  for (const before of saved.instances) {
    const after = nowById.get(before.id)
    if (after === undefined) {
      out.push(`${before.id} is gone`)
      continue
    }
    if (before.resource !== after.resource) out.push(`${before.id} is a different instance (DbiResourceId ${before.resource ?? '?'} → ${after.resource ?? '?'})`)
    if (before.parent !== after.parent) out.push(`${before.id} now replicates from ${after.parent ?? 'nothing'} (was ${before.parent ?? 'nothing'})`)
    if (before.engineVersion !== after.engineVersion) out.push(`${before.id} engine version ${before.engineVersion ?? '?'} → ${after.engineVersion ?? '?'}`)
    const diffs = settingDifferences(before.settings, after.settings)
    if (diffs.length > 0) out.push(`${before.id}: ${diffs.join(', ')}`)
  }
  for (const after of now.instances) if (!savedIds.has(after.id)) out.push(`${after.id} joined the target tree`)
  return out
}
