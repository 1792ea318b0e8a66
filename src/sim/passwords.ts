/**
 * The master-password model: the simulator never keeps a password, only a salted hash of it, how
 * often and when one was set, and whether RDS manages it in Secrets Manager (then the secret's ARN
 * shows in MasterUserSecret). A read replica's password is its source's; a cluster member's is its
 * cluster's.
 */
import { createHash } from 'node:crypto'
import { MIN_PASSWORD_LENGTH } from '../plan/rds-facts.js'
import { fault } from './limits.js'
import { record, type Credentials, type Fields, type Node, type SimState } from './state.js'

/** A cluster or an instance: what holds a master password. */
export type PasswordHolder = { readonly resourceId: string; fields: Fields; credentials: Credentials }
export type PasswordChange = { readonly managed: true } | { readonly password: string }

export const passwordRules = (sim: SimState) => {
  const { region, start, clock, arnPrefix, nodes, memberships } = sim
  const account = arnPrefix.split(':')[4] ?? '123456789012'
  const passwordHash = (password: string) => createHash('sha256').update(`mitosis-simulator:${start}:`).update(password).digest('hex')
  /** A secret's ARN as RDS names the ones it manages: `rds!cluster-<uuid>` or `rds!db-<uuid>`, and Secrets Manager's six-character suffix. */
  const secretArnFor = (x: PasswordHolder, kind: 'cluster' | 'db'): string => {
    const h = createHash('sha256').update(`${x.resourceId}:${clock.now()}`).digest('hex')
    const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    const suffix = Array.from({ length: 6 }, (_, k) => alphabet[parseInt(h.slice(32 + 2 * k, 34 + 2 * k), 16) % alphabet.length]).join('')
    return `arn:aws:secretsmanager:${region}:${account}:secret:rds!${kind}-${uuid}-${suffix}`
  }
  const isManaged = (x: PasswordHolder) => record(x.fields['MasterUserSecret']) !== undefined
  const showSecret = (x: PasswordHolder, kind: 'cluster' | 'db', status: 'creating' | 'active') => {
    const arn = record(x.fields['MasterUserSecret'])?.['SecretArn']
    x.fields['MasterUserSecret'] = { SecretArn: typeof arn === 'string' ? arn : secretArnFor(x, kind), SecretStatus: status }
  }
  /** RDS hands the password to Secrets Manager: the secret shows at once, `creating` until the work is done. */
  const startManagedSecret = (x: PasswordHolder, kind: 'cluster' | 'db') => showSecret(x, kind, 'creating')
  /** A new password took effect: the given one (management ends), or one RDS keeps in Secrets Manager. */
  const setPassword = (x: PasswordHolder, kind: 'cluster' | 'db', how: PasswordChange) => {
    x.credentials = { sets: x.credentials.sets + 1, lastSetAt: clock.now(), hash: 'password' in how ? passwordHash(how.password) : undefined }
    if ('password' in how) delete x.fields['MasterUserSecret']
    else showSecret(x, kind, 'active')
  }
  /** The change a ModifyDBCluster or ModifyDBInstance asks for, checked as RDS checks it; undefined when none. */
  const passwordChange = (x: PasswordHolder, what: string, password: unknown, manage: boolean | undefined): PasswordChange | undefined => {
    if (password !== undefined && manage === true) fault('InvalidParameterCombination', 'MasterUserPassword and ManageMasterUserPassword cannot both be specified.')
    if (password !== undefined && (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH)) {
      fault('InvalidParameterValue', `The parameter MasterUserPassword is not a valid password because it is shorter than ${MIN_PASSWORD_LENGTH} characters.`)
    }
    if (password !== undefined && isManaged(x) && manage !== false) {
      fault('InvalidParameterCombination', `The master user password of ${what} is managed by AWS Secrets Manager; to set one, also set ManageMasterUserPassword to false.`)
    }
    if (password === undefined && manage === false && isManaged(x)) {
      fault('InvalidParameterCombination', `MasterUserPassword is required when ManageMasterUserPassword is false for ${what}, whose master user password AWS Secrets Manager manages.`)
    }
    return typeof password === 'string' ? { password } : manage === true ? { managed: true } : undefined
  }

  /** An instance's master password: a read replica's is its source's, all the way up. */
  const credentialsOf = (n: Node): Credentials => {
    let at = n
    for (let s = at.source; s !== undefined; s = at.source) {
      const up = nodes.get(s)
      if (up === undefined) break
      at = up
    }
    return at.credentials
  }
  /** An instance's own password can change only when it stands alone. */
  const instancePasswordChange = (n: Node, password: unknown, manage: boolean | undefined): PasswordChange | undefined => {
    if (password === undefined && manage === undefined) return undefined
    if (memberships.has(n.key)) fault('InvalidParameterCombination', `The master user password of ${n.id} belongs to its DB cluster: modify the cluster.`)
    if (n.source !== undefined) fault('InvalidParameterCombination', `${n.id} is a read replica; its master user password is its source's.`)
    return passwordChange(n, `DB instance ${n.id}`, password, manage)
  }
  return { passwordHash, isManaged, startManagedSecret, setPassword, passwordChange, credentialsOf, instancePasswordChange }
}
