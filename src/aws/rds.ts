/**
 * The port's AWS side for reading: describe → domain. Every answer is decoded with the same
 * codecs as the fixtures, so the planner sees one shape whichever side it runs on.
 */
import {
  AddRoleToDBClusterCommand,
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  ModifyDBClusterCommand,
  RestoreDBClusterToPointInTimeCommand,
  CreateDBSubnetGroupCommand,
  CreateDBClusterCommand,
  DescribeAccountAttributesCommand,
  DescribeDBSubnetGroupsCommand,
  ListTagsForResourceCommand,
  RemoveTagsFromResourceCommand,
  ModifyDBInstanceCommand,
  PromoteReadReplicaCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  paginateDescribeDBClusters,
  paginateDescribeDBInstances,
  paginateDescribeDBSnapshots,
  type RDSClient,
} from '@aws-sdk/client-rds'
import { paginateListResources, type RAMClient } from '@aws-sdk/client-ram'
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { DBCluster, DBInstance, DBSnapshot, DBSubnetGroup, drawErrors, Tag } from '../plan/domain.js'
import type { AccountQuota, AccountQuotas, RdsError, RdsPort } from '../interpret/capabilities.js'
import type { RdsOperation } from '../plan/operations.js'
import type { ConnectedRds } from './client.js'
import { fromSdkError } from './errors.js'
import type { Resolved } from './requests.js'

const decodeAs =
  <A>(action: string, codec: t.Type<A, unknown, unknown>) =>
  (u: unknown): TE.TaskEither<RdsError, A> =>
    TE.fromEither(pipe(codec.decode(u), E.mapLeft((errors): RdsError => ({ _tag: 'Decode', action, message: drawErrors(errors) }))))

/** Collects every page of a paginator into one list. */
const allPages = async <P, A>(pages: AsyncIterable<P>, items: (page: P) => ReadonlyArray<A> | undefined): Promise<A[]> => {
  const out: A[] = []
  for await (const page of pages) out.push(...(items(page) ?? []))
  return out
}

/** One plan step as the SDK command that carries exactly its request. */
/**
 * A request whose master password the interpreter has put in place of its reference (see
 * resolveSecrets) before it reached the port: a string on the wire.
 */
const resolved = <R extends { readonly MasterUserPassword?: unknown }>(r: R): Resolved<R> => r as Resolved<R>

export const commandFor = (o: RdsOperation) => {
  switch (o.op) {
    case 'CreateDBInstanceReadReplica':
      return new CreateDBInstanceReadReplicaCommand(o.request)
    case 'RestoreDBInstanceFromDBSnapshot':
      return new RestoreDBInstanceFromDBSnapshotCommand(o.request)
    case 'PromoteReadReplica':
      return new PromoteReadReplicaCommand(o.request)
    case 'ModifyDBInstance':
      return new ModifyDBInstanceCommand(resolved(o.request))
    case 'DeleteDBInstance':
      return new DeleteDBInstanceCommand(o.request)
    case 'AddTagsToResource':
      return new AddTagsToResourceCommand(o.request)
    case 'RestoreDBClusterToPointInTime':
      return new RestoreDBClusterToPointInTimeCommand(o.request)
    case 'ModifyDBCluster':
      return new ModifyDBClusterCommand(resolved(o.request))
    case 'CreateDBInstance':
      return new CreateDBInstanceCommand(o.request)
    case 'DeleteDBCluster':
      return new DeleteDBClusterCommand(o.request)
    case 'AddRoleToDBCluster':
      return new AddRoleToDBClusterCommand(o.request)
    case 'CreateDBSubnetGroup':
      return new CreateDBSubnetGroupCommand(o.request)
    case 'CreateDBCluster':
      return new CreateDBClusterCommand(resolved(o.request))
  }
}

/** What RDS answers DescribeDBSubnetGroups for a name no group has. */
const SUBNET_GROUP_NOT_FOUND: ReadonlySet<string> = new Set(['DBSubnetGroupNotFoundFault', 'DBSubnetGroupNotFound'])

/** RDS takes at most 100 values in one filter. */
const FILTER_LIMIT = 100

const AccountQuotaList = t.array(t.type({ AccountQuotaName: t.string, Used: t.number, Max: t.number }))

/** DescribeAccountAttributes' list → the quotas a clone can run into (others are ignored). */
const accountQuotas = (list: t.TypeOf<typeof AccountQuotaList>): AccountQuotas => {
  const of = (name: string): AccountQuota | undefined => {
    const q = list.find((x) => x.AccountQuotaName === name)
    return q === undefined ? undefined : { used: q.Used, max: q.Max }
  }
  const DBInstances = of('DBInstances')
  const DBClusters = of('DBClusters')
  return { ...(DBInstances === undefined ? {} : { DBInstances }), ...(DBClusters === undefined ? {} : { DBClusters }) }
}

export const awsRdsPort = ({ client, ram, region, endpoint }: ConnectedRds): RdsPort => {
  const call = <A>(action: string, run: (c: RDSClient) => Promise<A>): TE.TaskEither<RdsError, A> =>
    TE.tryCatch(() => run(client), fromSdkError(action, endpoint))
  const ramEndpoint = process.env['AWS_ENDPOINT_URL_RAM'] ?? process.env['AWS_ENDPOINT_URL']
  const callRam = <A>(action: string, run: (c: RAMClient) => Promise<A>): TE.TaskEither<RdsError, A> =>
    TE.tryCatch(() => run(ram), fromSdkError(`ram:${action}`, ramEndpoint))
  return {
    region,
    describeDBInstances: (ids) =>
      pipe(
        call('DescribeDBInstances', async (c) => {
          if (ids === undefined) return allPages(paginateDescribeDBInstances({ client: c, pageSize: 100 }, {}), (p) => p.DBInstances)
          const out: unknown[] = []
          for (let i = 0; i < ids.length; i += FILTER_LIMIT) {
            const Filters = [{ Name: 'db-instance-id', Values: ids.slice(i, i + FILTER_LIMIT) }]
            out.push(...(await allPages(paginateDescribeDBInstances({ client: c, pageSize: 100 }, { Filters }), (p) => p.DBInstances)))
          }
          return out
        }),
        TE.chain(decodeAs('DescribeDBInstances', t.array(DBInstance))),
      ),
    removeTagsFromResource: (arn, keys) =>
      pipe(
        call('RemoveTagsFromResource', (c) => c.send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: [...keys] }))),
        TE.map(() => undefined),
      ),
    listTagsForResource: (arn) =>
      pipe(
        call('ListTagsForResource', (c) => c.send(new ListTagsForResourceCommand({ ResourceName: arn }))),
        TE.chain((out) => decodeAs('ListTagsForResource', t.array(Tag))(out.TagList ?? [])),
      ),
    describeDBSnapshots: (instanceId) =>
      pipe(
        call('DescribeDBSnapshots', (c) =>
          allPages(paginateDescribeDBSnapshots({ client: c, pageSize: 100 }, { DBInstanceIdentifier: instanceId }), (p) => p.DBSnapshots),
        ),
        TE.chain(decodeAs('DescribeDBSnapshots', t.array(DBSnapshot))),
      ),
    describeDBClusters: () =>
      pipe(
        call('DescribeDBClusters', (c) => allPages(paginateDescribeDBClusters({ client: c, pageSize: 100 }, {}), (p) => p.DBClusters)),
        TE.chain(decodeAs('DescribeDBClusters', t.array(DBCluster))),
      ),
    describeDBSubnetGroups: (name) =>
      pipe(
        call('DescribeDBSubnetGroups', (c) => c.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name }))),
        TE.map((out): unknown => out.DBSubnetGroups ?? []),
        // no such group: nothing to show, as for any other name that is free
        TE.orElse((e) => (e._tag === 'Api' && SUBNET_GROUP_NOT_FOUND.has(e.code) ? TE.right<RdsError, unknown>([]) : TE.left(e))),
        TE.chain(decodeAs('DescribeDBSubnetGroups', t.array(DBSubnetGroup))),
      ),
    describeAccountQuotas: () =>
      pipe(
        call('DescribeAccountAttributes', (c) => c.send(new DescribeAccountAttributesCommand({}))),
        TE.chain((out) => decodeAs('DescribeAccountAttributes', AccountQuotaList)(out.AccountQuotas ?? [])),
        TE.map(accountQuotas),
      ),
    listRamSharedClusterArns: () =>
      pipe(
        callRam('ListResources', (c) =>
          allPages(paginateListResources({ client: c }, { resourceOwner: 'SELF', resourceType: 'rds:Cluster' }), (p) => p.resources),
        ),
        TE.map((resources) => [...new Set(resources.flatMap((r) => (r.arn === undefined ? [] : [r.arn])))]),
      ),
    send: (o) =>
      pipe(
        // the union of commands does not narrow for send's overloads; each is typed by commandFor
        call(o.op, (c) => c.send(commandFor(o) as CreateDBInstanceReadReplicaCommand)),
        TE.map(() => undefined),
      ),
  }
}
