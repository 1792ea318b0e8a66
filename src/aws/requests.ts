/**
 * Compile-time proof that a plan's requests are what the SDK takes: each request type of
 * src/plan/operations.ts must be assignable to the SDK command's input. No runtime code.
 */
import type {
  CreateDBInstanceReadReplicaCommandInput,
  DeleteDBInstanceCommandInput,
  ModifyDBInstanceCommandInput,
  PromoteReadReplicaCommandInput,
  RestoreDBInstanceFromDBSnapshotCommandInput,
} from '@aws-sdk/client-rds'
import type {
  CreateDBInstanceReadReplicaRequest,
  DeleteDBInstanceRequest,
  ModifyDBInstanceRequest,
  PromoteReadReplicaRequest,
  RestoreDBInstanceFromDBSnapshotRequest,
} from '../plan/operations.js'

type Assignable<A extends B, B> = A
export type RequestsMatchTheSdk = [
  Assignable<CreateDBInstanceReadReplicaRequest, CreateDBInstanceReadReplicaCommandInput>,
  Assignable<RestoreDBInstanceFromDBSnapshotRequest, RestoreDBInstanceFromDBSnapshotCommandInput>,
  Assignable<PromoteReadReplicaRequest, PromoteReadReplicaCommandInput>,
  Assignable<ModifyDBInstanceRequest, ModifyDBInstanceCommandInput>,
  Assignable<DeleteDBInstanceRequest, DeleteDBInstanceCommandInput>,
]
