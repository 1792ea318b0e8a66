/**
 * The one check every plan passes before anyone sees it and again before a saved plan is applied: the
 * plan run through the one predictor in plan order (the graph rules, and RDS's and ours at every step),
 * then the end state. Every plan leaves nothing behind (no temp- or old- it made), touches nothing but
 * what it is for, and only reads its source; and each kind reaches its own end: a replica tree, the target
 * tree's shape, names and settings holding the source's data; an Aurora clone, the target cluster with its
 * members, writer, settings and roles holding the source cluster's data; a create, only what it creates,
 * under names that are free or the run's own. Pure.
 */
import type { Environment } from '../domain.js'
import { breadthFirst, replicaForest, replicaTree } from '../forest.js'
import { OLD_PREFIX, TEMP_PREFIX } from '../identifiers.js'
import { setsPassword, type OperationName } from '../operations.js'
import type { Plan, PlanKind, Step } from '../plan.js'
import { renderProblem } from '../problems.js'
import { CLUSTER_SETTING_KEYS, differences, instanceSettings, MEMBER_SETTING_KEYS, settingDifferences } from '../settings.js'
import { namesTaken } from '../create-names.js'
import { beforeNewClusterRun } from '../runs.js'
import { initialState, without, type PredictedWorld } from './state.js'
import { predict } from './step.js'

/** The kinds of plan an operation belongs in. */
const kindsOf = (op: OperationName): ReadonlyArray<PlanKind> => {
  switch (op) {
    case 'CreateDBInstanceReadReplica':
    case 'RestoreDBInstanceFromDBSnapshot':
    case 'PromoteReadReplica':
      return ['replica-tree']
    case 'ModifyDBInstance':
    case 'DeleteDBInstance':
    case 'AddTagsToResource':
    case 'RunCommand':
      return ['replica-tree', 'aurora-cluster']
    case 'RestoreDBClusterToPointInTime':
    case 'ModifyDBCluster':
    case 'AddRoleToDBCluster':
      return ['aurora-cluster', 'new-cluster']
    case 'DeleteDBCluster':
      return ['aurora-cluster']
    case 'CreateDBInstance':
      return ['aurora-cluster', 'new-cluster', 'create']
    case 'CreateDBSubnetGroup':
      return ['new-cluster', 'create']
    case 'CreateDBCluster':
    case 'RunLiquibase':
      return ['create']
  }
}

/** A step that does not belong in a plan of its kind, said as each kind says it. */
const foreignSteps = (plan: Plan): string[] =>
  plan.steps.flatMap((s) => {
    if (kindsOf(s.op).includes(plan.kind)) return []
    const at = `step ${s.n} (${s.op} ${s.id})`
    switch (plan.kind) {
      case 'replica-tree':
        return [`${at}: is an Aurora cluster step; an instance plan has none`]
      case 'aurora-cluster':
        return [`${at}: is not a step of an Aurora cluster clone`]
      case 'new-cluster':
        return [`${at}: a clone into a new cluster only makes it; ${s.op} does not belong in it`]
      case 'create':
        return [`${at}: a create plan only creates; ${s.op} does not belong in it`]
    }
  })

/** What a plan is for: the instances and clusters its end state is judged on; everything else must stay as it was. */
interface Kept {
  readonly instances: ReadonlySet<string>
  readonly clusters: ReadonlySet<string>
  /** How an instance outside them is named in a violation. */
  readonly outside: string
}

/** Nothing left behind, nothing else changed or gone (the source among them). */
const nothingElseTouched = (plan: Plan, before: PredictedWorld, after: PredictedWorld, kept: Kept): string[] => {
  const v: string[] = []
  const deletes = plan.steps.some((s) => s.op === 'DeleteDBInstance' || s.op === 'DeleteDBCluster')
  const leftovers = (id: string, existed: boolean) =>
    (id.startsWith(TEMP_PREFIX) && !existed) || (deletes && id.startsWith(OLD_PREFIX) && !existed) ? [`end state: ${id} is left behind`] : []
  for (const [id, c] of after.clusters) {
    if (kept.clusters.has(id)) continue
    const prior = before.clusters.get(id)
    v.push(...leftovers(id, prior !== undefined))
    if (prior !== undefined && JSON.stringify(prior) !== JSON.stringify(c)) v.push(`end state: cluster ${id}, which is not the target, was changed`)
  }
  for (const id of before.clusters.keys()) {
    if (!kept.clusters.has(id) && !after.clusters.has(id)) v.push(`end state: cluster ${id}, which is not the target, is gone`)
  }
  for (const [id, i] of after.instances) {
    if (kept.instances.has(id)) continue
    const prior = before.instances.get(id)
    v.push(...leftovers(id, prior !== undefined))
    if (prior !== undefined && JSON.stringify(prior) !== JSON.stringify(i)) v.push(`end state: ${id}, which is ${kept.outside}, was changed`)
  }
  for (const id of before.instances.keys()) {
    if (!kept.instances.has(id) && !after.instances.has(id)) v.push(`end state: ${id}, which is ${kept.outside}, is gone`)
  }
  return v
}

/**
 * A replica tree's end: the target's names and topology, each a new instance holding the source's data with
 * the target's settings, the root with its new master password when the plan gives one.
 */
const replicaTreeEnd = (env: Environment, plan: Plan, before: PredictedWorld, state: PredictedWorld): string[] => {
  const tree = replicaTree(replicaForest(env.instances), plan.target)
  if (tree === undefined) return [`${plan.target} does not exist`]
  const v: string[] = []
  const nodes = breadthFirst(tree)
  const sourceData = before.instances.get(plan.source)?.dataFrom ?? plan.source
  const sourceStorage = env.instances.find((i) => i.DBInstanceIdentifier === plan.source)?.AllocatedStorage
  for (const node of nodes) {
    const id = node.instance.DBInstanceIdentifier
    const after = state.instances.get(id)
    if (after === undefined) { v.push(`end state: ${id} is missing`); continue }
    if (after.dataFrom !== sourceData) v.push(`end state: ${id} holds the data of ${after.dataFrom}, not of ${plan.source}`)
    if (after.origin === id) v.push(`end state: ${id} is still the original instance`)
    if (after.replicaSource !== node.parent) v.push(`end state: ${id} replicates from ${after.replicaSource ?? 'nothing'}, not ${node.parent ?? 'nothing'}`)
    const expected = instanceSettings(node.instance, env.tags[id] ?? node.instance.TagList ?? [], sourceStorage)
    const diffs = settingDifferences(expected, after.settings).filter((d) => !(node.replicas.length > 0 && d.startsWith('BackupRetentionPeriod (unset)')))
    if (diffs.length > 0) v.push(`end state: ${id} does not keep the target's settings: ${diffs.join(', ')}`)
  }
  if (plan.steps.some(setsPassword) && state.instances.get(plan.target)?.password === undefined) {
    v.push(`end state: ${plan.target} still has ${plan.source}'s master password, not its new one`)
  }
  const kept = { instances: new Set(nodes.map((n) => n.instance.DBInstanceIdentifier)), clusters: new Set<string>(), outside: 'not in the target tree' }
  return [...v, ...nothingElseTouched(plan, before, state, kept)]
}

/**
 * An Aurora clone's end: the target cluster under its name, a new cluster holding the source's data, with
 * the target's settings and IAM roles (and its new master password when the plan gives one); the same
 * member names, the same writer, each with its settings.
 */
const auroraClusterEnd = (env: Environment, plan: Plan, before: PredictedWorld, state: PredictedWorld): string[] => {
  const target = (env.clusters ?? []).find((c) => c.DBClusterIdentifier === plan.target)
  if (target === undefined) return [`cluster ${plan.target} does not exist`]
  const v: string[] = []
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
  const kept = { instances: memberIds, clusters: new Set([plan.target]), outside: 'not an instance of the target' }
  return [...v, ...nothingElseTouched(plan, before, state, kept)]
}

/** The ids of a plan's steps of one operation. */
const idsOf = (plan: Plan, op: OperationName): string[] => plan.steps.flatMap((s: Step) => (s.op === op ? [s.id] : []))

/**
 * The world a create is predicted from: without the names it makes, which its own names rule judges (free,
 * or this run's own, which a re-run takes over), so that a re-run's own cluster is no taken name.
 */
const createStart = (env: Environment, plan: Plan): PredictedWorld =>
  without(initialState(env), { instances: idsOf(plan, 'CreateDBInstance'), clusters: idsOf(plan, 'CreateDBCluster'), subnetGroups: idsOf(plan, 'CreateDBSubnetGroup') })

/**
 * A create's end: exactly one new cluster, the plan's target, like a cluster that exists; its instances and
 * schema for it and no other; its names (the subnet group's too) free or the run's own.
 */
const createEnd = (env: Environment, plan: Plan, before: PredictedWorld, state: PredictedWorld): string[] => {
  const v: string[] = []
  const clusters = idsOf(plan, 'CreateDBCluster')
  if (clusters.length !== 1 || clusters[0] !== plan.target) v.push(`a create plan makes exactly one cluster, ${plan.target}`)
  if (!(env.clusters ?? []).some((c) => c.DBClusterIdentifier === plan.source)) v.push(`the cluster it is like, ${plan.source}, does not exist`)
  for (const s of plan.steps) {
    if (s.op !== 'CreateDBInstance' && s.op !== 'RunLiquibase') continue
    const cluster = s.request.DBClusterIdentifier
    if (cluster !== plan.target) v.push(`step ${s.n} (${s.op} ${s.id}): is for ${cluster}, not the new cluster ${plan.target}`)
  }
  const instanceIds = idsOf(plan, 'CreateDBInstance')
  v.push(...namesTaken(env, plan.run, plan.target, instanceIds, idsOf(plan, 'CreateDBSubnetGroup')).map(renderProblem))
  const kept = { instances: new Set(instanceIds), clusters: new Set(clusters), outside: 'not one the create makes' }
  return [...v, ...nothingElseTouched(plan, before, state, kept)]
}

/**
 * A clone into a new cluster's end: the plan's target, a new cluster holding the source's data (made by the
 * one restore, from the source), with the source's IAM roles and its new master password when the plan gives
 * one; exactly the plan's instances in it, the first the writer; its names free or the run's own.
 */
const newClusterEnd = (env: Environment, plan: Plan, before: PredictedWorld, state: PredictedWorld): string[] => {
  const v: string[] = []
  const restores = plan.steps.flatMap((s) => (s.op === 'RestoreDBClusterToPointInTime' ? [s] : []))
  if (restores.length !== 1 || restores[0]!.id !== plan.target || restores[0]!.request.SourceDBClusterIdentifier !== plan.source) {
    v.push(`a clone into a new cluster restores exactly one cluster, ${plan.target}, from ${plan.source}`)
  }
  const source = before.clusters.get(plan.source)
  if (source === undefined) v.push(`the source cluster ${plan.source} does not exist`)
  const instanceIds = idsOf(plan, 'CreateDBInstance')
  const after = state.clusters.get(plan.target)
  if (after === undefined) v.push(`end state: cluster ${plan.target} is missing`)
  else if (source !== undefined) {
    if (after.origin !== plan.target || before.clusters.has(plan.target)) v.push(`end state: ${plan.target} is not a new cluster`)
    if (after.dataFrom !== source.dataFrom) v.push(`end state: ${plan.target} holds the data of ${after.dataFrom}, not of ${plan.source}`)
    if (JSON.stringify(after.roles) !== JSON.stringify(source.roles)) v.push(`end state: ${plan.target} has the IAM roles [${after.roles.join(', ')}], not the source's [${source.roles.join(', ')}]`)
    if (plan.steps.some(setsPassword) && after.password === undefined) v.push(`end state: ${plan.target} still has ${plan.source}'s master password, not its new one`)
    const members = [...state.instances.values()].filter((i) => i.cluster === after.origin)
    const ids = new Set(members.map((i) => i.id))
    for (const id of instanceIds) if (!ids.has(id)) v.push(`end state: ${id} is not an instance of ${plan.target}`)
    for (const id of ids) if (!instanceIds.includes(id)) v.push(`end state: ${id} is an instance of ${plan.target} that the plan does not make`)
    const writer = members.find((m) => m.writer)?.id
    if (instanceIds.length > 0 && writer !== instanceIds[0]) v.push(`end state: the writer of ${plan.target} is ${writer ?? 'none'}, not ${instanceIds[0]}`)
  }
  v.push(...namesTaken(env, plan.run, plan.target, instanceIds, idsOf(plan, 'CreateDBSubnetGroup')).map(renderProblem))
  const kept = { instances: new Set(instanceIds), clusters: new Set([plan.target]), outside: 'not one the clone makes' }
  return [...v, ...nothingElseTouched(plan, before, state, kept)]
}

export const checkPlan = (current: Environment, plan: Plan): ReadonlyArray<string> => {
  // a clone into a new cluster is judged on the world before its run (what it made is no taken name)
  const env = plan.kind === 'new-cluster' ? beforeNewClusterRun(current, plan.run) : current
  const before = plan.kind === 'create' ? createStart(env, plan) : initialState(env)
  const { state, violations } = predict(env, plan, before)
  const v = [...violations, ...foreignSteps(plan)]
  switch (plan.kind) {
    case 'replica-tree':
      return [...v, ...replicaTreeEnd(env, plan, before, state)]
    case 'aurora-cluster':
      return [...v, ...auroraClusterEnd(env, plan, before, state)]
    case 'new-cluster':
      return [...v, ...newClusterEnd(env, plan, before, state)]
    case 'create':
      return [...v, ...createEnd(env, plan, before, state)]
  }
}
