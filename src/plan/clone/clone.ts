/**
 * Planning a clone, either kind: what `source` and `target` name decides the kind (here and only
 * here), the kind's preflight and copy phase build the copy, the shared swap (phases.ts) follows,
 * and the plan passes its kind's check before anyone sees it. When a run for this source and target
 * is already under way (its tags say so), the plan is that run's whole plan, made on the world as it
 * was before the run began; which of its steps are done is for `planProgress` to tell from describe.
 * Pure: a function from what describe showed to a Plan.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Environment } from '../domain.js'
import { normalizeIdentifier } from '../identifiers.js'
import { PLAN_VERSION, type Plan, type PlanKind } from '../plan.js'
import { checkPlan } from '../predict/end-state.js'
import type { Problem } from '../problems.js'
import { clusterRunInProgress, runInProgress } from '../runs.js'
import { StepList } from '../steps.js'
import { clusterSubject, copyPhaseOfCluster, preflightCluster, type ClusterCloneRequest } from './aurora-cluster.js'
import { swapPhases } from './phases.js'
import { copyPhaseOfTree, preflightTree, treeSubject, type ReplicaTreeCloneRequest } from './replica-tree.js'

/** A clone request for either kind; `restoreSnapshot` applies to replica trees, `finalSnapshot` to Aurora clusters. */
export interface CloneRequest extends ReplicaTreeCloneRequest {
  /** Keep a final snapshot of the old cluster instead of SkipFinalSnapshot (Aurora clusters only). */
  readonly finalSnapshot?: boolean | undefined
}

/**
 * What `--source` and `--target` name: both instances (the instance planner's job), both clusters
 * (the Aurora planner's), or a clear refusal (one of each, one that is both, or neither).
 */
export const cloneKind = (env: Environment, source: string, target: string): E.Either<ReadonlyArray<Problem>, 'instance' | 'cluster'> => {
  const kinds = [source, target].map((raw) => {
    const id = normalizeIdentifier(raw)
    const instance = env.instances.some((i) => i.DBInstanceIdentifier === id)
    const cluster = (env.clusters ?? []).some((c) => c.DBClusterIdentifier === id)
    return { id, kind: instance && cluster ? 'both' : instance ? 'instance' : cluster ? 'cluster' : 'none' }
  })
  const problems: Problem[] = kinds.filter((k) => k.kind === 'both').map((k) => ({ _tag: 'InstanceAndCluster', id: k.id }))
  const missing = kinds.filter((k) => k.kind === 'none').map((k) => k.id)
  if (missing.length > 0) problems.push({ _tag: 'NoSuchCluster', ids: [...new Set(missing)], region: env.region })
  if (problems.length > 0) return E.left(problems)
  const [s, t] = kinds as [{ id: string; kind: string }, { id: string; kind: string }]
  if (s.kind === t.kind) return E.right(s.kind as 'instance' | 'cluster')
  return E.left([s.kind === 'instance' ? { _tag: 'NotACluster', id: s.id } : { _tag: 'NotACluster', id: t.id }])
}

/**
 * Which planner a request goes to: cloneKind's answer; when it refuses, the cluster planner if
 * either side names a cluster (its refusals say why, and it picks up a cluster run under way),
 * else the instance planner (its refusals, and the instance runs it resumes, stay as they were).
 */
export const plannerFor = (env: Environment, req: { readonly source: string; readonly target: string }): 'instance' | 'cluster' => {
  const kind = cloneKind(env, req.source, req.target)
  if (E.isRight(kind)) return kind.right
  const clusterIds = new Set((env.clusters ?? []).map((c) => c.DBClusterIdentifier))
  return [req.source, req.target].some((id) => clusterIds.has(normalizeIdentifier(id))) ? 'cluster' : 'instance'
}

const planned = (env: Environment, kind: PlanKind, run: string, source: string, target: string, list: StepList): Plan => ({
  version: PLAN_VERSION,
  kind,
  region: env.region,
  run,
  source,
  target,
  steps: list.steps,
})

const checked = (plan: Plan, violations: ReadonlyArray<string>): E.Either<ReadonlyArray<Problem>, Plan> =>
  violations.length > 0 ? E.left([{ _tag: 'PlanViolations', violations }]) : E.right(plan)

/** Plans the clone of a replica tree: the copy tree, the swap, checkPlan. */
export const planReplicaTreeClone = (current: Environment, req: ReplicaTreeCloneRequest): E.Either<ReadonlyArray<Problem>, Plan> => {
  const resumed = runInProgress(current, normalizeIdentifier(req.source), normalizeIdentifier(req.target))
  const env = resumed?.original ?? current
  const resolved = preflightTree(env, req)
  if (E.isLeft(resolved)) return resolved
  const r = resolved.right
  const list = new StepList()
  const built = copyPhaseOfTree(env, r, list, req.password)
  swapPhases(list, { env, run: r.run, subject: treeSubject(r), restart: req.restart }, built)
  const plan = planned(env, 'replica-tree', r.run, r.source.DBInstanceIdentifier, r.target.DBInstanceIdentifier, list)
  return checked(plan, checkPlan(env, plan))
}

/**
 * Plans the Aurora clone: the copy-on-write clone and its instances, the swap, the one check (checkPlan).
 * Refuses, one line per reason (see renderProblem), when the clone cannot be done.
 */
export const planClusterClone = (current: Environment, req: ClusterCloneRequest): E.Either<ReadonlyArray<Problem>, Plan> => {
  const resumed = clusterRunInProgress(current, normalizeIdentifier(req.source), normalizeIdentifier(req.target))
  const env = resumed?.original ?? current
  const resolved = preflightCluster(env, req, cloneKind(env, req.source, req.target))
  if (E.isLeft(resolved)) return resolved
  const r = resolved.right
  const list = new StepList()
  const built = copyPhaseOfCluster(env, r, list, req.password)
  swapPhases(list, { env, run: r.run, subject: clusterSubject(r, req.finalSnapshot), restart: req.restart }, built)
  const plan = planned(env, 'aurora-cluster', r.run, r.source.DBClusterIdentifier, r.target.DBClusterIdentifier, list)
  return checked(plan, checkPlan(env, plan))
}

/** Plans a clone of whatever `source` and `target` name (plannerFor's choice). */
export const planClone = (env: Environment, req: CloneRequest): E.Either<ReadonlyArray<Problem>, Plan> =>
  plannerFor(env, req) === 'cluster'
    ? planClusterClone(env, { source: req.source, target: req.target, restart: req.restart, finalSnapshot: req.finalSnapshot, password: req.password, allowProductionTarget: req.allowProductionTarget })
    : planReplicaTreeClone(env, { source: req.source, target: req.target, restart: req.restart, restoreSnapshot: req.restoreSnapshot, password: req.password, allowProductionTarget: req.allowProductionTarget })
