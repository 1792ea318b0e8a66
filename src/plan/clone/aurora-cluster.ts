/**
 * The Aurora cluster's own part of a clone: its preflight and its copy phase. A copy-on-write clone
 * of the source cluster replaces the target cluster and keeps the target's names and settings; the
 * swap that follows is the shared one (phases.ts). Pure.
 *
 *   copy        RestoreDBClusterToPointInTime(temp-<target>, copy-on-write, latest restorable time,
 *               the target's settings) → ModifyDBCluster (what the restore does not take) →
 *               ModifyDBCluster (a new master password, when asked) → AddRoleToDBCluster for each IAM
 *               role → CreateDBInstance per target member, writer first (clusterBuildSteps, which the
 *               clone into a new cluster, new-cluster.ts, builds its cluster with too)
 *   rename-old  the target cluster and its instances are tagged as this run's, then renamed to old-
 *   rename-temp the temp- cluster and instances take the real names
 *   restart     the hook, then a tag on the cluster saying it ran
 *   delete      the old- instances, then the old- cluster (SkipFinalSnapshot unless a final snapshot)
 */
import type { StepList } from '../steps.js'
import * as E from 'fp-ts/lib/Either.js'
import { arnFor, type DBCluster, type DBInstance, type Environment } from '../domain.js'
import type { Problem } from '../problems.js'
import { identifierProblem, normalizeIdentifier, oldName, tempName } from '../identifiers.js'
import { modifyCluster, passwordFields, type CreateDBInstanceRequest, type NewPassword, type RestoreDBClusterToPointInTimeRequest } from '../operations.js'
import type { Phase } from '../plan.js'
import { clusterRunIdFor, copyTags } from '../runs.js'
import type { CloneSubject } from './subject.js'
import {
  clusterRoles,
  clusterSettings,
  memberSettings,
  MODIFY_CLUSTER_TAKES,
  RESTORE_TAKES,
  type ClusterSettings,
} from '../settings.js'
import { productionCluster } from '../production.js'
import { DEFAULT_QUOTAS } from '../rds-facts.js'

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

const clustersOf = (env: Environment): ReadonlyArray<DBCluster> => env.clusters ?? []

const regionOfArn = (arn: string | undefined): string | undefined => arn?.match(/^arn:[^:]+:rds:([^:]+):/)?.[1]

/** The members of a cluster, writer first, then by promotion tier and name. */
export const membersOf = (c: DBCluster): ReadonlyArray<{ readonly id: string; readonly writer: boolean; readonly tier: number | undefined }> =>
  [...(c.DBClusterMembers ?? [])]
    .map((m) => ({ id: m.DBInstanceIdentifier, writer: m.IsClusterWriter, tier: m.PromotionTier }))
    .sort((a, b) => Number(b.writer) - Number(a.writer) || (a.tier ?? 15) - (b.tier ?? 15) || a.id.localeCompare(b.id))

/** An Aurora clone that can be planned: its run, the two clusters, the target's members (writer first). */
export interface ResolvedCluster {
  readonly run: string
  readonly source: DBCluster
  readonly target: DBCluster
  readonly members: ReadonlyArray<{ readonly id: string; readonly writer: boolean; readonly instance: DBInstance }>
}

/** Every reason the clone cannot be planned; `kind` is cloneKind's answer for the request. */
export const preflightCluster = (env: Environment, req: ClusterCloneRequest, kind: E.Either<ReadonlyArray<Problem>, 'instance' | 'cluster'>): E.Either<ReadonlyArray<Problem>, ResolvedCluster> => {
  const invalid = [req.source, req.target].flatMap((id): Problem[] => {
    const problem = identifierProblem(id)
    return problem === undefined ? [] : [{ _tag: 'InvalidClusterIdentifier', id, problem }]
  })
  if (invalid.length > 0) return E.left(invalid)
  if (E.isLeft(kind)) return kind
  if (kind.right === 'instance') return E.left([{ _tag: 'NotACluster', id: normalizeIdentifier(req.source) }])
  const [sourceId, targetId] = [normalizeIdentifier(req.source), normalizeIdentifier(req.target)]
  if (sourceId === targetId) return E.left([{ _tag: 'SameCluster', id: sourceId }])
  const byCluster = new Map(clustersOf(env).map((c) => [c.DBClusterIdentifier, c]))
  const byInstance = new Map(env.instances.map((i) => [i.DBInstanceIdentifier, i]))
  const source = byCluster.get(sourceId)!
  const target = byCluster.get(targetId)!

  const problems: Problem[] = []
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
  const targetArn = target.DBClusterArn ?? arnFor(env, 'cluster', targetId)
  if ((env.ramSharedClusterArns ?? []).includes(targetArn)) problems.push({ _tag: 'SharedThroughRam', target: targetId, arn: targetArn })

  const members: Array<ResolvedCluster['members'][number]> = []
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
  problems.push(...quotaProblems(env, membersOf(target).length, 1))
  return problems.length > 0 ? E.left(problems) : E.right({ run: clusterRunIdFor(sourceId, target), source, target, members })
}

/** The account's quotas against what a plan adds at its peak: a problem for each it would exceed. */
export const quotaProblems = (env: Environment, extraInstances: number, extraClusters: number): Problem[] => {
  const problems: Problem[] = []
  const limits = { ...DEFAULT_QUOTAS, ...env.quotas }
  if (env.instances.length + extraInstances > limits.DBInstances) {
    problems.push({ _tag: 'QuotaExceeded', resource: 'DB instances', current: env.instances.length, extra: extraInstances, limit: limits.DBInstances, ...(env.quotas?.DBInstances === undefined ? { defaulted: true } : {}) })
  }
  if (clustersOf(env).length + extraClusters > limits.DBClusters) {
    problems.push({ _tag: 'QuotaExceeded', resource: 'DB clusters', current: clustersOf(env).length, extra: extraClusters, limit: limits.DBClusters, ...(env.quotas?.DBClusters === undefined ? { defaulted: true } : {}) })
  }
  return problems
}

const pick = (s: ClusterSettings, keys: ReadonlyArray<keyof ClusterSettings>): Record<string, unknown> =>
  Object.fromEntries(keys.flatMap((k) => (s[k] === undefined ? [] : [[k, Array.isArray(s[k]) ? [...(s[k] as unknown[])] : s[k]]])))

/** The final snapshot's name when one is kept: the target's name, the run, and `final`. */
export const finalSnapshotName = (target: string, run: string): string => `${target}-final-${run}`

/**
 * A copy-on-write clone of `source` into a cluster of its own and its instances, as both Aurora clones
 * build it (the swap clone into temp-<target>, the clone into a new cluster under the target's name).
 */
export interface ClusterBuild {
  readonly source: string
  /** The cluster the restore makes. */
  readonly cluster: string
  /** What RestoreDBClusterToPointInTime takes besides the clone itself (tags included). */
  readonly restore: Omit<RestoreDBClusterToPointInTimeRequest, 'DBClusterIdentifier' | 'SourceDBClusterIdentifier' | 'RestoreType' | 'UseLatestRestorableTime'>
  /** What follows in a ModifyDBCluster (the restore does not take it); nothing when empty. */
  readonly modify: Record<string, unknown>
  /** A new master password, set in a step of its own. */
  readonly password: NewPassword | undefined
  readonly roles: ReadonlyArray<{ readonly RoleArn: string; readonly FeatureName?: string }>
  /** The instances, writer first. */
  readonly members: ReadonlyArray<CreateDBInstanceRequest>
}

/**
 * The steps of a ClusterBuild, in `phase`: the restore (after `after`), its modifies, the roles, the
 * instances (writer first). Gives the steps what follows waits for.
 */
export const clusterBuildSteps = (list: StepList, b: ClusterBuild, phase: Phase, after: ReadonlyArray<number> = []): ReadonlyArray<number> => {
  const restored = list.add(
    {
      op: 'RestoreDBClusterToPointInTime',
      id: b.cluster,
      request: { DBClusterIdentifier: b.cluster, SourceDBClusterIdentifier: b.source, RestoreType: 'copy-on-write', UseLatestRestorableTime: true, ...b.restore },
    },
    phase,
    after,
  )
  let clusterReady = restored
  if (Object.keys(b.modify).length > 0) {
    clusterReady = list.add(modifyCluster(b.cluster, b.modify as Parameters<typeof modifyCluster>[1]), phase, [clusterReady])
  }
  // the source's password stays with the source: the clone gets its own before it is ever reachable
  // under the target's name (a step of its own, so that a re-run can tell the settings apart from it)
  if (b.password !== undefined) {
    clusterReady = list.add(modifyCluster(b.cluster, passwordFields(b.password)), phase, [clusterReady])
  }
  // one role at a time: a cluster takes no second change while the first is under way
  for (const role of b.roles) {
    clusterReady = list.add({ op: 'AddRoleToDBCluster', id: b.cluster, request: { DBClusterIdentifier: b.cluster, ...role } }, phase, [clusterReady])
  }
  const built: number[] = [clusterReady]
  let writer: number | undefined
  for (const request of b.members) {
    // the first instance of a cluster becomes its writer: the writer goes first, the rest wait for it
    const created = list.add({ op: 'CreateDBInstance', id: request.DBInstanceIdentifier, request }, phase, writer === undefined ? [clusterReady] : [writer])
    if (writer === undefined) writer = created
    built.push(created)
  }
  return built
}

/** The copy phase: the clone with the target's settings, what the restore does not take, then the target's instances, writer first. Gives the steps the swap waits for. */
export const copyPhaseOfCluster = (env: Environment, r: ResolvedCluster, list: StepList, password: NewPassword | undefined): ReadonlyArray<number> => {
  const targetId = r.target.DBClusterIdentifier
  const sourceId = r.source.DBClusterIdentifier
  const tempCluster = tempName(targetId)
  const settings = clusterSettings(r.target)
  const tagsOf = (i: DBInstance) => env.tags[i.DBInstanceIdentifier] ?? i.TagList ?? []
  return clusterBuildSteps(
    list,
    {
      source: sourceId,
      cluster: tempCluster,
      restore: { ...pick(settings, RESTORE_TAKES), Tags: [...(settings.Tags ?? []), ...copyTags(r.run, sourceId, targetId)] } as ClusterBuild['restore'],
      modify: pick(settings, MODIFY_CLUSTER_TAKES),
      password,
      roles: clusterRoles(r.target),
      members: r.members.map((m) => {
        const temp = tempName(m.id)
        const member = r.target.DBClusterMembers?.find((x) => x.DBInstanceIdentifier === m.id)
        const { Tags, DBInstanceClass, ...own } = memberSettings(m.instance, member, tagsOf(m.instance))
        return {
          DBInstanceIdentifier: temp,
          DBInstanceClass: DBInstanceClass ?? m.instance.DBInstanceClass,
          Engine: r.target.Engine,
          DBClusterIdentifier: tempCluster,
          ...own,
          Tags: [...(Tags ?? []), ...copyTags(r.run, sourceId, m.id)],
        } as CreateDBInstanceRequest
      }),
    },
    'copy',
  )
}

export const clusterSubject = (r: ResolvedCluster, finalSnapshot: boolean | undefined): CloneSubject => ({
  _tag: 'AuroraCluster',
  cluster: r.target,
  members: r.members,
  finalSnapshot: finalSnapshot === true ? finalSnapshotName(r.target.DBClusterIdentifier, r.run) : undefined,
})
