/**
 * RDS's rules for a master password, by engine (the RDS API reference, CreateDBCluster and
 * ModifyDBInstance MasterUserPassword), so that a password RDS would refuse is refused before the
 * first call rather than at the step that sets it, with the new tree already built. Pure.
 */
import type { Environment } from './domain.js'
import type { Plan } from './plan.js'

/** The longest password RDS takes for an engine: Aurora (any cluster), MySQL and MariaDB 41; Oracle 30; Db2 255; else 128. */
const maxLength = (engine: string): number =>
  engine.startsWith('aurora') || engine === 'mysql' || engine === 'mariadb' || engine === 'neptune' ? 41
    : engine.startsWith('oracle') ? 30
      : engine.startsWith('db2') ? 255
        : 128

/**
 * What is wrong with `password` for `engine`, or undefined: 8 characters at least, at most the engine's
 * longest, printable ASCII without spaces, and none of / " @ (nor & ' for Oracle).
 */
export const passwordProblem = (password: string, engine: string): string | undefined => {
  const max = maxLength(engine)
  if (password.length < 8 || password.length > max) return `must be 8 to ${max} characters long for ${engine}`
  if (!/^[\x21-\x7e]+$/.test(password)) return 'must be printable ASCII without spaces'
  if (/[/"@]/.test(password)) return 'must not contain /, " or @'
  if (engine.startsWith('oracle') && /[&']/.test(password)) return `must not contain & or ' for ${engine}`
  return undefined
}

/**
 * The engine whose rules a plan's new password must follow: the source's, which the new cluster or tree
 * shares (a clone and a create keep the engine), and which no run renames.
 */
export const passwordEngine = (env: Environment, plan: Plan): string | undefined =>
  plan.kind === 'replica-tree'
    ? env.instances.find((i) => i.DBInstanceIdentifier === plan.source)?.Engine
    : (env.clusters ?? []).find((c) => c.DBClusterIdentifier === plan.source)?.Engine
