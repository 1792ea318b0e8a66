/**
 * How long RDS typically takes for each step (aws-facts.md): the simulator's defaults, the
 * expected times and ETA of the progress display, and the benchmark's critical path all read this
 * one table. Data only; nothing waits on it.
 */
import { renameTarget, setsPassword } from './operations.js'
import { type Step } from './plan.js'

const MINUTE = 60_000

export interface TypicalDurations {
  readonly createReplica: number
  readonly restore: number
  readonly promote: number
  readonly modify: number
  readonly rename: number
  readonly delete: number
  /** Aurora copy-on-write: ~5 min whatever the size. */
  readonly clusterRestore: number
  readonly createInstance: number
  readonly addRole: number
  /** A new, empty Aurora cluster (CreateDBCluster). */
  readonly createCluster: number
  /** The schema step of a create (liquibase update on an empty database). */
  readonly schema: number
  /**
   * A new master password (ModifyDBInstance / ModifyDBCluster MasterUserPassword or
   * ManageMasterUserPassword): `resetting-master-credentials`.
   */
  readonly resetMasterCredentials: number
}

export const TYPICAL_DURATIONS: TypicalDurations = {
  createReplica: 10 * MINUTE,
  restore: 30 * MINUTE,
  promote: 5 * MINUTE,
  modify: 4 * MINUTE,
  rename: 5 * MINUTE,
  delete: 6 * MINUTE,
  clusterRestore: 5 * MINUTE,
  createInstance: 10 * MINUTE,
  addRole: 1 * MINUTE,
  createCluster: 5 * MINUTE,
  schema: 1 * MINUTE,
  // aws-facts.md gives no number; a password reset takes a minute or two
  resetMasterCredentials: 1.5 * MINUTE,
}

export const stepDuration = (s: Step, d: TypicalDurations = TYPICAL_DURATIONS): number => {
  switch (s.op) {
    case 'CreateDBInstanceReadReplica':
      return d.createReplica
    case 'RestoreDBInstanceFromDBSnapshot':
      return d.restore
    case 'PromoteReadReplica':
      return d.promote
    case 'ModifyDBInstance':
    case 'ModifyDBCluster':
      return setsPassword(s) ? d.resetMasterCredentials : renameTarget(s) === undefined ? d.modify : d.rename
    case 'DeleteDBInstance':
    case 'DeleteDBCluster':
      return d.delete
    case 'RestoreDBClusterToPointInTime':
      return d.clusterRestore
    case 'CreateDBInstance':
      return d.createInstance
    case 'AddRoleToDBCluster':
      return d.addRole
    case 'CreateDBCluster':
      return d.createCluster
    case 'RunLiquibase':
      return d.schema
    case 'AddTagsToResource':
    case 'CreateDBSubnetGroup':
    case 'RunCommand':
      return 0
  }
}
