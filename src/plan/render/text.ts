/**
 * The plan as text (the flight plan and its deletion list) and as the JSON document, for any kind of
 * plan. Pure: each takes the plan (and what is already done) and returns a string.
 */
import type { Plan, Phase, Step } from '../plan.js'
import type { StepProgress } from '../progress.js'

const PHASE_TITLES: Record<Phase, string> = {
  create: 'create: a new, empty cluster and its instances',
  schema: 'schema: liquibase update on the new writer',
  copy: 'copy: build the new tree beside the old one',
  'rename-old': 'rename-old: the target tree steps aside',
  'rename-temp': 'rename-temp: the new tree takes the names',
  restart: 'restart: the application reconnects',
  delete: 'delete: the old tree goes',
}

/** A clone into a new cluster makes it in one phase, but not empty: the source's data, copy-on-write. */
const NEW_CLUSTER_TITLE = "create: a copy-on-write clone of the source's data in a new cluster, and its instances"

const value = (v: unknown): string => {
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'object' && x !== null && 'Key' in x)) return v.map((t: { Key: string; Value: string }) => `${t.Key}:${t.Value}`).join(',')
    if (v.every((x) => typeof x === 'object' && x !== null && 'Name' in x)) return v.map((t: { Name: string; Value: string }) => `${t.Name}:${t.Value}`).join(',')
    return v.join(',')
  }
  if (typeof v === 'object' && v !== null) return Object.entries(v).map(([k, x]) => `${k}=${value(x)}`).join(' ')
  return String(v)
}

/** The parameters worth reading on one line: all of the request but what the line already says. */
export const stepParameters = (s: Step): string => {
  switch (s.op) {
    case 'RunCommand':
      return s.request.Command
    case 'ModifyDBInstance': {
      const { DBInstanceIdentifier: _id, ApplyImmediately: _a, NewDBInstanceIdentifier: to, ...rest } = s.request
      const settings = Object.entries(rest).map(([k, v]) => `${k}=${value(v)}`)
      return [...(to === undefined ? [] : [`→ ${to}`]), ...settings].join(' ')
    }
    case 'CreateDBInstanceReadReplica': {
      const { DBInstanceIdentifier: _id, SourceDBInstanceIdentifier: from, ...rest } = s.request
      return [`from ${from}`, ...Object.entries(rest).map(([k, v]) => `${k}=${value(v)}`)].join(' ')
    }
    case 'RestoreDBInstanceFromDBSnapshot': {
      const { DBInstanceIdentifier: _id, DBSnapshotIdentifier: from, ...rest } = s.request
      return [`from snapshot ${from}`, ...Object.entries(rest).map(([k, v]) => `${k}=${value(v)}`)].join(' ')
    }
    case 'AddTagsToResource':
      return `Tags=${value(s.request.Tags)}`
    case 'PromoteReadReplica':
    case 'DeleteDBInstance': {
      const { DBInstanceIdentifier: _id, ...rest } = s.request
      return Object.entries(rest).map(([k, v]) => `${k}=${value(v)}`).join(' ')
    }
    case 'RestoreDBClusterToPointInTime': {
      const { DBClusterIdentifier: _id, SourceDBClusterIdentifier: from, ...rest } = s.request
      return [`from ${from}`, ...Object.entries(rest).map(([k, v]) => `${k}=${value(v)}`)].join(' ')
    }
    case 'ModifyDBCluster': {
      const { DBClusterIdentifier: _id, ApplyImmediately: _a, NewDBClusterIdentifier: to, ...rest } = s.request
      return [...(to === undefined ? [] : [`→ ${to}`]), ...Object.entries(rest).map(([k, v]) => `${k}=${value(v)}`)].join(' ')
    }
    case 'CreateDBInstance': {
      const { DBInstanceIdentifier: _id, DBClusterIdentifier: cluster, ...rest } = s.request
      return [`in ${cluster}`, ...Object.entries(rest).map(([k, v]) => `${k}=${value(v)}`)].join(' ')
    }
    case 'DeleteDBCluster':
    case 'AddRoleToDBCluster':
    case 'CreateDBCluster': {
      const { DBClusterIdentifier: _id, ...rest } = s.request
      return Object.entries(rest).map(([k, v]) => `${k}=${value(v)}`).join(' ')
    }
    case 'CreateDBSubnetGroup': {
      const { DBSubnetGroupName: _id, ...rest } = s.request
      return Object.entries(rest).map(([k, v]) => `${k}=${value(v)}`).join(' ')
    }
    case 'RunLiquibase': {
      const r = s.request
      return `update ${r.Changelog} on ${r.DBClusterIdentifier}'s writer: ${r.Engine} database ${r.Database} as ${r.Username} (password from secret ${r.Password.fromSecret})`
    }
  }
}

/** Short name of the operation: a rename reads as one. */
export const operationLabel = (s: Step): string =>
  (s.op === 'ModifyDBInstance' && s.request.NewDBInstanceIdentifier !== undefined) ||
  (s.op === 'ModifyDBCluster' && s.request.NewDBClusterIdentifier !== undefined)
    ? `${s.op} (rename)`
    : s.op

/** How a step's progress reads at the end of its line: nothing while pending. */
const progressMark = (p: StepProgress | undefined): string =>
  p === undefined || p._tag === 'pending' ? '' : p._tag === 'done' ? '  [done]' : p._tag === 'started' ? `  [under way: ${p.status}]` : `  [${p.status}]`

/** What a plan deletes, in the words of its delete steps and the steps that prepare them. */
export interface Deletion {
  readonly id: string
  readonly kind: 'instance' | 'cluster'
  /** The name it had before the plan renamed it away (to old-…), when the plan did. */
  readonly was: string | undefined
  /** Whether the plan turns its deletion protection off first (so it had it on). */
  readonly deletionProtection: boolean
  /** The final snapshot it leaves (FinalDBSnapshotIdentifier); none with SkipFinalSnapshot. */
  readonly finalSnapshot: string | undefined
  readonly skipFinalSnapshot: boolean
  readonly step: Step
}

/** Every DeleteDBInstance and DeleteDBCluster of the plan: clusters first, then by identifier. */
export const deletions = (plan: Plan): ReadonlyArray<Deletion> =>
  plan.steps
    .flatMap((s): Deletion[] => {
      if (s.op !== 'DeleteDBInstance' && s.op !== 'DeleteDBCluster') return []
      const kind = s.op === 'DeleteDBCluster' ? 'cluster' : 'instance'
      const was = plan.steps.find((r) =>
        kind === 'instance'
          ? r.op === 'ModifyDBInstance' && r.request.NewDBInstanceIdentifier === s.id
          : r.op === 'ModifyDBCluster' && r.request.NewDBClusterIdentifier === s.id,
      )?.id
      const deletionProtection = plan.steps.some(
        (m) =>
          m.n < s.n &&
          m.id === s.id &&
          ((kind === 'instance' && m.op === 'ModifyDBInstance' && m.request.DeletionProtection === false) ||
            (kind === 'cluster' && m.op === 'ModifyDBCluster' && m.request.DeletionProtection === false)),
      )
      const skipFinalSnapshot = s.request.SkipFinalSnapshot === true
      const finalSnapshot = skipFinalSnapshot ? undefined : s.request.FinalDBSnapshotIdentifier
      return [{ id: s.id, kind, was, deletionProtection, finalSnapshot, skipFinalSnapshot, step: s }]
    })
    .sort((a, b) => (a.kind === b.kind ? a.id.localeCompare(b.id) : a.kind === 'cluster' ? -1 : 1))

/**
 * The end of the text plan: what it deletes (nothing else is), each with its deletion protection
 * and what becomes of its final snapshot; a plan without deletes says so.
 */
export const renderDeletions = (plan: Plan, progress?: ReadonlyArray<StepProgress>): string[] => {
  const ds = deletions(plan)
  if (ds.length === 0) return ['Will delete: nothing.']
  return [
    'Will delete (nothing else is deleted):',
    ...ds.map((d) => {
      const what = [...(d.kind === 'cluster' ? ['DB cluster'] : []), ...(d.was === undefined ? [] : [`was ${d.was}`])]
      const snapshot = d.skipFinalSnapshot
        ? 'no final snapshot'
        : d.finalSnapshot === undefined
          ? 'a final snapshot without a name (RDS refuses such a delete)'
          : `final snapshot ${d.finalSnapshot}`
      return `  ${d.id}${what.length === 0 ? '' : ` (${what.join(', ')})`}: DeletionProtection ${d.deletionProtection ? 'on' : 'off'}, ${snapshot}${progressMark(progress?.[d.step.n - 1])}`
    }),
  ]
}

/**
 * The flight plan; with `progress` (a re-run), steps already done or under way say so. It ends with
 * what the plan deletes (renderDeletions), the last thing a user reads before `Apply?`.
 */
export const renderText = (plan: Plan, progress?: ReadonlyArray<StepProgress>): string => {
  const idWidth = Math.max(...plan.steps.map((s) => s.id.length), 10)
  const opWidth = Math.max(...plan.steps.map((s) => operationLabel(s).length))
  const numWidth = String(plan.steps.length).length
  const waits = (s: Step) => (s.after.length === 0 ? 'now' : `after ${s.after.join(',')}`)
  const waitWidth = Math.max(...plan.steps.map((s) => waits(s).length))
  const finished = progress?.filter((p) => p._tag === 'done').length ?? 0
  const verb =
    plan.kind === 'create'
      ? `create ${plan.target} like ${plan.source}`
      : plan.kind === 'new-cluster'
        ? `clone ${plan.source} into a new cluster ${plan.target}`
        : `clone ${plan.source} into ${plan.target}`
  const lines = [`Plan: ${verb} in ${plan.region}, ${plan.steps.length} steps${finished > 0 ? `, ${finished} already done (run ${plan.run})` : ''}`]
  let phase: Phase | undefined
  for (const s of plan.steps) {
    if (s.phase !== phase) {
      phase = s.phase
      lines.push('', `# ${plan.kind === 'new-cluster' && phase === 'create' ? NEW_CLUSTER_TITLE : PHASE_TITLES[phase]}`)
    }
    lines.push(`${String(s.n).padStart(numWidth)}  ${operationLabel(s).padEnd(opWidth)}  ${s.id.padEnd(idWidth)}  ${waits(s).padEnd(waitWidth)}  ${stepParameters(s)}`.trimEnd() + progressMark(progress?.[s.n - 1]))
  }
  lines.push('', ...renderDeletions(plan, progress))
  return `${lines.join('\n')}\n`
}

export const renderJson = (plan: Plan): string => `${JSON.stringify(plan, null, 2)}\n`
