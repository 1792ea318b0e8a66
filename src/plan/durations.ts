/**
 * How long each step of a plan typically takes: RDS's times (rds-facts.ts, which the simulator
 * takes as its defaults) and the schema step's; the expected times and ETA of the progress display
 * and the benchmark's critical path read this one table. Data only; nothing waits on it.
 */
import { renameTarget, setsPassword } from './operations.js'
import { type Step } from './plan.js'
import { AWS_DURATIONS, type RdsDurations } from './rds-facts.js'

const MINUTE = 60_000

/** The typical times of a run's steps: RDS's calls (rds-facts.ts) and the schema step, which is not RDS's. */
export interface TypicalDurations extends RdsDurations {
  /** The schema step of a create (liquibase update on an empty database). */
  readonly schema: number
}

export const TYPICAL_DURATIONS: TypicalDurations = { ...AWS_DURATIONS, schema: 1 * MINUTE }

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
