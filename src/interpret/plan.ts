/**
 * Plan mode end to end, as a library call: read the world through a port, pick the planner for
 * what `source` and `target` name (two instances: planClone; two Aurora clusters:
 * planClusterClone), plan, check. Nothing mutating is ever sent from here.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { cloneKind, planClusterClone, renderClusterProblems, type ClusterPlanProblem } from '../plan/cluster.js'
import type { Environment } from '../plan/domain.js'
import { refusesProduction, renderProblems, type PlanProblem } from '../plan/errors.js'
import { normalizeIdentifier } from '../plan/identifiers.js'
import type { Plan } from '../plan/plan.js'
import { planClone, type CloneRequest } from '../plan/planner.js'
import { observeEnvironment } from './observe.js'
import { renderRdsError, type RdsError, type RdsPort } from './port.js'

export type PlanFailure =
  | { readonly _tag: 'Rds'; readonly error: RdsError }
  | { readonly _tag: 'Plan'; readonly problems: ReadonlyArray<PlanProblem> }
  | { readonly _tag: 'ClusterPlan'; readonly problems: ReadonlyArray<ClusterPlanProblem> }

export const renderPlanFailure = (f: PlanFailure): string =>
  f._tag === 'Rds' ? renderRdsError(f.error) : f._tag === 'Plan' ? renderProblems(f.problems) : renderClusterProblems(f.problems)

/** Whether the plan was refused because its target is tagged as production (the CLI exits 2 for it). */
export const refusedAsProduction = (f: PlanFailure): boolean => f._tag !== 'Rds' && refusesProduction(f.problems)

export interface PlannedClone {
  readonly environment: Environment
  readonly plan: Plan
  /** Which planner made the plan: instances (a replica tree) or Aurora clusters. */
  readonly kind: 'instance' | 'cluster'
}

/** A clone request for either planner; `finalSnapshot` applies to Aurora clusters only. */
export interface WorldCloneRequest extends CloneRequest {
  /** Keep a final snapshot of the old cluster instead of SkipFinalSnapshot (Aurora clusters only). */
  readonly finalSnapshot?: boolean | undefined
}

/**
 * Which planner a request goes to: cloneKind's answer; when it refuses, the cluster planner if
 * either side names a cluster (its refusals say why, and it picks up a cluster run under way),
 * else the instance planner (its refusals, and the instance runs it resumes, stay as they were).
 */
export const plannerFor = (env: Environment, req: WorldCloneRequest): 'instance' | 'cluster' => {
  const kind = cloneKind(env, req.source, req.target)
  if (E.isRight(kind)) return kind.right
  const clusterIds = new Set((env.clusters ?? []).map((c) => c.DBClusterIdentifier))
  return [req.source, req.target].some((id) => clusterIds.has(normalizeIdentifier(id))) ? 'cluster' : 'instance'
}

/** Plans on an observed environment with the planner `plannerFor` picks. */
export const planOn = (environment: Environment, req: WorldCloneRequest): E.Either<PlanFailure, PlannedClone> => {
  if (plannerFor(environment, req) === 'cluster') {
    return pipe(
      planClusterClone(environment, { source: req.source, target: req.target, restart: req.restart, finalSnapshot: req.finalSnapshot, password: req.password, allowProductionTarget: req.allowProductionTarget }),
      E.bimap(
        (problems): PlanFailure => ({ _tag: 'ClusterPlan', problems }),
        (plan): PlannedClone => ({ environment, plan, kind: 'cluster' }),
      ),
    )
  }
  return pipe(
    planClone(environment, { source: req.source, target: req.target, restart: req.restart, restoreSnapshot: req.restoreSnapshot, password: req.password, allowProductionTarget: req.allowProductionTarget }),
    E.bimap(
      (problems): PlanFailure => ({ _tag: 'Plan', problems }),
      (plan): PlannedClone => ({ environment, plan, kind: 'instance' }),
    ),
  )
}

export const planFromWorld = (port: RdsPort, req: WorldCloneRequest): TE.TaskEither<PlanFailure, PlannedClone> =>
  pipe(
    observeEnvironment(port, req),
    TE.mapLeft((error): PlanFailure => ({ _tag: 'Rds', error })),
    TE.chain((environment) => TE.fromEither(planOn(environment, req))),
  )
