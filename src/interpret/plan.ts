/**
 * Plan mode end to end, as a library call: read the world through a port, plan, check. Nothing
 * mutating is ever sent from here.
 */
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { Environment } from '../plan/domain.js'
import { renderProblems, type PlanProblem } from '../plan/errors.js'
import type { Plan } from '../plan/operations.js'
import { planClone, type CloneRequest } from '../plan/planner.js'
import { observeEnvironment } from './observe.js'
import { renderRdsError, type RdsError, type RdsPort } from './port.js'

export type PlanFailure =
  | { readonly _tag: 'Rds'; readonly error: RdsError }
  | { readonly _tag: 'Plan'; readonly problems: ReadonlyArray<PlanProblem> }

export const renderPlanFailure = (f: PlanFailure): string =>
  f._tag === 'Rds' ? renderRdsError(f.error) : renderProblems(f.problems)

export interface PlannedClone {
  readonly environment: Environment
  readonly plan: Plan
}

export const planFromWorld = (port: RdsPort, req: CloneRequest): TE.TaskEither<PlanFailure, PlannedClone> =>
  pipe(
    observeEnvironment(port, req),
    TE.mapLeft((error): PlanFailure => ({ _tag: 'Rds', error })),
    TE.chain((environment) =>
      pipe(
        TE.fromEither(planClone(environment, req)),
        TE.bimap(
          (problems): PlanFailure => ({ _tag: 'Plan', problems }),
          (plan) => ({ environment, plan }),
        ),
      ),
    ),
  )
