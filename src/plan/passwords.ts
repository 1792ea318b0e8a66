/**
 * Which engine's password rules (rds-facts.ts, passwordProblem) a plan's new master password must follow,
 * so that a password RDS would refuse is refused before the first call rather than at the step that sets
 * it, with the new tree already built. Pure.
 */
import type { Environment } from './domain.js'
import type { Plan } from './plan.js'

/**
 * The engine whose rules a plan's new password must follow: the source's, which the new cluster or tree
 * shares (a clone and a create keep the engine), and which no run renames.
 */
export const passwordEngine = (env: Environment, plan: Plan): string | undefined =>
  plan.kind === 'replica-tree'
    ? env.instances.find((i) => i.DBInstanceIdentifier === plan.source)?.Engine
    : (env.clusters ?? []).find((c) => c.DBClusterIdentifier === plan.source)?.Engine
