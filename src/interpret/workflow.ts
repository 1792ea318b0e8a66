/**
 * The library's verbs, what a user means to do: `plan` (read the world, plan a clone of a replica tree
 * or an Aurora cluster, or a create), `checkSaved` (a plan saved earlier: is the world still as it was,
 * is the plan still safe?) and `apply` (run a plan). The CLI commands and the tests call these; nothing
 * mutating is sent from `plan` or `checkSaved`.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { planClone, type CloneRequest } from '../plan/clone/clone.js'
import { planCloneInto, type NewClusterRequest } from '../plan/clone/new-cluster.js'
import { planCreate, subnetGroupName, type CreateRequest } from '../plan/create.js'
import { identifierProblem, normalizeIdentifier } from '../plan/identifiers.js'
import { decode, type Environment } from '../plan/domain.js'
import { basisOf, PlanFile, staleness, type Plan } from '../plan/plan.js'
import { checkPlan } from '../plan/predict/end-state.js'
import { refusesProduction, renderProblem, renderProblems, type Problem } from '../plan/problems.js'
import { productionPlanTarget, type ProductionTarget } from '../plan/production.js'
import { worldBeforeRun } from '../plan/runs.js'
import { applyPlan } from './scheduler.js'
import { observeEnvironment, observeForCreate, observeSubnetGroups } from './observe.js'
import { renderRdsError, type Capabilities, type RdsError, type RdsPort } from './capabilities.js'
import { secretsNamed } from './secrets.js'

/** Running a plan: the third verb (the interpreter's applyPlan). */
export { applyPlan as apply }

/** What the verbs that only read need of the capabilities. */
export type ReadCapabilities = Pick<Capabilities, 'rds'>

// ---- plan ----------------------------------------------------------------------------------------

/** A clone request: a replica tree or an Aurora cluster, as the world says. */
export type WorldCloneRequest = CloneRequest

/**
 * What to plan: a clone (of a replica tree or an Aurora cluster, as the world says), a clone of an Aurora
 * cluster into a cluster that may not exist yet (swapped into when it does, else made: planCloneInto), or
 * a create.
 */
export type PlanRequest = { readonly clone: WorldCloneRequest } | { readonly cloneInto: NewClusterRequest } | { readonly create: CreateRequest }

export type PlanFailure =
  | { readonly _tag: 'Rds'; readonly error: RdsError }
  | { readonly _tag: 'Plan'; readonly problems: ReadonlyArray<Problem> }

export const renderPlanFailure = (f: PlanFailure): string => (f._tag === 'Rds' ? renderRdsError(f.error) : renderProblems(f.problems))

/** Whether the plan was refused because its target is tagged as production (the CLI exits 2 for it). */
export const refusedAsProduction = (f: PlanFailure): boolean => f._tag === 'Plan' && refusesProduction(f.problems)

/** A plan and the world it was made on (for the renderers, the IAM policy and saving it). */
export interface Planned {
  readonly environment: Environment
  readonly plan: Plan
}

/** Plans a clone on an observed environment (planClone decides the kind). */
export const planOn = (environment: Environment, req: WorldCloneRequest): E.Either<PlanFailure, Planned> => plannedOn(environment, planClone(environment, req))

/** A planner's answer as the verb gives it: the plan with the world it was made on, or the problems. */
const plannedOn = (environment: Environment, planned: E.Either<ReadonlyArray<Problem>, Plan>): E.Either<PlanFailure, Planned> =>
  pipe(
    planned,
    E.bimap(
      (problems): PlanFailure => ({ _tag: 'Plan', problems }),
      (p): Planned => ({ environment, plan: p }),
    ),
  )

/**
 * The world a clone into a maybe new cluster is planned on: the source and the target as a clone reads them,
 * and, when it would make a subnet group, the group of that name if there is one (free, or the run's own).
 */
const observeForCloneInto = (port: RdsPort, req: NewClusterRequest): TE.TaskEither<RdsError, Environment> => {
  // an invalid target is the planner's to refuse, in its words: no subnet group to read for it
  const groups = 'ids' in req.subnets && identifierProblem(req.target) === undefined ? [subnetGroupName(normalizeIdentifier(req.target))] : []
  return pipe(
    observeEnvironment(port, { source: req.source, target: req.target }),
    TE.chain((observed) =>
      groups.length === 0 ? TE.right(observed) : pipe(observeSubnetGroups(port, groups), TE.map((subnetGroups): Environment => ({ ...observed, subnetGroups }))),
    ),
  )
}

/** Reads the world through the port and plans the request on it (resuming a run under way). */
export const plan = (capabilities: ReadCapabilities, request: PlanRequest): TE.TaskEither<PlanFailure, Planned> => {
  const rds = (error: RdsError): PlanFailure => ({ _tag: 'Rds', error })
  if ('cloneInto' in request) {
    const req = request.cloneInto
    return pipe(
      observeForCloneInto(capabilities.rds, req),
      TE.mapLeft(rds),
      TE.chain((environment) => TE.fromEither(plannedOn(environment, planCloneInto(environment, req)))),
    )
  }
  if ('create' in request) {
    const req = request.create
    return pipe(
      observeForCreate(capabilities.rds, req),
      TE.mapLeft(rds),
      TE.chain((environment) => TE.fromEither(plannedOn(environment, planCreate(environment, req)))),
    )
  }
  return pipe(
    observeEnvironment(capabilities.rds, request.clone),
    TE.mapLeft(rds),
    TE.chain((environment) => TE.fromEither(planOn(environment, request.clone))),
  )
}

/** A plan with what it was made from, as --plan --out saves it for `mitosis apply FILE` (and checkSaved reads it). */
export const planFileOf = ({ environment, plan }: Planned): PlanFile => ({ kind: 'mitosis-plan', plan, basis: basisOf(environment, plan) })

// ---- checkSaved ----------------------------------------------------------------------------------

/**
 * Why a saved plan is not applied. The failures found after the world was read carry what was read
 * (`environment`): its notes are said even when the plan is refused.
 */
export type SavedFailure =
  | { readonly _tag: 'NotAPlan'; readonly reason: string }
  | { readonly _tag: 'RegionMismatch'; readonly planned: string; readonly running: string }
  | { readonly _tag: 'Rds'; readonly error: RdsError; readonly environment?: Environment }
  | { readonly _tag: 'Production'; readonly target: ProductionTarget; readonly environment: Environment }
  | { readonly _tag: 'Stale'; readonly changes: ReadonlyArray<string>; readonly environment: Environment }
  | { readonly _tag: 'Unsafe'; readonly violations: ReadonlyArray<string>; readonly environment: Environment }

/** Why the saved plan in `path` is not applied, in one line (the CLI's words; it exits 2 for Production). */
export const renderSavedFailure = (f: SavedFailure, path: string): string => {
  switch (f._tag) {
    case 'NotAPlan':
      return `${path}: not a mitosis plan: ${f.reason}`
    case 'RegionMismatch':
      return `${path} was planned in ${f.planned}, but this would run in ${f.running}`
    case 'Rds':
      return renderRdsError(f.error)
    case 'Production':
      return `${path}: ${renderProblem(f.target)}`
    case 'Stale':
      return `plan is stale: ${f.changes.join('; ')}; make a new plan`
    case 'Unsafe':
      return `${path}: the plan failed its safety check: ${f.violations.join('; ')}`
  }
}

/** A saved plan that may be applied: the plan, the world as it is now, and the secrets its steps name. */
export interface Checked extends Planned {
  /** The names of the secrets the plan's steps name ({fromSecret}): to be given to `apply`. */
  readonly secrets: ReadonlyArray<string>
}

export interface CheckOptions {
  /** Apply a plan whose target is tagged as production (otherwise refused, as its planner refused it). */
  readonly allowProductionTarget?: boolean | undefined
}

/** The secrets a plan's steps name ({fromSecret}), each once, in step order. */
export const secretsOf = (plan: Plan): ReadonlyArray<string> => [...new Set(plan.steps.flatMap((s) => secretsNamed(s)))]

/** A parsed JSON document as a saved plan (`{kind: 'mitosis-plan', plan, basis}`). */
export const decodeSaved = (json: unknown): E.Either<SavedFailure, PlanFile> =>
  pipe(
    decode(PlanFile)(json),
    E.mapLeft((reason): SavedFailure => ({ _tag: 'NotAPlan', reason })),
  )

/** The checks of a saved plan on the world as it is now, in the order the CLI has always made them. */
const checkOn = (file: PlanFile, environment: Environment, options: CheckOptions): E.Either<SavedFailure, Checked> => {
  const { plan, basis } = file
  const { kind } = plan
  // the world as the plan was made on it (before its run, when one is under way), as the planners see it
  const before = worldBeforeRun(environment, plan)
  // a production target is refused as the planner refused it (a create and a clone into a new cluster make
  // a new cluster: nothing to judge; a target that appeared since is the staleness check's to say)
  const replaces = kind === 'replica-tree' || kind === 'aurora-cluster'
  const production = !replaces || options.allowProductionTarget === true ? undefined : productionPlanTarget(before, plan.target, kind === 'aurora-cluster' ? 'cluster' : 'instance')
  if (production !== undefined) return E.left({ _tag: 'Production', target: production, environment })
  const changes = staleness(basis, basisOf(environment, plan))
  if (changes.length > 0) return E.left({ _tag: 'Stale', changes, environment })
  // the file is checked as a fresh plan is: a hand-edited plan must still be safe
  const violations = checkPlan(before, plan)
  if (violations.length > 0) return E.left({ _tag: 'Unsafe', violations, environment })
  return E.right({ plan, environment, secrets: secretsOf(plan) })
}

/**
 * A saved plan (the parsed JSON of a --plan --out file), checked against the world now: it was made in
 * this region, the world has not changed since (a run of it under way is no change), its target is not
 * production, and it is still safe (a hand-edited file is checked as a fresh plan is).
 */
export const checkSaved = (capabilities: ReadCapabilities, json: unknown, options: CheckOptions = {}): TE.TaskEither<SavedFailure, Checked> =>
  pipe(
    TE.fromEither(decodeSaved(json)),
    TE.chainFirstEitherK((file) =>
      capabilities.rds.region === file.plan.region ? E.right(undefined) : E.left<SavedFailure>({ _tag: 'RegionMismatch', planned: file.plan.region, running: capabilities.rds.region }),
    ),
    TE.chain((file) => {
      const { plan } = file
      const request = { source: plan.source, target: plan.target, restoreSnapshot: plan.steps.some((s) => s.op === 'RestoreDBInstanceFromDBSnapshot') }
      // the subnet group a create or a clone into a new cluster makes: free, or this run's own (its tags say)
      const groups = plan.steps.flatMap((s) => (s.op === 'CreateDBSubnetGroup' ? [s.id] : []))
      return pipe(
        observeEnvironment(capabilities.rds, request),
        TE.mapLeft((error): SavedFailure => ({ _tag: 'Rds', error })),
        TE.chain((observed) =>
          groups.length === 0
            ? TE.right(observed)
            : pipe(
                observeSubnetGroups(capabilities.rds, groups),
                TE.bimap(
                  (error): SavedFailure => ({ _tag: 'Rds', error, environment: observed }),
                  (subnetGroups): Environment => ({ ...observed, subnetGroups }),
                ),
              ),
        ),
        TE.chainEitherK((environment) => checkOn(file, environment, options)),
      )
    }),
  )
