/**
 * Where a plan stands, read off describe: for every step, whether its effect is complete, under
 * way, not begun, or failed. The interpreter waits on these predicates, and a re-run uses them to
 * skip what is done, so both agree by construction. Pure.
 */
import type { DBCluster, DBInstance, Environment } from './domain.js'
import { clusterSettings } from './cluster-settings.js'
import { instanceSettings } from './attributes.js'
import { settingDifferences } from './predict.js'
import { stripTemp } from './identifiers.js'
import { passwordSet, type Plan, type Settings, type Step } from './operations.js'
import { footprint, tagsOf, tagValue, TAG_COPY_OF, TAG_RENAMED_FROM, TAG_RESTARTED, TAG_RUN } from './runs.js'

export type StepProgress =
  | { readonly _tag: 'pending' }
  | { readonly _tag: 'started'; readonly status: string }
  | { readonly _tag: 'done' }
  | { readonly _tag: 'failed'; readonly id: string; readonly status: string }

/**
 * Statuses an instance or an Aurora cluster does not come back from by itself (aws-facts.md; the RDS User
 * Guide's DB instance and DB cluster status tables). Every `incompatible-*` status is one, also those not
 * listed here: see isFailedStatus.
 */
export const FAILED_STATUSES: ReadonlySet<string> = new Set([
  'failed', 'incompatible-credentials', 'incompatible-network', 'incompatible-option-group', 'incompatible-parameters',
  'incompatible-restore', 'inaccessible-encryption-credentials', 'inaccessible-encryption-credentials-recoverable',
  'restore-error', 'storage-full',
])

/** Whether RDS shows a status that needs someone to fix it: the run stops at once, naming it. */
export const isFailedStatus = (status: string): boolean => FAILED_STATUSES.has(status) || status.startsWith('incompatible-')

const pending: StepProgress = { _tag: 'pending' }
const PROMOTING: ReadonlySet<string> = new Set(['modifying', 'rebooting'])
const done: StepProgress = { _tag: 'done' }

/** Done when available and `effect` holds; failed on a failed status; else under way. */
const settle = (i: DBInstance, effect: boolean): StepProgress => {
  if (isFailedStatus(i.DBInstanceStatus)) return { _tag: 'failed', id: i.DBInstanceIdentifier, status: i.DBInstanceStatus }
  return i.DBInstanceStatus === 'available' && effect ? done : { _tag: 'started', status: i.DBInstanceStatus }
}

/** The same for a cluster. */
const settleCluster = (c: DBCluster, effect: boolean): StepProgress => {
  if (isFailedStatus(c.Status)) return { _tag: 'failed', id: c.DBClusterIdentifier, status: c.Status }
  return c.Status === 'available' && effect ? done : { _tag: 'started', status: c.Status }
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
  const clusters = env.clusters ?? []
  const clusterById = new Map(clusters.map((c) => [c.DBClusterIdentifier, c]))
  const ofRun = (c: DBCluster) => tagValue(c.TagList, TAG_RUN) === plan.run
  const clusterCopy = (copyOf: string) => clusters.find((c) => ofRun(c) && tagValue(c.TagList, TAG_COPY_OF) === copyOf)
  const clusterOriginal = (from: string) => clusters.find((c) => ofRun(c) && tagValue(c.TagList, TAG_RENAMED_FROM) === from)
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
      // a modification that failed leaves its settings unapplied: the status tells, not the settings
      if (isFailedStatus(i.DBInstanceStatus)) return settle(i, false)
      // a new password: as for a cluster (below)
      const password = passwordSet(step)
      if (password === 'managed') return i.MasterUserSecret?.SecretArn !== undefined ? settle(i, true) : pending
      if (password === 'secret') return pending
      if (settingsApplied(env, i, step.request)) return settle(i, true)
      // `modifying` is this step's doing only once everything before it is done (a promotion
      // shows the same status)
      const mine = i.DBInstanceStatus === 'modifying' && step.after.every((a) => earlier[a - 1]?._tag === 'done')
      return mine ? { _tag: 'started', status: 'modifying' } : pending
    }
    case 'AddTagsToResource': {
      if (step.request.ResourceName.includes(':cluster:')) {
        const c = clusterById.get(step.id)
        return c !== undefined && step.request.Tags.every((t) => tagValue(c.TagList, t.Key) === t.Value) ? done : pending
      }
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
      // (on the target root instance, or on the target cluster for an Aurora clone)
      const root = byId.get(plan.target)
      const cluster = clusterById.get(plan.target)
      return (root !== undefined && tagValue(tagsOf(env, root), TAG_RESTARTED) === plan.run) ||
        (cluster !== undefined && tagValue(cluster.TagList, TAG_RESTARTED) === plan.run)
        ? done
        : pending
    }
    case 'CreateDBInstance': {
      // an instance of a cluster clone: done once this run's copy (by its tags) is available
      const copy = f.copies.get(stripTemp(step.id))
      return copy === undefined ? pending : settle(copy, true)
    }
    // cluster steps are read from the environment's clusters (DescribeDBClusters, with TagList)
    case 'RestoreDBClusterToPointInTime': {
      const copy = clusterCopy(stripTemp(step.id))
      return copy === undefined ? pending : settleCluster(copy, true)
    }
    case 'ModifyDBCluster': {
      const to = step.request.NewDBClusterIdentifier
      if (to !== undefined) {
        const moved = clusterById.get(to)
        const expected = step.id.startsWith('temp-') ? clusterCopy(to) : clusterOriginal(step.id)
        return moved !== undefined && moved === expected ? settleCluster(moved, true) : pending
      }
      const c = clusterById.get(step.id)
      if (c === undefined) return pending
      // a modification that failed leaves its settings unapplied: the status tells, not the settings
      if (isFailedStatus(c.Status)) return settleCluster(c, false)
      // a managed password shows as the cluster's secret; a new password shows nowhere, so it is sent
      // again on a re-run (the same password: harmless) unless a later step has begun
      const password = passwordSet(step)
      if (password === 'managed') return c.MasterUserSecret?.SecretArn !== undefined ? settleCluster(c, true) : pending
      if (password === 'secret') return pending
      const { DBClusterIdentifier: _id, ApplyImmediately: _a, CloudwatchLogsExportConfiguration: _l, ...wanted } = step.request
      const actual = clusterSettings(c) as Record<string, unknown>
      const applied = Object.entries(wanted).every(([k, v]) => JSON.stringify(actual[k]) === JSON.stringify(v))
      if (applied) return settleCluster(c, true)
      const mine = c.Status === 'modifying' && step.after.every((a) => earlier[a - 1]?._tag === 'done')
      return mine ? { _tag: 'started', status: 'modifying' } : pending
    }
    case 'AddRoleToDBCluster': {
      const c = clusterById.get(step.id) ?? clusterCopy(stripTemp(step.id))
      const role = c?.AssociatedRoles?.find((r) => r.RoleArn === step.request.RoleArn)
      if (role === undefined) return pending
      return role.Status === undefined || role.Status === 'ACTIVE' ? done : { _tag: 'started', status: role.Status }
    }
    case 'CreateDBSubnetGroup':
      // describe does not show subnet groups here: a later step begun says it is done (see planProgress)
      return pending
    case 'CreateDBCluster': {
      const c = clusterById.get(step.id)
      return c !== undefined && ofRun(c) ? settleCluster(c, true) : pending
    }
    case 'RunLiquibase':
      // leaves no trace describe shows; liquibase update is a no-op the second time, so a re-run runs it again
      return pending
    case 'DeleteDBCluster': {
      const c = clusterById.get(step.id)
      if (c !== undefined) return c.Status === 'deleting' ? { _tag: 'started', status: 'deleting' } : pending
      const original = step.id.replace(/^old-/, '')
      return clusterCopy(original)?.DBClusterIdentifier === original ? done : pending
    }
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
