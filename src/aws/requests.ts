/**
 * Compile-time proof that a plan's requests are what the SDK takes: each request type of
 * src/plan/operations.ts, its master password resolved (the plan holds only a reference), must be
 * assignable to the SDK command's input. No runtime code.
 */
import type {
  AddRoleToDBClusterCommandInput,
  CreateDBClusterCommandInput,
  CreateDBInstanceCommandInput,
  CreateDBInstanceReadReplicaCommandInput,
  CreateDBSubnetGroupCommandInput,
  DeleteDBClusterCommandInput,
  DeleteDBInstanceCommandInput,
  ModifyDBClusterCommandInput,
  ModifyDBInstanceCommandInput,
  PromoteReadReplicaCommandInput,
  RestoreDBClusterToPointInTimeCommandInput,
  RestoreDBInstanceFromDBSnapshotCommandInput,
} from '@aws-sdk/client-rds'
import type {
  AddRoleToDBClusterRequest,
  CreateDBClusterRequest,
  CreateDBInstanceRequest,
  CreateDBInstanceReadReplicaRequest,
  CreateDBSubnetGroupRequest,
  DeleteDBClusterRequest,
  DeleteDBInstanceRequest,
  ModifyDBClusterRequest,
  ModifyDBInstanceRequest,
  PromoteReadReplicaRequest,
  RestoreDBClusterToPointInTimeRequest,
  RestoreDBInstanceFromDBSnapshotRequest,
} from '../plan/operations.js'

/** A request as it reaches the port: the interpreter has put the password in place of its reference. */
export type Resolved<R> = Omit<R, 'MasterUserPassword'> & { MasterUserPassword?: string }

type Assignable<A extends B, B> = A
export type RequestsMatchTheSdk = [
  Assignable<CreateDBInstanceReadReplicaRequest, CreateDBInstanceReadReplicaCommandInput>,
  Assignable<RestoreDBInstanceFromDBSnapshotRequest, RestoreDBInstanceFromDBSnapshotCommandInput>,
  Assignable<PromoteReadReplicaRequest, PromoteReadReplicaCommandInput>,
  Assignable<Resolved<ModifyDBInstanceRequest>, ModifyDBInstanceCommandInput>,
  Assignable<DeleteDBInstanceRequest, DeleteDBInstanceCommandInput>,
  Assignable<RestoreDBClusterToPointInTimeRequest, RestoreDBClusterToPointInTimeCommandInput>,
  Assignable<Resolved<ModifyDBClusterRequest>, ModifyDBClusterCommandInput>,
  Assignable<CreateDBInstanceRequest, CreateDBInstanceCommandInput>,
  Assignable<DeleteDBClusterRequest, DeleteDBClusterCommandInput>,
  Assignable<AddRoleToDBClusterRequest, AddRoleToDBClusterCommandInput>,
  Assignable<CreateDBSubnetGroupRequest, CreateDBSubnetGroupCommandInput>,
  Assignable<Resolved<CreateDBClusterRequest>, CreateDBClusterCommandInput>,
]
