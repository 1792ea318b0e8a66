/**
 * The state predictor for Aurora plans: applies a cluster plan to an environment step by step, in
 * plan order, with the rules RDS enforces for clusters and their instances, checks the graph
 * (what must wait for what, whatever order a concurrent run picks), and checks the end state: the
 * target cluster and its instances under their names, holding the source cluster's data, with the
 * target's settings, and nothing gone that the plan did not rename to old-. Pure.
 */
import type { Environment } from './domain.js'
import { identifierProblem, OLD_PREFIX, oldName, TEMP_PREFIX } from './identifiers.js'
import { passwordConflict, passwordSet, resourceOf, setsPassword } from './operations.js'
import { type Plan, type Step } from './plan.js'
import { checkGraph } from './predict/graph.js'
import {
  CLUSTER_SETTING_KEYS,
  clusterRoles,
  clusterSettings,
  differences,
  MEMBER_SETTING_KEYS,
  memberSettings,
  roleKey,
  type ClusterSettings,
  type MemberSettings,
} from './settings.js'

export interface PredictedCluster {
  readonly id: string
  readonly engine: string
  /** The planning-time identifier of the cluster this one is (kept through renames). */
  readonly origin: string
  /** The planning-time identifier of the cluster whose data this one holds. */
  readonly dataFrom: string
  readonly settings: ClusterSettings
  readonly roles: ReadonlyArray<string>
  /** Set by the plan: a new master password (`secret`) or one RDS keeps in Secrets Manager (`managed`). */
  readonly password?: 'secret' | 'managed'
}

export interface PredictedMember {
  readonly id: string
  readonly origin: string
  /** The origin of the cluster it belongs to (membership survives the cluster's renames), if any. */
  readonly cluster: string | undefined
  readonly writer: boolean
  readonly settings: MemberSettings
}

export interface ClusterState {
  readonly clusters: ReadonlyMap<string, PredictedCluster>
  readonly instances: ReadonlyMap<string, PredictedMember>
}

export const initialClusterState = (env: Environment): ClusterState => {
  const clusters = new Map<string, PredictedCluster>()
  const memberOf = new Map<string, { cluster: string; writer: boolean; tier: number | undefined }>()
  for (const c of env.clusters ?? []) {
    clusters.set(c.DBClusterIdentifier, {
      id: c.DBClusterIdentifier,
      engine: c.Engine,
      origin: c.DBClusterIdentifier,
      dataFrom: c.DBClusterIdentifier,
      settings: clusterSettings(c),
      roles: clusterRoles(c).map(roleKey).sort(),
    })
    for (const m of c.DBClusterMembers ?? []) memberOf.set(m.DBInstanceIdentifier, { cluster: c.DBClusterIdentifier, writer: m.IsClusterWriter, tier: m.PromotionTier })
  }
  const instances = new Map<string, PredictedMember>()
  for (const i of env.instances) {
    const m = memberOf.get(i.DBInstanceIdentifier)
    const cluster = m?.cluster ?? i.DBClusterIdentifier
    instances.set(i.DBInstanceIdentifier, {
      id: i.DBInstanceIdentifier,
      origin: i.DBInstanceIdentifier,
      cluster,
      writer: m?.writer ?? false,
      settings: memberSettings(
        i,
        m === undefined ? undefined : { DBInstanceIdentifier: i.DBInstanceIdentifier, IsClusterWriter: m.writer, ...(m.tier === undefined ? {} : { PromotionTier: m.tier }) },
        env.tags[i.DBInstanceIdentifier] ?? i.TagList ?? [],
      ),
    })
  }
  return { clusters, instances }
}

const pickDefined = <T extends object>(request: Record<string, unknown>, keys: ReadonlyArray<keyof T>): Partial<T> =>
  Object.fromEntries(keys.flatMap((k) => (request[k as string] === undefined ? [] : [[k, request[k as string]]]))) as Partial<T>

interface Ctx {
  readonly source: string
  readonly renamedToOld: Set<string>
}

const applyStep = (clusters: Map<string, PredictedCluster>, instances: Map<string, PredictedMember>, step: Step, ctx: Ctx): string[] => {
  const v: string[] = []
  const at = `step ${step.n} (${step.op} ${step.id})`
  const needCluster = (id: string) => {
    const c = clusters.get(id)
    if (c === undefined) v.push(`${at}: cluster ${id} does not exist at that point`)
    return c
  }
  const needInstance = (id: string) => {
    const i = instances.get(id)
    if (i === undefined) v.push(`${at}: instance ${id} does not exist at that point`)
    return i
  }
  const claim = (id: string, taken: ReadonlyMap<string, unknown>) => {
    const problem = identifierProblem(id)
    if (problem !== undefined) v.push(`${at}: ${id} ${problem}`)
    if (taken.has(id)) v.push(`${at}: ${id} is already taken`)
  }
  const notSource = (c: PredictedCluster | undefined) => {
    if (c !== undefined && c.origin === ctx.source) v.push(`${at}: would modify the source cluster ${ctx.source}`)
  }
  const notSourceMember = (i: PredictedMember | undefined) => {
    if (i !== undefined && i.cluster === ctx.source) v.push(`${at}: would modify ${i.id}, an instance of the source cluster ${ctx.source}`)
  }
  const membersOf = (origin: string) => [...instances.values()].filter((i) => i.cluster === origin)

  switch (step.op) {
    case 'RestoreDBClusterToPointInTime': {
      const r = step.request
      if (r.DBClusterIdentifier !== step.id) v.push(`${at}: request names ${r.DBClusterIdentifier}`)
      claim(step.id, clusters)
      if (r.RestoreType !== 'copy-on-write') v.push(`${at}: RestoreType is ${r.RestoreType}, not copy-on-write`)
      if (r.UseLatestRestorableTime !== true) v.push(`${at}: does not restore to the latest restorable time`)
      const src = needCluster(r.SourceDBClusterIdentifier)
      if (src === undefined) break
      if (membersOf(src.origin).length === 0) v.push(`${at}: its source ${src.id} has no instances at that point`)
      const settings = pickDefined<ClusterSettings>(r as Record<string, unknown>, CLUSTER_SETTING_KEYS)
      clusters.set(step.id, { id: step.id, engine: src.engine, origin: step.id, dataFrom: src.dataFrom, settings, roles: [] })
      break
    }
    case 'ModifyDBCluster': {
      const c = needCluster(step.id)
      notSource(c)
      if (c === undefined) break
      const conflict = passwordConflict(step)
      if (conflict !== undefined) v.push(`${at}: ${conflict}`)
      const r = step.request as Record<string, unknown>
      const changed: Partial<ClusterSettings> = pickDefined<ClusterSettings>(r, CLUSTER_SETTING_KEYS)
      const logs = step.request.CloudwatchLogsExportConfiguration?.EnableLogTypes
      const settings = { ...c.settings, ...changed, ...(logs === undefined ? {} : { EnableCloudwatchLogsExports: logs }) }
      const newId = step.request.NewDBClusterIdentifier
      const password = passwordSet(step) ?? c.password
      if (newId === undefined) {
        clusters.set(step.id, { ...c, settings, ...(password === undefined ? {} : { password }) })
        break
      }
      claim(newId, clusters)
      clusters.delete(step.id)
      clusters.set(newId, { ...c, id: newId, settings })
      if (newId === oldName(step.id)) ctx.renamedToOld.add(`cluster:${newId}`)
      break
    }
    case 'AddRoleToDBCluster': {
      const c = needCluster(step.id)
      notSource(c)
      if (c === undefined) break
      const key = roleKey(step.request)
      if (c.roles.includes(key)) v.push(`${at}: ${step.id} already has the role ${key}`)
      clusters.set(step.id, { ...c, roles: [...c.roles, key].sort() })
      break
    }
    case 'CreateDBInstance': {
      const r = step.request
      if (r.DBInstanceIdentifier !== step.id) v.push(`${at}: request names ${r.DBInstanceIdentifier}`)
      claim(step.id, instances)
      const c = needCluster(r.DBClusterIdentifier)
      notSource(c)
      if (c === undefined) break
      if (c.engine !== r.Engine) v.push(`${at}: engine ${r.Engine} does not match the cluster's ${c.engine}`)
      const writer = membersOf(c.origin).length === 0
      const settings = pickDefined<MemberSettings>(r as Record<string, unknown>, MEMBER_SETTING_KEYS)
      instances.set(step.id, { id: step.id, origin: step.id, cluster: c.origin, writer, settings })
      break
    }
    case 'ModifyDBInstance': {
      const i = needInstance(step.id)
      notSourceMember(i)
      if (i === undefined) break
      const r = step.request as Record<string, unknown>
      const settings = { ...i.settings, ...pickDefined<MemberSettings>(r, MEMBER_SETTING_KEYS.filter((k) => k !== 'Tags')) }
      const newId = step.request.NewDBInstanceIdentifier
      if (newId === undefined) {
        instances.set(step.id, { ...i, settings })
        break
      }
      claim(newId, instances)
      instances.delete(step.id)
      instances.set(newId, { ...i, id: newId, settings })
      if (newId === oldName(step.id)) ctx.renamedToOld.add(`db:${newId}`)
      break
    }
    case 'AddTagsToResource': {
      const merge = <S extends { readonly Tags?: ReadonlyArray<{ Key: string; Value: string }> }>(s: S): S => {
        const keys = new Set(step.request.Tags.map((t) => t.Key))
        return { ...s, Tags: [...(s.Tags ?? []).filter((t) => !keys.has(t.Key)), ...step.request.Tags] }
      }
      if (resourceOf(step)?.kind === 'cluster') {
        const c = needCluster(step.id)
        notSource(c)
        if (c !== undefined) clusters.set(step.id, { ...c, settings: merge(c.settings) })
      } else {
        const i = needInstance(step.id)
        notSourceMember(i)
        if (i !== undefined) instances.set(step.id, { ...i, settings: merge(i.settings) })
      }
      break
    }
    case 'DeleteDBInstance': {
      const i = needInstance(step.id)
      notSourceMember(i)
      if (!ctx.renamedToOld.has(`db:${step.id}`)) v.push(`${at}: ${step.id} was not renamed to ${OLD_PREFIX}* by this plan, so it is not the plan's to delete`)
      if (step.request.SkipFinalSnapshot !== true && step.request.FinalDBSnapshotIdentifier === undefined && i?.cluster === undefined) {
        v.push(`${at}: needs SkipFinalSnapshot or FinalDBSnapshotIdentifier`)
      }
      if (i !== undefined) instances.delete(step.id)
      break
    }
    case 'DeleteDBCluster': {
      const c = needCluster(step.id)
      notSource(c)
      if (!ctx.renamedToOld.has(`cluster:${step.id}`)) v.push(`${at}: ${step.id} was not renamed to ${OLD_PREFIX}* by this plan, so it is not the plan's to delete`)
      if (step.request.SkipFinalSnapshot !== true && step.request.FinalDBSnapshotIdentifier === undefined) {
        v.push(`${at}: needs SkipFinalSnapshot or FinalDBSnapshotIdentifier`)
      }
      if (c === undefined) break
      if (c.settings.DeletionProtection === true) v.push(`${at}: ${step.id} still has deletion protection on`)
      const left = membersOf(c.origin).map((i) => i.id)
      if (left.length > 0) v.push(`${at}: ${step.id} still has instances (${left.join(', ')})`)
      clusters.delete(step.id)
      break
    }
    case 'RunCommand':
      break
    case 'CreateDBInstanceReadReplica':
    case 'RestoreDBInstanceFromDBSnapshot':
    case 'PromoteReadReplica':
      v.push(`${at}: is not a step of an Aurora cluster clone`)
      break
  }
  return v
}

export interface ClusterPrediction {
  readonly state: ClusterState
  readonly violations: ReadonlyArray<string>
}

/** Runs a cluster plan through the predictor in plan order. */
export const predictCluster = (env: Environment, plan: Plan): ClusterPrediction => {
  const initial = initialClusterState(env)
  const clusters = new Map(initial.clusters)
  const instances = new Map(initial.instances)
  const ctx: Ctx = { source: plan.source, renamedToOld: new Set() }
  const violations = [...checkGraph(plan)]
  for (const step of plan.steps) violations.push(...applyStep(clusters, instances, step, ctx))
  return { state: { clusters, instances }, violations }
}

/**
 * Every check an Aurora plan must pass before anyone sees it: RDS's rules and ours along the way,
 * then the end state: the target cluster under its name, a new cluster holding the source's data,
 * with the target's settings and IAM roles; the same member names, the same writer, each with its
 * settings; everything else exactly as it was; no temp- or old- left behind.
 */
export const checkClusterPlan = (env: Environment, plan: Plan): ReadonlyArray<string> => {
  const { state, violations } = predictCluster(env, plan)
  const v = [...violations]
  const before = initialClusterState(env)
  const target = (env.clusters ?? []).find((c) => c.DBClusterIdentifier === plan.target)
  if (target === undefined) return [...v, `cluster ${plan.target} does not exist`]
  const sourceData = before.clusters.get(plan.source)?.dataFrom ?? plan.source
  const wanted = before.clusters.get(plan.target)!
  const memberIds = new Set((target.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier))

  const after = state.clusters.get(plan.target)
  if (after === undefined) v.push(`end state: cluster ${plan.target} is missing`)
  else {
    if (after.origin === plan.target) v.push(`end state: ${plan.target} is still the original cluster`)
    if (after.dataFrom !== sourceData) v.push(`end state: ${plan.target} holds the data of ${after.dataFrom}, not of ${plan.source}`)
    const diffs = differences(CLUSTER_SETTING_KEYS, wanted.settings, after.settings)
    if (diffs.length > 0) v.push(`end state: ${plan.target} does not keep the target's settings: ${diffs.join(', ')}`)
    if (plan.steps.some(setsPassword) && after.password === undefined) v.push(`end state: ${plan.target} still has ${plan.source}'s master password, not its new one`)
    if (JSON.stringify(after.roles) !== JSON.stringify(wanted.roles)) {
      v.push(`end state: ${plan.target} has the IAM roles [${after.roles.join(', ')}], not [${wanted.roles.join(', ')}]`)
    }
    const members = [...state.instances.values()].filter((i) => i.cluster === after.origin)
    const ids = new Set(members.map((i) => i.id))
    for (const id of memberIds) if (!ids.has(id)) v.push(`end state: ${id} is not an instance of ${plan.target}`)
    for (const id of ids) if (!memberIds.has(id)) v.push(`end state: ${id} is an instance of ${plan.target} that the target did not have`)
    for (const m of members) {
      const prior = before.instances.get(m.id)
      if (prior === undefined) continue
      if (m.origin === m.id) v.push(`end state: ${m.id} is still the original instance`)
      if (m.writer !== prior.writer) v.push(`end state: ${m.id} is ${m.writer ? 'the writer' : 'a reader'}, but was ${prior.writer ? 'the writer' : 'a reader'}`)
      const diffs = differences(MEMBER_SETTING_KEYS, prior.settings, m.settings)
      if (diffs.length > 0) v.push(`end state: ${m.id} does not keep the target's settings: ${diffs.join(', ')}`)
    }
  }

  const deletes = plan.steps.some((s) => s.op === 'DeleteDBCluster' || s.op === 'DeleteDBInstance')
  const leftovers = (id: string, existed: boolean) =>
    (id.startsWith(TEMP_PREFIX) && !existed) || (deletes && id.startsWith(OLD_PREFIX) && !existed) ? [`end state: ${id} is left behind`] : []
  for (const [id, c] of state.clusters) {
    if (id === plan.target) continue
    const prior = before.clusters.get(id)
    v.push(...leftovers(id, prior !== undefined))
    if (prior !== undefined && JSON.stringify(prior) !== JSON.stringify(c)) v.push(`end state: cluster ${id}, which is not the target, was changed`)
  }
  for (const id of before.clusters.keys()) {
    if (id !== plan.target && !state.clusters.has(id)) v.push(`end state: cluster ${id}, which is not the target, is gone`)
  }
  for (const [id, i] of state.instances) {
    if (memberIds.has(id)) continue
    const prior = before.instances.get(id)
    v.push(...leftovers(id, prior !== undefined))
    if (prior !== undefined && JSON.stringify(prior) !== JSON.stringify(i)) v.push(`end state: ${id}, which is not an instance of the target, was changed`)
  }
  for (const id of before.instances.keys()) {
    if (!memberIds.has(id) && !state.instances.has(id)) v.push(`end state: ${id}, which is not an instance of the target, is gone`)
  }
  return v
}
