/**
 * The Aurora planner: a copy-on-write clone of the source cluster replaces the target cluster and
 * keeps the target's names and settings. Pure: a function from what describe showed to a Plan.
 *
 *   copy        RestoreDBClusterToPointInTime(temp-<target>, copy-on-write, latest restorable time,
 *               the target's settings) → ModifyDBCluster (what the restore does not take) →
 *               ModifyDBCluster (a new master password, when asked) → AddRoleToDBCluster for each IAM
 *               role → CreateDBInstance per target member, writer first
 *   rename-old  the target cluster and its instances are tagged as this run's, then renamed to old-
 *   rename-temp the temp- cluster and instances take the real names
 *   restart     the hook, then a tag on the cluster saying it ran
 *   delete      the old- instances, then the old- cluster (SkipFinalSnapshot unless a final snapshot)
 */
import { StepList } from './steps.js'
import * as E from 'fp-ts/lib/Either.js'
import { arnPrefix, type DBCluster, type DBInstance, type Environment } from './domain.js'
import type { PlanProblem } from './errors.js'
import { renderProblem } from './errors.js'
import { identifierProblem, normalizeIdentifier, oldName, tempName } from './identifiers.js'
import { passwordFields, type NewPassword } from './operations.js'
import { PLAN_VERSION, type Plan } from './plan.js'
import { copyTags, fnv1a, renamedTags, TAG_RESTARTED } from './runs.js'
import {
  clusterRoles,
  clusterSettings,
  memberSettings,
  MODIFY_CLUSTER_TAKES,
  RESTORE_TAKES,
  type ClusterSettings,
} from './cluster-settings.js'
import { checkPlan } from './predict/end-state.js'
import { clusterRunInProgress } from './cluster-runs.js'
import { productionCluster } from './production.js'

export interface ClusterCloneRequest {
  readonly source: string
  readonly target: string
  /** Shell command that restarts the application after the swap, before anything is deleted. */
  readonly restart?: string | undefined
  /** Keep a final snapshot of the old cluster instead of SkipFinalSnapshot. */
  readonly finalSnapshot?: boolean | undefined
  /** A clone inherits the source's master password: a new one, set before the clone takes the target's name. */
  readonly password?: NewPassword | undefined
  /**
   * Replace (and delete) a target cluster that is tagged as production, or has a member instance that
   * is (`environment`, `env` or `stage` = `prod` or `production`, any case); refused without this.
   */
  readonly allowProductionTarget?: boolean | undefined
}

/** RDS's default quotas per region (aws-facts.md). */
export const DEFAULT_QUOTAS = { DBInstances: 40, DBClusters: 40 } as const

/** Why an Aurora clone cannot be planned (beyond what PlanProblem already says). */
export type ClusterProblem =
  | { readonly _tag: 'NoSuchCluster'; readonly ids: ReadonlyArray<string>; readonly region: string }
  | { readonly _tag: 'InvalidClusterIdentifier'; readonly id: string; readonly problem: string }
  | { readonly _tag: 'InstanceAndCluster'; readonly id: string }
  | { readonly _tag: 'NotACluster'; readonly id: string }
  | { readonly _tag: 'SameCluster'; readonly id: string }
  | { readonly _tag: 'RegionMismatch'; readonly source: string; readonly sourceRegion: string; readonly target: string; readonly targetRegion: string }
  | { readonly _tag: 'VersionMismatch'; readonly source: string; readonly sourceVersion: string; readonly target: string; readonly targetVersion: string }
  | { readonly _tag: 'SourceWithoutInstances'; readonly source: string }
  | { readonly _tag: 'SharedThroughRam'; readonly target: string; readonly arn: string }
  | { readonly _tag: 'MissingMember'; readonly cluster: string; readonly id: string }
  | { readonly _tag: 'QuotaExceeded'; readonly resource: 'DB instances' | 'DB clusters'; readonly current: number; readonly extra: number; readonly limit: number; readonly defaulted?: boolean }

export type ClusterPlanProblem = PlanProblem | ClusterProblem

const isClusterProblem = (p: ClusterPlanProblem): p is ClusterProblem =>
  ['NoSuchCluster', 'InvalidClusterIdentifier', 'InstanceAndCluster', 'NotACluster', 'SameCluster', 'RegionMismatch', 'VersionMismatch',
    'SourceWithoutInstances', 'SharedThroughRam', 'MissingMember', 'QuotaExceeded'].includes(p._tag)

/** One line per problem, naming the cluster or instance it is about. */
export const renderClusterProblem = (p: ClusterPlanProblem): string => {
  if (!isClusterProblem(p)) return renderProblem(p)
  switch (p._tag) {
    case 'NoSuchCluster':
      return `${p.ids.join(', ')}: no such DB cluster or DB instance in ${p.region}`
    case 'InvalidClusterIdentifier':
      return `${JSON.stringify(p.id)} is not a valid DB cluster identifier: it ${p.problem}`
    case 'InstanceAndCluster':
      return `${p.id}: names both a DB instance and an Aurora DB cluster; cannot tell which to clone (rename one of them)`
    case 'NotACluster':
      return `${p.id}: is a DB instance, not an Aurora cluster, but the other side is a cluster; source and target must both be clusters or both be instances`
    case 'SameCluster':
      return `${p.id}: source and target are the same DB cluster`
    case 'RegionMismatch':
      return `${p.source} is in ${p.sourceRegion} but ${p.target} is in ${p.targetRegion}; a copy-on-write clone stays in its source's region`
    case 'VersionMismatch':
      return `${p.source} runs version ${p.sourceVersion} but ${p.target} runs ${p.targetVersion}; a clone keeps the source's major version, so the target's parameter groups would not fit`
    case 'SourceWithoutInstances':
      return `${p.source}: the source cluster has no DB instances; a copy-on-write clone needs at least one`
    case 'SharedThroughRam':
      return `${p.target}: is shared with other accounts through AWS RAM (${p.arn}); refusing to replace a shared cluster`
    case 'MissingMember':
      return `${p.cluster}: its member ${p.id} is not among the described DB instances`
    case 'QuotaExceeded':
      return `quota: the clone needs ${p.extra} more ${p.resource} beside the ${p.current} there are, ${p.current + p.extra} in all, over the limit of ${p.limit}${p.defaulted === true ? ' (default quota)' : ''}; raise the quota or make room first`
  }
}

export const renderClusterProblems = (ps: ReadonlyArray<ClusterPlanProblem>): string => ps.map(renderClusterProblem).join('; ')

const clustersOf = (env: Environment): ReadonlyArray<DBCluster> => env.clusters ?? []

/**
 * What `--source` and `--target` name: both instances (the instance planner's job), both clusters
 * (this planner's), or a clear refusal (one of each, one that is both, or neither).
 */
export const cloneKind = (env: Environment, source: string, target: string): E.Either<ReadonlyArray<ClusterPlanProblem>, 'instance' | 'cluster'> => {
  const kinds = [source, target].map((raw) => {
    const id = normalizeIdentifier(raw)
    const instance = env.instances.some((i) => i.DBInstanceIdentifier === id)
    const cluster = clustersOf(env).some((c) => c.DBClusterIdentifier === id)
    return { id, kind: instance && cluster ? 'both' : instance ? 'instance' : cluster ? 'cluster' : 'none' }
  })
  const problems: ClusterPlanProblem[] = kinds.filter((k) => k.kind === 'both').map((k) => ({ _tag: 'InstanceAndCluster', id: k.id }))
  const missing = kinds.filter((k) => k.kind === 'none').map((k) => k.id)
  if (missing.length > 0) problems.push({ _tag: 'NoSuchCluster', ids: [...new Set(missing)], region: env.region })
  if (problems.length > 0) return E.left(problems)
  const [s, t] = kinds as [{ id: string; kind: string }, { id: string; kind: string }]
  if (s.kind === t.kind) return E.right(s.kind as 'instance' | 'cluster')
  return E.left([s.kind === 'instance' ? { _tag: 'NotACluster', id: s.id } : { _tag: 'NotACluster', id: t.id }])
}


/** The id of the run that replaces `target` with `source`'s data: from the target's DbClusterResourceId, which renames keep. */
export const clusterRunIdFor = (source: string, target: DBCluster): string =>
  `r${fnv1a(`cluster\n${source}\n${target.DBClusterIdentifier}\n${target.DbClusterResourceId ?? target.DBClusterArn ?? target.ClusterCreateTime ?? ''}`)}`

export const clusterArn = (env: Environment, id: string): string => {
  const known = clustersOf(env).map((c) => c.DBClusterArn).find((a) => a !== undefined)
  const m = known?.match(/^(arn:[^:]+:rds:[^:]*:[^:]*):cluster:/)
  return `${m?.[1] ?? arnPrefix(env)}:cluster:${id}`
}

const instanceArnOf = (env: Environment, id: string): string => {
  const known = env.instances.map((i) => i.DBInstanceArn).find((a) => a !== undefined)
  const m = known?.match(/^(arn:[^:]+:rds:[^:]*:[^:]*):db:/)
  if (m?.[1] !== undefined) return `${m[1]}:db:${id}`
  return clusterArn(env, id).replace(/:cluster:[^:]*$/, `:db:${id}`)
}

const regionOfArn = (arn: string | undefined): string | undefined => arn?.match(/^arn:[^:]+:rds:([^:]+):/)?.[1]

/** The members of a cluster, writer first, then by promotion tier and name. */
export const membersOf = (c: DBCluster): ReadonlyArray<{ readonly id: string; readonly writer: boolean; readonly tier: number | undefined }> =>
  [...(c.DBClusterMembers ?? [])]
    .map((m) => ({ id: m.DBInstanceIdentifier, writer: m.IsClusterWriter, tier: m.PromotionTier }))
    .sort((a, b) => Number(b.writer) - Number(a.writer) || (a.tier ?? 15) - (b.tier ?? 15) || a.id.localeCompare(b.id))

interface Resolved {
  readonly run: string
  readonly source: DBCluster
  readonly target: DBCluster
  readonly members: ReadonlyArray<{ readonly id: string; readonly writer: boolean; readonly instance: DBInstance }>
}

const preflight = (env: Environment, req: ClusterCloneRequest): E.Either<ReadonlyArray<ClusterPlanProblem>, Resolved> => {
  const invalid = [req.source, req.target].flatMap((id): ClusterPlanProblem[] => {
    const problem = identifierProblem(id)
    return problem === undefined ? [] : [{ _tag: 'InvalidClusterIdentifier', id, problem }]
  })
  if (invalid.length > 0) return E.left(invalid)
  const kind = cloneKind(env, req.source, req.target)
  if (E.isLeft(kind)) return kind
  if (kind.right === 'instance') return E.left([{ _tag: 'NotACluster', id: normalizeIdentifier(req.source) }])
  const [sourceId, targetId] = [normalizeIdentifier(req.source), normalizeIdentifier(req.target)]
  if (sourceId === targetId) return E.left([{ _tag: 'SameCluster', id: sourceId }])
  const byCluster = new Map(clustersOf(env).map((c) => [c.DBClusterIdentifier, c]))
  const byInstance = new Map(env.instances.map((i) => [i.DBInstanceIdentifier, i]))
  const source = byCluster.get(sourceId)!
  const target = byCluster.get(targetId)!

  const problems: ClusterPlanProblem[] = []
  // the target cluster and its instances are deleted at the end: none may be production unless allowed
  const production = req.allowProductionTarget === true ? undefined : productionCluster(env, target)
  if (production !== undefined) problems.push(production)
  const [sr, tr] = [regionOfArn(source.DBClusterArn) ?? env.region, regionOfArn(target.DBClusterArn) ?? env.region]
  if (sr !== tr) problems.push({ _tag: 'RegionMismatch', source: sourceId, sourceRegion: sr, target: targetId, targetRegion: tr })
  if (source.Engine !== target.Engine) {
    problems.push({ _tag: 'EngineMismatch', source: sourceId, sourceEngine: source.Engine, target: targetId, targetEngine: target.Engine })
  }
  const major = (v: string | undefined) => v?.split('.')[0]
  if (source.Engine === target.Engine && major(source.EngineVersion) !== major(target.EngineVersion)) {
    problems.push({ _tag: 'VersionMismatch', source: sourceId, sourceVersion: source.EngineVersion ?? '?', target: targetId, targetVersion: target.EngineVersion ?? '?' })
  }
  if ((source.DBClusterMembers ?? []).length === 0) problems.push({ _tag: 'SourceWithoutInstances', source: sourceId })
  const targetArn = target.DBClusterArn ?? clusterArn(env, targetId)
  if ((env.ramSharedClusterArns ?? []).includes(targetArn)) problems.push({ _tag: 'SharedThroughRam', target: targetId, arn: targetArn })

  const members: Array<Resolved['members'][number]> = []
  for (const m of membersOf(target)) {
    const instance = byInstance.get(m.id)
    if (instance === undefined) problems.push({ _tag: 'MissingMember', cluster: targetId, id: m.id })
    else members.push({ id: m.id, writer: m.writer, instance })
  }
  const names: Array<{ name: string; taken: string | undefined }> = []
  for (const name of [tempName(targetId), oldName(targetId)]) names.push({ name, taken: byCluster.get(name)?.Status })
  for (const m of membersOf(target)) for (const name of [tempName(m.id), oldName(m.id)]) names.push({ name, taken: byInstance.get(name)?.DBInstanceStatus })
  if (req.finalSnapshot === true) names.push({ name: finalSnapshotName(targetId, clusterRunIdFor(sourceId, target)), taken: undefined })
  for (const { name, taken } of names) {
    const problem = identifierProblem(name)
    if (problem !== undefined) problems.push({ _tag: 'NameTooLong', id: name, problem })
    if (taken !== undefined) problems.push({ _tag: 'NameTaken', id: name, status: taken })
  }

  // at its peak the swap holds the old and the new side at once
  const limits = { ...DEFAULT_QUOTAS, ...env.quotas }
  const extraInstances = membersOf(target).length
  if (env.instances.length + extraInstances > limits.DBInstances) {
    problems.push({ _tag: 'QuotaExceeded', resource: 'DB instances', current: env.instances.length, extra: extraInstances, limit: limits.DBInstances, ...(env.quotas?.DBInstances === undefined ? { defaulted: true } : {}) })
  }
  if (clustersOf(env).length + 1 > limits.DBClusters) {
    problems.push({ _tag: 'QuotaExceeded', resource: 'DB clusters', current: clustersOf(env).length, extra: 1, limit: limits.DBClusters, ...(env.quotas?.DBClusters === undefined ? { defaulted: true } : {}) })
  }
  return problems.length > 0 ? E.left(problems) : E.right({ run: clusterRunIdFor(sourceId, target), source, target, members })
}


const pick = (s: ClusterSettings, keys: ReadonlyArray<keyof ClusterSettings>): Record<string, unknown> =>
  Object.fromEntries(keys.flatMap((k) => (s[k] === undefined ? [] : [[k, Array.isArray(s[k]) ? [...(s[k] as unknown[])] : s[k]]])))

/** The final snapshot's name when one is kept: the target's name, the run, and `final`. */
export const finalSnapshotName = (target: string, run: string): string => `${target}-final-${run}`

/**
 * Plans the Aurora clone. Refuses, one line per reason (see renderClusterProblem), when the clone
 * cannot be done or the plan fails its own check (checkPlan). When a run for this source and
 * target is already under way (its tags say so), the plan is that run's whole plan, made on the
 * world as it was before the run began; `planProgress` tells which of its steps are done.
 */
export const planClusterClone = (current: Environment, req: ClusterCloneRequest): E.Either<ReadonlyArray<ClusterPlanProblem>, Plan> => {
  const resumed = clusterRunInProgress(current, normalizeIdentifier(req.source), normalizeIdentifier(req.target))
  const env = resumed?.original ?? current
  const resolved = preflight(env, req)
  if (E.isLeft(resolved)) return resolved
  const r = resolved.right
  const list = new StepList()
  const targetId = r.target.DBClusterIdentifier
  const sourceId = r.source.DBClusterIdentifier
  const tempCluster = tempName(targetId)
  const settings = clusterSettings(r.target)
  const tagsOf = (i: DBInstance) => env.tags[i.DBInstanceIdentifier] ?? i.TagList ?? []

  // 1. copy: the clone, what the restore does not take, then the instances, writer first
  const restored = list.add(
    {
      op: 'RestoreDBClusterToPointInTime',
      id: tempCluster,
      request: {
        DBClusterIdentifier: tempCluster,
        SourceDBClusterIdentifier: sourceId,
        RestoreType: 'copy-on-write',
        UseLatestRestorableTime: true,
        ...pick(settings, RESTORE_TAKES),
        Tags: [...(settings.Tags ?? []), ...copyTags(r.run, sourceId, targetId)],
      },
    },
    'copy',
    [],
  )
  let clusterReady = restored
  const rest = pick(settings, MODIFY_CLUSTER_TAKES)
  if (Object.keys(rest).length > 0) {
    clusterReady = list.add(
      { op: 'ModifyDBCluster', id: tempCluster, request: { DBClusterIdentifier: tempCluster, ...rest, ApplyImmediately: true } },
      'copy',
      [clusterReady],
    )
  }
  // the source's password stays with the source: the clone gets its own before it is ever reachable
  // under the target's name (a step of its own, so that a re-run can tell the settings apart from it)
  if (req.password !== undefined) {
    clusterReady = list.add(
      { op: 'ModifyDBCluster', id: tempCluster, request: { DBClusterIdentifier: tempCluster, ...passwordFields(req.password), ApplyImmediately: true } },
      'copy',
      [clusterReady],
    )
  }
  // one role at a time: a cluster takes no second change while the first is under way
  for (const role of clusterRoles(r.target)) {
    clusterReady = list.add(
      { op: 'AddRoleToDBCluster', id: tempCluster, request: { DBClusterIdentifier: tempCluster, ...role } },
      'copy',
      [clusterReady],
    )
  }
  const built: number[] = [clusterReady]
  let writer: number | undefined
  for (const m of r.members) {
    const temp = tempName(m.id)
    const member = r.target.DBClusterMembers?.find((x) => x.DBInstanceIdentifier === m.id)
    const { Tags, DBInstanceClass, ...own } = memberSettings(m.instance, member, tagsOf(m.instance))
    const created = list.add(
      {
        op: 'CreateDBInstance',
        id: temp,
        request: {
          DBInstanceIdentifier: temp,
          DBInstanceClass: DBInstanceClass ?? m.instance.DBInstanceClass,
          Engine: r.target.Engine,
          DBClusterIdentifier: tempCluster,
          ...own,
          Tags: [...(Tags ?? []), ...copyTags(r.run, sourceId, m.id)],
        },
      },
      'copy',
      // the first instance of a cluster becomes its writer: the target's writer goes first
      writer === undefined ? [clusterReady] : [writer],
    )
    if (writer === undefined) writer = created
    built.push(created)
  }

  // 2. rename-old: tagged as this run's first, so a re-run knows old-<name> as its own
  const renamedOld = new Map<string, number>()
  const awayCluster = list.add(
    { op: 'AddTagsToResource', id: targetId, request: { ResourceName: clusterArn(env, targetId), Tags: renamedTags(r.run, targetId) } },
    'rename-old',
    built,
  )
  const clusterAway = list.add(
    { op: 'ModifyDBCluster', id: targetId, request: { DBClusterIdentifier: targetId, NewDBClusterIdentifier: oldName(targetId), ApplyImmediately: true } },
    'rename-old',
    [awayCluster],
  )
  for (const m of r.members) {
    const marked = list.add(
      { op: 'AddTagsToResource', id: m.id, request: { ResourceName: instanceArnOf(env, m.id), Tags: renamedTags(r.run, m.id) } },
      'rename-old',
      built,
    )
    renamedOld.set(
      m.id,
      list.add(
        { op: 'ModifyDBInstance', id: m.id, request: { DBInstanceIdentifier: m.id, NewDBInstanceIdentifier: oldName(m.id), ApplyImmediately: true } },
        'rename-old',
        [marked],
      ),
    )
  }

  // 3. rename-temp: each name is taken back as soon as it is free
  const renamedIn: number[] = [
    list.add(
      { op: 'ModifyDBCluster', id: tempCluster, request: { DBClusterIdentifier: tempCluster, NewDBClusterIdentifier: targetId, ApplyImmediately: true } },
      'rename-temp',
      [clusterAway],
    ),
  ]
  for (const m of r.members) {
    const temp = tempName(m.id)
    renamedIn.push(
      list.add(
        { op: 'ModifyDBInstance', id: temp, request: { DBInstanceIdentifier: temp, NewDBInstanceIdentifier: m.id, ApplyImmediately: true } },
        'rename-temp',
        [renamedOld.get(m.id)!],
      ),
    )
  }

  // 4. restart: the hook, then a tag on the cluster so that a re-run does not restart twice
  const swapped =
    req.restart === undefined
      ? renamedIn
      : [
          list.add(
            { op: 'AddTagsToResource', id: targetId, request: { ResourceName: clusterArn(env, targetId), Tags: [{ Key: TAG_RESTARTED, Value: r.run }] } },
            'restart',
            [list.add({ op: 'RunCommand', id: targetId, request: { Command: req.restart } }, 'restart', renamedIn)],
          ),
        ]

  // 5. delete: the old instances side by side, then the old cluster
  const gone: number[] = []
  for (const m of r.members) {
    const old = oldName(m.id)
    const unprotected =
      m.instance.DeletionProtection === true
        ? [list.add({ op: 'ModifyDBInstance', id: old, request: { DBInstanceIdentifier: old, DeletionProtection: false, ApplyImmediately: true } }, 'delete', swapped)]
        : swapped
    gone.push(list.add({ op: 'DeleteDBInstance', id: old, request: { DBInstanceIdentifier: old, SkipFinalSnapshot: true } }, 'delete', unprotected))
  }
  const oldCluster = oldName(targetId)
  if (r.target.DeletionProtection === true) {
    gone.push(
      list.add({ op: 'ModifyDBCluster', id: oldCluster, request: { DBClusterIdentifier: oldCluster, DeletionProtection: false, ApplyImmediately: true } }, 'delete', swapped),
    )
  }
  list.add(
    {
      op: 'DeleteDBCluster',
      id: oldCluster,
      request:
        req.finalSnapshot === true
          ? { DBClusterIdentifier: oldCluster, FinalDBSnapshotIdentifier: finalSnapshotName(targetId, r.run) }
          : { DBClusterIdentifier: oldCluster, SkipFinalSnapshot: true },
    },
    'delete',
    [...swapped, ...gone],
  )

  const plan: Plan = { version: PLAN_VERSION, kind: 'aurora-cluster', region: env.region, run: r.run, source: sourceId, target: targetId, steps: list.steps }
  const violations = checkPlan(env, plan)
  return violations.length > 0 ? E.left([{ _tag: 'PlanViolations', violations }]) : E.right(plan)
}
