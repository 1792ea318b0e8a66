/**
 * How long steps take on AWS, typically (aws-facts.md): for the progress display's expected times
 * and ETA. Only an estimate; nothing waits on these.
 */
import type { Plan, Step } from '../plan/operations.js'

const MINUTE = 60_000

export const expectedMs = (s: Step): number => {
  switch (s.op) {
    case 'CreateDBInstanceReadReplica':
      return 10 * MINUTE
    case 'RestoreDBInstanceFromDBSnapshot':
      return 30 * MINUTE
    case 'PromoteReadReplica':
      return 5 * MINUTE
    case 'ModifyDBInstance':
      return s.request.NewDBInstanceIdentifier === undefined ? 4 * MINUTE : 5 * MINUTE
    case 'DeleteDBInstance':
      return 6 * MINUTE
    case 'AddTagsToResource':
    case 'RunCommand':
      return 0
    case 'RestoreDBClusterToPointInTime':
      return 5 * MINUTE // copy-on-write: ~5 min whatever the size (aws-facts.md)
    case 'CreateDBInstance':
      return 10 * MINUTE
    case 'ModifyDBCluster':
      return s.request.NewDBClusterIdentifier === undefined ? 4 * MINUTE : 5 * MINUTE
    case 'DeleteDBCluster':
      return 6 * MINUTE
    case 'AddRoleToDBCluster':
      return 1 * MINUTE
  }
}

/**
 * When the plan should end, from `now`: the longest chain of what is left, counting a running
 * step's elapsed time against its expected time.
 */
export const estimateRemainingMs = (plan: Plan, done: ReadonlySet<number>, runningSince: ReadonlyMap<number, number>, now: number): number => {
  const finish = new Map<number, number>()
  for (const s of plan.steps) {
    if (done.has(s.n)) {
      finish.set(s.n, 0)
      continue
    }
    const start = Math.max(0, ...s.after.map((a) => finish.get(a) ?? 0))
    const since = runningSince.get(s.n)
    const left = since === undefined ? expectedMs(s) : Math.max(0, expectedMs(s) - (now - since))
    finish.set(s.n, start + left)
  }
  return Math.max(0, ...finish.values())
}
