/**
 * Where a plan stands, read off describe: for every step, whether its effect is complete, under
 * way, not begun, or failed. The interpreter waits on these predicates, and a re-run uses them to
 * skip what is done, so both agree by construction. Pure.
 */
import type { DBInstance, Environment } from './domain.js'
import { instanceSettings } from './attributes.js'
import { settingDifferences } from './predict.js'
import { stripTemp } from './identifiers.js'
import type { Plan, Settings, Step } from './operations.js'
import { footprint, tagsOf, tagValue, TAG_RESTARTED } from './runs.js'

export type StepProgress =
  | { readonly _tag: 'pending' }
  | { readonly _tag: 'started'; readonly status: string }
  | { readonly _tag: 'done' }
  | { readonly _tag: 'failed'; readonly id: string; readonly status: string }

/** Statuses an instance does not come back from by itself (aws-facts.md). */
export const FAILED_STATUSES: ReadonlySet<string> = new Set([
  'failed', 'incompatible-network', 'incompatible-option-group', 'incompatible-parameters', 'incompatible-restore',
  'restore-error', 'storage-full', 'inaccessible-encryption-credentials',
])

const pending: StepProgress = { _tag: 'pending' }
const PROMOTING: ReadonlySet<string> = new Set(['modifying', 'rebooting'])
const done: StepProgress = { _tag: 'done' }

/** Done when available and `effect` holds; failed on a failed status; else under way. */
const settle = (i: DBInstance, effect: boolean): StepProgress => {
  if (FAILED_STATUSES.has(i.DBInstanceStatus)) return { _tag: 'failed', id: i.DBInstanceIdentifier, status: i.DBInstanceStatus }
  return i.DBInstanceStatus === 'available' && effect ? done : { _tag: 'started', status: i.DBInstanceStatus }
}

/** The request's settings are what describe shows (a parameter group counts once it is attached). */
const settingsApplied = (env: Environment, i: DBInstance, request: Record<string, unknown>): boolean => {
  const wanted: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(request)) {
    if (k === 'DBInstanceIdentifier' || k === 'ApplyImmediately' || k === 'NewDBInstanceIdentifier') continue
    if (k === 'DBPortNumber') wanted['Port'] = v
    else if (k === 'CloudwatchLogsExportConfiguration') wanted['EnableCloudwatchLogsExports'] = (v as { EnableLogTypes?: string[] }).EnableLogTypes
    else wanted[k] = v
  }
  const attached = { ...i, DBParameterGroups: (i.DBParameterGroups ?? []).map((g) => ({ ...g, ParameterApplyStatus: 'in-sync' })) }
  const actual = instanceSettings(attached, tagsOf(env, i))
  const relevant = Object.fromEntries(Object.keys(wanted).map((k) => [k, actual[k as keyof Settings]])) as Settings
  return settingDifferences(wanted as Settings, relevant).length === 0
}

const ownProgress = (env: Environment, plan: Plan, step: Step, earlier: ReadonlyArray<StepProgress>): StepProgress => {
  const f = footprint(env, plan.run)
  const byId = new Map(env.instances.map((i) => [i.DBInstanceIdentifier, i]))
  switch (step.op) {
    case 'CreateDBInstanceReadReplica':
    case 'RestoreDBInstanceFromDBSnapshot': {
      const copy = f.copies.get(stripTemp(step.id))
      return copy === undefined ? pending : settle(copy, true)
    }
    case 'PromoteReadReplica': {
      const copy = f.copies.get(stripTemp(step.id))
      if (copy === undefined) return pending
      const promoted = copy.ReadReplicaSourceDBInstanceIdentifier === undefined
      if (promoted) return settle(copy, true)
      // still linked: under way only while it is being promoted (it reboots), not while it is being created
      return PROMOTING.has(copy.DBInstanceStatus) ? { _tag: 'started', status: copy.DBInstanceStatus } : pending
    }
    case 'ModifyDBInstance': {
      const to = step.request.NewDBInstanceIdentifier
      if (to !== undefined) {
        // under the new name must be the right one of this run's instances: the copy for a
        // rename into place, the original for a rename away
        const moved = byId.get(to)
        const expected = step.id.startsWith('temp-') ? f.copies.get(to) : f.originals.get(step.id)
        return moved !== undefined && moved === expected ? settle(moved, true) : pending
      }
      const i = byId.get(step.id)
      if (i === undefined) return pending
      if (settingsApplied(env, i, step.request)) return settle(i, true)
      // `modifying` is this step's doing only once everything before it is done (a promotion
      // shows the same status)
      const mine = i.DBInstanceStatus === 'modifying' && step.after.every((a) => earlier[a - 1]?._tag === 'done')
      return mine ? { _tag: 'started', status: 'modifying' } : pending
    }
    case 'AddTagsToResource': {
      const i = byId.get(step.id)
      if (i === undefined) return pending
      const tags = tagsOf(env, i)
      return step.request.Tags.every((t) => tagValue(tags, t.Key) === t.Value) ? done : pending
    }
    case 'DeleteDBInstance': {
      const i = byId.get(step.id)
      if (i !== undefined) return i.DBInstanceStatus === 'deleting' ? { _tag: 'started', status: 'deleting' } : pending
      // gone, and the name it was renamed from holds this run's copy: deleted by this run
      const original = step.id.replace(/^old-/, '')
      return f.copies.get(original)?.DBInstanceIdentifier === original ? done : pending
    }
    case 'RunCommand': {
      // a hook leaves no trace of its own; the tag written after it (or any later step) tells
      const root = byId.get(plan.target)
      return root !== undefined && tagValue(tagsOf(env, root), TAG_RESTARTED) === plan.run ? done : pending
    }
    case 'CreateDBInstance': {
      // an instance of a cluster clone: done once it is available under its temp- name or, renamed,
      // under the real name carrying this run's copy tag
      const i = byId.get(step.id) ?? f.copies.get(stripTemp(step.id))
      return i === undefined ? pending : settle(i, true)
    }
    // cluster steps are read from DescribeDBClusters, which this instance view does not hold yet
    case 'RestoreDBClusterToPointInTime':
    case 'ModifyDBCluster':
    case 'DeleteDBCluster':
    case 'AddRoleToDBCluster':
      return pending
  }
}

/**
 * Progress of every step (index n-1). A step that a later step waits for is done once that later
 * step has begun, whatever its own predicate says: what it did may have been changed since.
 */
export const planProgress = (env: Environment, plan: Plan): ReadonlyArray<StepProgress> => {
  const progress: StepProgress[] = []
  for (const s of plan.steps) progress.push(ownProgress(env, plan, s, progress))
  for (let k = plan.steps.length - 1; k >= 0; k--) {
    const p = progress[k]!
    if (p._tag === 'pending' || p._tag === 'failed') continue
    // a settings change under way proves nothing about what came before it (see above)
    const s = plan.steps[k]!
    if (p._tag === 'started' && (s.op === 'PromoteReadReplica' || (s.op === 'ModifyDBInstance' && s.request.NewDBInstanceIdentifier === undefined))) continue
    for (const a of plan.steps[k]!.after) {
      const before = progress[a - 1]!
      if (before._tag !== 'failed') progress[a - 1] = done
    }
  }
  return progress
}

export const isDone = (p: StepProgress): boolean => p._tag === 'done'
