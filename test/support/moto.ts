/**
 * Test support: a private moto_server behind a recording HTTP proxy, and a seeder that builds the RDS
 * environment a fixture file describes.
 *
 * moto is an emulator with its own bugs (see /work/shared/reference/test-environment.md). Every workaround for
 * them lives in this file, never in the product.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import * as http from 'node:http'
import * as net from 'node:net'
import {
  RDSClient,
  CreateDBSubnetGroupCommand,
  CreateDBParameterGroupCommand,
  CreateOptionGroupCommand,
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DescribeDBClustersCommand,
  CreateDBInstanceReadReplicaCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  ModifyDBInstanceCommand,
  type CreateDBInstanceCommandInput,
  type CreateDBInstanceReadReplicaCommandInput,
  type ModifyDBInstanceCommandInput,
  type DBInstance as SdkDBInstance,
  type Tag as SdkTag,
} from '@aws-sdk/client-rds'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { onPath } from './cli.js'
import { freePort, LOOPBACK } from './servers.js'
import { configuredParameterGroup } from '../../src/plan/settings.js'

// ---------------------------------------------------------------------------------------------------------------
// Public API

/**
 * Registers a suite's moto tests (`register`) only where moto_server can run: without it the suite
 * fails under CI, with one test saying why, and is skipped elsewhere with a notice.
 */
export const whenMotoAvailable = (suite: string, register: () => void): void => {
  if (onPath('moto_server')) return register()
  if ((process.env['CI'] ?? '') !== '') {
    test('moto_server is on PATH', () => {
      assert.unreachable('moto_server is not on PATH, and CI is set: install moto (pip install "moto[server]"), see /work/shared/reference/test-environment.md')
    })
  } else {
    console.log(`\n  notice: moto_server is not on PATH; skipping the ${suite} (set CI to make this a failure)\n`)
    test.skip(suite)
  }
}

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly action: string | undefined
  /**
   * The request's query-protocol parameters (form body, else query string), as sent: e.g. `DBInstanceIdentifier`,
   * `Tags.Tag.1.Key`. Empty for requests of other protocols.
   */
  readonly params: Readonly<Record<string, string>>
}

export interface MotoOptions {
  /**
   * Make moto answer as AWS would where moto is known to be wrong in ways that matter to an apply (see "AWS
   * fix-ups" below): replica links kept as AWS keeps them, the delete of a renamed replica answered with success, and
   * an Aurora cluster's instances following its renames (DBClusterIdentifier, DBClusterMembers).
   * Off by default: plan-mode tests see moto exactly as it is.
   */
  readonly awsFixups?: boolean
  /**
   * Called synchronously for every request as the proxy receives it, before it is forwarded to moto (and recorded
   * in the same order). A test can react at an exact point of a conversation, e.g. kill the client.
   */
  readonly onRequest?: (r: RecordedRequest) => void
  /**
   * Actions the proxy forwards to moto even though it answers them itself by default (DescribeAccountAttributes,
   * ListResources: see standInFor), so that the code under test gets moto's own answer (an HTML error page).
   */
  readonly forward?: ReadonlyArray<string>
  /**
   * The host every endpoint in a DescribeDBClusters / DescribeDBInstances answer names instead of moto's made-up
   * `*.rds.amazonaws.com` (see "Endpoints" below), e.g. 127.0.0.1 where a local database server stands in for the
   * cluster's writer. Off by default.
   */
  readonly endpointAddress?: string
}

export interface Moto {
  /** The recording proxy's address (http://127.0.0.1:PORT); point the code under test here. */
  readonly endpoint: string
  /** Every request that went through the proxy since start / the last clearRequests(). */
  readonly requests: () => ReadonlyArray<RecordedRequest>
  readonly clearRequests: () => void
  /** POST /moto-api/reset, sent to moto directly (not recorded); the fix-up layer forgets what it learnt. */
  readonly reset: () => Promise<void>
  /** Stops the proxy and kills moto_server, waiting for it to exit. Idempotent. */
  readonly stop: () => Promise<void>
}

/** The part of a fixture file that the seeder reads (PascalCase AWS field names, as DescribeDBInstances). */
export interface Fixture {
  readonly region: string
  readonly DBInstances: ReadonlyArray<FixtureDBInstance>
  readonly DBSnapshots?: ReadonlyArray<FixtureDBSnapshot> | undefined
}

export interface FixtureTag {
  readonly Key?: string | undefined
  readonly Value?: string | undefined
}

export interface FixtureDBInstance {
  readonly DBInstanceIdentifier: string
  readonly DBInstanceClass?: string | undefined
  readonly Engine: string
  readonly EngineVersion?: string | undefined
  readonly DBName?: string | undefined
  readonly MasterUsername?: string | undefined
  readonly MasterUserSecret?: unknown
  readonly AllocatedStorage?: number | undefined
  readonly MaxAllocatedStorage?: number | undefined
  readonly StorageType?: string | undefined
  readonly Iops?: number | undefined
  readonly StorageThroughput?: number | undefined
  readonly StorageEncrypted?: boolean | undefined
  readonly KmsKeyId?: string | undefined
  readonly Endpoint?: { readonly Address?: string | undefined; readonly Port?: number | undefined } | undefined
  readonly DbInstancePort?: number | undefined
  readonly BackupRetentionPeriod?: number | undefined
  readonly PreferredBackupWindow?: string | undefined
  readonly PreferredMaintenanceWindow?: string | undefined
  readonly MultiAZ?: boolean | undefined
  readonly AvailabilityZone?: string | undefined
  readonly PubliclyAccessible?: boolean | undefined
  readonly AutoMinorVersionUpgrade?: boolean | undefined
  readonly DeletionProtection?: boolean | undefined
  readonly CopyTagsToSnapshot?: boolean | undefined
  readonly IAMDatabaseAuthenticationEnabled?: boolean | undefined
  readonly PerformanceInsightsEnabled?: boolean | undefined
  readonly PerformanceInsightsRetentionPeriod?: number | undefined
  readonly PerformanceInsightsKMSKeyId?: string | undefined
  readonly MonitoringInterval?: number | undefined
  readonly MonitoringRoleArn?: string | undefined
  readonly EnabledCloudwatchLogsExports?: ReadonlyArray<string> | undefined
  readonly CACertificateIdentifier?: string | undefined
  readonly LicenseModel?: string | undefined
  readonly CharacterSetName?: string | undefined
  readonly NetworkType?: string | undefined
  readonly DBClusterIdentifier?: string | undefined
  readonly ReadReplicaSourceDBInstanceIdentifier?: string | undefined
  readonly TagList?: ReadonlyArray<FixtureTag> | undefined
  readonly DBSubnetGroup?:
    | {
        readonly DBSubnetGroupName?: string | undefined
        readonly DBSubnetGroupDescription?: string | undefined
        readonly VpcId?: string | undefined
        readonly Subnets?:
          | ReadonlyArray<{
              readonly SubnetIdentifier?: string | undefined
              readonly SubnetAvailabilityZone?: { readonly Name?: string | undefined } | undefined
            }>
          | undefined
      }
    | undefined
  readonly DBParameterGroups?:
    | ReadonlyArray<{ readonly DBParameterGroupName?: string | undefined; readonly ParameterApplyStatus?: string | undefined }>
    | undefined
  readonly OptionGroupMemberships?:
    | ReadonlyArray<{ readonly OptionGroupName?: string | undefined; readonly Status?: string | undefined }>
    | undefined
  readonly VpcSecurityGroups?:
    | ReadonlyArray<{ readonly VpcSecurityGroupId?: string | undefined; readonly Status?: string | undefined }>
    | undefined
}

export interface FixtureDBSnapshot {
  readonly DBSnapshotIdentifier: string
  readonly DBInstanceIdentifier: string
  readonly SnapshotType?: string | undefined
  readonly Engine?: string | undefined
  readonly EngineVersion?: string | undefined
  readonly AllocatedStorage?: number | undefined
  readonly Port?: number | undefined
  readonly MasterUsername?: string | undefined
  readonly TagList?: ReadonlyArray<FixtureTag> | undefined
}

/** Whether a recorded request may change something: its action is not Describe* / List*. */
export const isMutating = (r: RecordedRequest): boolean =>
  r.action !== undefined && !r.action.startsWith('Describe') && !r.action.startsWith('List')

/** The actions of the recorded requests that may change something: everything not Describe* / List*. */
export function mutatingActions(requests: ReadonlyArray<RecordedRequest>): string[] {
  return requests.filter(isMutating).map((r) => r.action!)
}

// ---------------------------------------------------------------------------------------------------------------
// Process bookkeeping: no moto_server outlives the test process.

const READY_TIMEOUT_MS = 20_000
const STOP_GRACE_MS = 3_000
const STDERR_KEEP = 16_384

const liveChildren = new Set<ChildProcess>()
let exitHooksInstalled = false

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    // spawned detached: the child leads its own process group (the pyenv shim may exec or fork python)
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      /* already gone */
    }
  }
}

function installExitHooks(): void {
  if (exitHooksInstalled) return
  exitHooksInstalled = true
  process.on('exit', () => {
    for (const child of liveChildren) killGroup(child, 'SIGKILL')
    liveChildren.clear()
  })
  // A signal would otherwise end node without running 'exit' handlers: clean up, then die of the same signal.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const child of liveChildren) killGroup(child, 'SIGKILL')
      liveChildren.clear()
      process.kill(process.pid, signal)
    })
  }
}

// ---------------------------------------------------------------------------------------------------------------
// startMoto

interface SimpleResponse {
  readonly status: number
  readonly body: string
}

function simpleRequest(
  url: string,
  method: string,
  body?: string,
  headers: Readonly<Record<string, string>> = {},
  timeoutMs = 10_000,
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent: false,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(body)
  })
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

interface Spawned {
  readonly child: ChildProcess
  readonly port: number
  readonly stderr: () => string
  readonly exited: Promise<void>
}

async function spawnMoto(): Promise<Spawned> {
  let lastError: Error | undefined
  // The port is free when probed but could be taken before moto binds it: retry a few times with fresh ports.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    try {
      return await spawnMotoOn(port)
    } catch (e) {
      lastError = e instanceof Error ? e : new Error(String(e))
      if (!/address already in use/i.test(lastError.message)) throw lastError
    }
  }
  throw lastError ?? new Error('moto_server did not start')
}

async function spawnMotoOn(port: number): Promise<Spawned> {
  installExitHooks()
  let stderrText = ''
  const keep = (chunk: Buffer): void => {
    stderrText = (stderrText + chunk.toString('utf8')).slice(-STDERR_KEEP)
  }
  const child = spawn('moto_server', ['-H', LOOPBACK, '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  })
  liveChildren.add(child)
  // The child, its pipes and the proxy must not keep a finished test process alive; 'exit' kills moto then.
  child.unref()
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue
    stream.on('data', keep)
    ;(stream as unknown as net.Socket).unref?.()
  }

  let spawnError: Error | undefined
  let exitInfo: string | undefined
  const drained = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const exited = new Promise<void>((resolve) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      spawnError =
        e.code === 'ENOENT' ? new Error('moto_server not found on PATH (see test-environment.md)') : e
      liveChildren.delete(child)
      resolve()
    })
    child.once('exit', (code, signal) => {
      exitInfo = signal !== null ? `signal ${signal}` : `code ${code}`
      liveChildren.delete(child)
      resolve()
    })
  })

  const fail = (why: string): Error => {
    if (spawnError !== undefined) return spawnError
    if (exitInfo === 'code 127' || /command not found/i.test(stderrText)) {
      return new Error(`moto_server not found on PATH (see test-environment.md)\n--- moto stderr ---\n${stderrText}`)
    }
    return new Error(`${why}\n--- moto_server stderr ---\n${stderrText.trim() || '(empty)'}`)
  }

  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    if (spawnError !== undefined || exitInfo !== undefined) {
      await Promise.race([drained, sleep(500)]) // let the pipes drain for the message
      throw fail(`moto_server exited before answering (${exitInfo ?? 'spawn error'}) on port ${port}`)
    }
    try {
      await simpleRequest(`http://${LOOPBACK}:${port}/moto-api/`, 'GET', undefined, {}, 2_000)
      return { child, port, stderr: () => stderrText, exited }
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      killGroup(child, 'SIGKILL')
      await Promise.race([drained, sleep(STOP_GRACE_MS)])
      throw fail(`moto_server did not answer on port ${port} within ${READY_TIMEOUT_MS / 1000} s`)
    }
    await sleep(100)
  }
}

/** The query-protocol parameters of a request: the form body, else the query string. */
function paramsOf(url: string, headers: http.IncomingHttpHeaders, body: Buffer): Record<string, string> {
  const contentType = String(headers['content-type'] ?? '')
  if (body.length > 0 && (contentType === '' || contentType.includes('application/x-www-form-urlencoded'))) {
    return Object.fromEntries(new URLSearchParams(body.toString('utf8')))
  }
  if (body.length > 0 && contentType.includes('json')) {
    // REST JSON (RAM): the body's top-level strings
    try {
      const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>
      return Object.fromEntries(Object.entries(json).filter((e): e is [string, string] => typeof e[1] === 'string'))
    } catch {
      return {}
    }
  }
  const query = url.indexOf('?')
  return query >= 0 ? Object.fromEntries(new URLSearchParams(url.slice(query + 1))) : {}
}

/** The RDS query-protocol Action of a request: form body or query string, else an X-Amz-Target header. */
function actionOf(params: Readonly<Record<string, string>>, headers: http.IncomingHttpHeaders): string | undefined {
  const action = params['Action']
  if (action !== undefined && action !== '') return action
  const target = headers['x-amz-target']
  const targetText = Array.isArray(target) ? target[0] : target
  if (targetText !== undefined && targetText !== '') {
    const dot = targetText.lastIndexOf('.')
    return dot >= 0 ? targetText.slice(dot + 1) : targetText
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------
// AWS fix-ups: where moto 5.2 answers differently from AWS in ways an apply depends on, the proxy answers as AWS
// would. Each is the smallest correction of one moto behaviour, read from moto/rds/models.py; nothing here changes
// what the code under test sends, and the product knows nothing of it.
//
// 1. Replica links. AWS shows, in DescribeDBInstances, a replica's ReadReplicaSourceDBInstanceIdentifier and its
//    source's ReadReplicaDBInstanceIdentifiers as they are now: a promoted instance has no source and is no longer
//    listed by it; a rename shows up on the other side of the link; a deleted replica leaves its source's list.
//    moto (a) keeps both sides of the link after PromoteReadReplica (it only clears an internal is_replica flag),
//    (b) keeps the old name on the other side after a rename (a replica names its source's old name, a source lists
//    its replica's old name), (c) keeps a deleted replica in its source's list when the delete fails as in 2. The
//    proxy keeps the links as AWS would, from the successful requests it forwards (CreateDBInstanceReadReplica
//    links, same-region sources only; PromoteReadReplica unlinks; a rename carries both sides; DeleteDBInstance
//    unlinks and, as AWS does for RDS replicas of a deleted source, promotes its replicas), and writes them into
//    every DBInstance of a DescribeDBInstances answer whose instance it has seen created (so seed through the
//    proxy). Without it a promotion never shows as done, and the source would list the clone among its replicas.
// 2. Deleting a renamed replica. moto removes the instance, then looks its source up under the stale name of (1b) and
//    fails removing it from that instance's replica list: HTTP 500 (and, when the SDK retries, 404 DBInstanceNotFound
//    because the instance is already gone). AWS accepts the delete. When a DeleteDBInstance answers 5xx and moto shows
//    the instance gone afterwards although it was there before, the proxy answers what AWS answers: 200 with the
//    instance, status `deleting`.
// 3. Cluster renames (Aurora). AWS shows a renamed cluster with its instances: their DBClusterIdentifier names the
//    cluster's new name, and the cluster's DBClusterMembers lists them. moto's ModifyDBCluster with
//    NewDBClusterIdentifier re-keys the cluster only: its instances keep the old cluster name (moto computes
//    DBClusterMembers by matching that name, so the renamed cluster lists no members, and a later cluster under the
//    old name would list them). The proxy keeps, for every cluster instance created through it (CreateDBInstance with
//    DBClusterIdentifier), the cluster AWS would name (carried through instance renames and cluster renames, dropped
//    on delete), whether it is the writer (AWS makes the first instance of a cluster its writer) and its promotion
//    tier (the request's, else AWS's default 1), and writes them into every DescribeDBInstances answer
//    (DBClusterIdentifier) and every DescribeDBClusters answer (DBClusterMembers of the clusters created through it,
//    CreateDBCluster or RestoreDBClusterToPointInTime, and renamed since). Without it the clone cluster shows no
//    instances under its new name once renamed into place.
// Not corrected because nothing here depends on it: RestoreDBClusterToPointInTime with RestoreType copy-on-write
// copies nothing (AWS's copy-on-write restore also creates no instances; the plan creates them with CreateDBInstance,
// and no test reads the data); clusters read `creating` once and then `available`.
// Not corrected because nothing here depends on it: instances are `available` at once (the product then sees every
// step done on the next poll); DeleteDBInstance with SkipFinalSnapshot=true is accepted as by AWS (moto also accepts
// a delete with neither SkipFinalSnapshot nor a final snapshot id, which AWS refuses: the plan always sends
// SkipFinalSnapshot, and the test checks that); every instance has the same DbiResourceId (a constant in moto), and a
// replica starts as a shallow copy of its source (its InstanceCreateTime, AllocatedStorage, backup retention).

// Endpoints (opt-in, MotoOptions.endpointAddress). moto names every cluster `<id>.cluster-<random>.<region>.rds.amazonaws.com`
// (its reader `...cluster-ro-...`) and every instance `<id>.<random>.<region>.rds.amazonaws.com`, which resolve nowhere:
// a test that connects to a new cluster's writer (the create's schema step, run where the test cannot give the
// interpreter a resolveEndpoint, e.g. in a container) gets the host of the server standing in for it instead. The
// proxy writes it into the cluster's Endpoint and ReaderEndpoint and the instance's Endpoint.Address of every
// describe answer; the port stays moto's (the one the cluster was created with: seed the source cluster with the
// local server's port, and a create copies it).

/** A describe answer with every endpoint host replaced by `address` (see "Endpoints"); other answers as they are. */
function withEndpointAddress(action: string | undefined, xml: string, address: string): string {
  const host = xmlEscape(address)
  if (action === 'DescribeDBClusters') {
    return xml.replace(DB_CLUSTER_BLOCK, (_whole, inner: string) =>
      `<DBCluster>${inner.replace(/<(Endpoint|ReaderEndpoint)>[^<]*<\/\1>/g, (_m, tag: string) => `<${tag}>${host}</${tag}>`)}</DBCluster>`,
    )
  }
  if (action === 'DescribeDBInstances') {
    return xml.replace(DB_INSTANCE_BLOCK, (_whole, inner: string) =>
      `<DBInstance>${inner.replace(/(<Endpoint>(?:(?!<\/Endpoint>)[\s\S])*?<Address>)[^<]*(<\/Address>)/, `$1${host}$2`)}</DBInstance>`,
    )
  }
  return xml
}

const RDS_XMLNS = 'http://rds.amazonaws.com/doc/2014-10-31/'

interface Upstream {
  readonly status: number
  readonly statusMessage: string | undefined
  readonly headers: http.IncomingHttpHeaders
  readonly body: Buffer
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const xmlUnescape = (s: string): string =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&')

/** A same-region source given as an ARN is named by its last segment (as the seeder and the planner read it). */
const instanceName = (idOrArn: string): string =>
  (idOrArn.startsWith('arn:') ? idOrArn.slice(idOrArn.lastIndexOf(':') + 1) : idOrArn).toLowerCase()

const DB_INSTANCE_BLOCK = /<DBInstance>([\s\S]*?)<\/DBInstance>/g
const DB_CLUSTER_BLOCK = /<DBCluster>([\s\S]*?)<\/DBCluster>/g

/** A cluster instance as AWS would show it (fix-up 3). */
interface ClusterMembership {
  readonly cluster: string
  readonly writer: boolean
  readonly tier: string
}

function xmlText(block: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(block)
  return m?.[1] === undefined ? undefined : xmlUnescape(m[1])
}

class AwsFixups {
  /** replica → source, as AWS would show them. */
  private readonly links = new Map<string, string>()
  /** Instances whose links this model knows: every instance created through the proxy (and renamed since). */
  private readonly known = new Set<string>()

  /** Fix-up 3: cluster instance → its cluster as AWS would name it. */
  private readonly membership = new Map<string, ClusterMembership>()
  /** Fix-up 3: clusters created through the proxy (under their current names). */
  private readonly clusters = new Set<string>()

  constructor(private readonly motoUrl: string) {}

  reset(): void {
    this.links.clear()
    this.known.clear()
    this.membership.clear()
    this.clusters.clear()
  }

  /** Whether this layer must see the whole answer (else the proxy streams it through). */
  handles(action: string | undefined): boolean {
    return (
      action === 'DescribeDBInstances' ||
      action === 'DeleteDBInstance' ||
      action === 'CreateDBInstance' ||
      action === 'CreateDBInstanceReadReplica' ||
      action === 'RestoreDBInstanceFromDBSnapshot' ||
      action === 'RestoreDBInstanceToPointInTime' ||
      action === 'PromoteReadReplica' ||
      action === 'ModifyDBInstance' ||
      action === 'DescribeDBClusters' ||
      action === 'CreateDBCluster' ||
      action === 'RestoreDBClusterToPointInTime' ||
      action === 'ModifyDBCluster' ||
      action === 'DeleteDBCluster'
    )
  }

  /** `authorization` is the request's own header: its SigV4 scope names the region, which moto's backend is chosen by. */
  async exchange(
    action: string | undefined,
    params: Readonly<Record<string, string>>,
    authorization: string,
    forward: () => Promise<Upstream>,
  ): Promise<Upstream> {
    if (action === 'DeleteDBInstance') return this.delete(params, authorization, forward)
    const answer = await forward()
    if (answer.status < 200 || answer.status >= 300) return answer
    if (action === 'DescribeDBInstances') return { ...answer, body: Buffer.from(this.rewriteDescribe(answer.body.toString('utf8')), 'utf8') }
    if (action === 'DescribeDBClusters') return { ...answer, body: Buffer.from(this.rewriteClusters(answer.body.toString('utf8')), 'utf8') }
    this.learnCluster(action, params)
    this.learn(action, params)
    return answer
  }

  /** Updates the links after a successful request, as AWS would. */
  private learn(action: string | undefined, params: Readonly<Record<string, string>>): void {
    const raw = params['DBInstanceIdentifier'] ?? params['TargetDBInstanceIdentifier']
    if (raw === undefined) return
    const id = raw.toLowerCase()
    switch (action) {
      case 'CreateDBInstance':
      case 'RestoreDBInstanceFromDBSnapshot':
      case 'RestoreDBInstanceToPointInTime':
        this.links.delete(id)
        this.known.add(id)
        return
      case 'CreateDBInstanceReadReplica': {
        const source = params['SourceDBInstanceIdentifier']
        if (source !== undefined) this.links.set(id, instanceName(source))
        this.known.add(id)
        return
      }
      case 'PromoteReadReplica':
        this.links.delete(id)
        return
      case 'ModifyDBInstance': {
        const to = params['NewDBInstanceIdentifier']?.toLowerCase()
        if (to === undefined || to === id) return
        const source = this.links.get(id)
        this.links.delete(id)
        if (source !== undefined) this.links.set(to, source)
        for (const [replica, s] of this.links) if (s === id) this.links.set(replica, to)
        if (this.known.delete(id)) this.known.add(to)
        return
      }
      case 'DeleteDBInstance':
        this.links.delete(id)
        for (const [replica, s] of [...this.links]) if (s === id) this.links.delete(replica)
        this.known.delete(id)
        return
    }
  }

  /** Fix-up 3: cluster membership after a successful request, as AWS would show it. */
  private learnCluster(action: string | undefined, params: Readonly<Record<string, string>>): void {
    const cluster = params['DBClusterIdentifier']?.toLowerCase()
    const instance = params['DBInstanceIdentifier']?.toLowerCase()
    switch (action) {
      case 'CreateDBCluster':
      case 'RestoreDBClusterToPointInTime':
        if (cluster !== undefined) this.clusters.add(cluster)
        return
      case 'ModifyDBCluster': {
        const to = params['NewDBClusterIdentifier']?.toLowerCase()
        if (cluster === undefined || to === undefined || to === cluster) return
        if (this.clusters.delete(cluster)) this.clusters.add(to)
        for (const [id, m] of this.membership) if (m.cluster === cluster) this.membership.set(id, { ...m, cluster: to })
        return
      }
      case 'DeleteDBCluster':
        if (cluster !== undefined) this.clusters.delete(cluster)
        return
      case 'CreateDBInstance':
        if (instance === undefined || cluster === undefined) return
        this.membership.set(instance, {
          cluster,
          writer: ![...this.membership.values()].some((m) => m.cluster === cluster),
          tier: params['PromotionTier'] ?? '1',
        })
        return
      case 'ModifyDBInstance': {
        const to = params['NewDBInstanceIdentifier']?.toLowerCase()
        const m = instance === undefined ? undefined : this.membership.get(instance)
        if (instance === undefined || to === undefined || to === instance || m === undefined) return
        this.membership.delete(instance)
        this.membership.set(to, m)
        return
      }
      case 'DeleteDBInstance':
        if (instance !== undefined) this.membership.delete(instance)
        return
    }
  }

  /** Fix-up 3: every known cluster's DBClusterMembers, as AWS would list them. */
  private rewriteClusters(xml: string): string {
    return xml.replace(DB_CLUSTER_BLOCK, (whole, inner: string) => {
      const id = xmlText(inner, 'DBClusterIdentifier')?.toLowerCase()
      if (id === undefined || !this.clusters.has(id)) return whole
      const members = [...this.membership].filter(([, m]) => m.cluster === id).sort(([a], [b]) => a.localeCompare(b))
      const list =
        members.length === 0
          ? '<DBClusterMembers/>'
          : `<DBClusterMembers>${members
              .map(
                ([i, m]) =>
                  `<DBClusterMember><DBInstanceIdentifier>${xmlEscape(i)}</DBInstanceIdentifier><IsClusterWriter>${String(m.writer)}</IsClusterWriter><DBClusterParameterGroupStatus>in-sync</DBClusterParameterGroupStatus><PromotionTier>${xmlEscape(m.tier)}</PromotionTier></DBClusterMember>`,
              )
              .join('')}</DBClusterMembers>`
      const out = inner.replace(/<DBClusterMembers\/>|<DBClusterMembers>[\s\S]*?<\/DBClusterMembers>/g, '')
      return `<DBCluster>${out}${list}</DBCluster>`
    })
  }

  /** Writes the links (and, fix-up 3, the cluster) into every known DBInstance of a DescribeDBInstances answer. */
  private rewriteDescribe(xml: string): string {
    return xml.replace(DB_INSTANCE_BLOCK, (whole, inner: string) => {
      const id = xmlText(inner, 'DBInstanceIdentifier')?.toLowerCase()
      const m = id === undefined ? undefined : this.membership.get(id)
      if (m !== undefined) inner = inner.replace(/<DBClusterIdentifier>[^<]*<\/DBClusterIdentifier>/, `<DBClusterIdentifier>${xmlEscape(m.cluster)}</DBClusterIdentifier>`)
      if (id === undefined || !this.known.has(id)) return m === undefined ? whole : `<DBInstance>${inner}</DBInstance>`
      const source = this.links.get(id)
      const replicas = [...this.links].filter(([, s]) => s === id).map(([r]) => r)
      let out = inner
        .replace(/<ReadReplicaSourceDBInstanceIdentifier>[^<]*<\/ReadReplicaSourceDBInstanceIdentifier>/g, '')
        .replace(/<ReadReplicaDBInstanceIdentifiers\/>|<ReadReplicaDBInstanceIdentifiers>[\s\S]*?<\/ReadReplicaDBInstanceIdentifiers>/g, '')
      const list =
        replicas.length === 0
          ? '<ReadReplicaDBInstanceIdentifiers/>'
          : `<ReadReplicaDBInstanceIdentifiers>${replicas.map((r) => `<ReadReplicaDBInstanceIdentifier>${xmlEscape(r)}</ReadReplicaDBInstanceIdentifier>`).join('')}</ReadReplicaDBInstanceIdentifiers>`
      out += (source === undefined ? '' : `<ReadReplicaSourceDBInstanceIdentifier>${xmlEscape(source)}</ReadReplicaSourceDBInstanceIdentifier>`) + list
      return `<DBInstance>${out}</DBInstance>`
    })
  }

  /** The instance's <DBInstance> element as moto shows it now (asked directly, not recorded), or undefined if gone. */
  private async describeOne(id: string, authorization: string): Promise<string | undefined> {
    const body = new URLSearchParams({ Action: 'DescribeDBInstances', Version: '2014-10-31', DBInstanceIdentifier: id }).toString()
    // moto checks no signature: the client's header only routes the call to RDS in the client's region
    const r = await simpleRequest(`${this.motoUrl}/`, 'POST', body, {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization,
    })
    if (r.status === 404 || /DBInstanceNotFound/.test(r.body)) return undefined
    if (r.status !== 200) throw new Error(`mitosis test proxy: DescribeDBInstances ${id} answered HTTP ${r.status}: ${r.body}`)
    return /<DBInstance>[\s\S]*?<\/DBInstance>/.exec(r.body)?.[0]
  }

  private async delete(params: Readonly<Record<string, string>>, authorization: string, forward: () => Promise<Upstream>): Promise<Upstream> {
    const id = params['DBInstanceIdentifier']
    const before = id === undefined ? undefined : await this.describeOne(id, authorization)
    const answer = await forward()
    if (answer.status >= 200 && answer.status < 300) {
      this.learnCluster('DeleteDBInstance', params)
      this.learn('DeleteDBInstance', params)
      return answer
    }
    if (answer.status < 500 || id === undefined || before === undefined || (await this.describeOne(id, authorization)) !== undefined) return answer
    // fix-up 2: moto removed the instance and then failed; AWS answers the delete with the instance, `deleting`
    this.learnCluster('DeleteDBInstance', params)
    this.learn('DeleteDBInstance', params)
    const instance = before.replace(/<DBInstanceStatus>[^<]*<\/DBInstanceStatus>/, '<DBInstanceStatus>deleting</DBInstanceStatus>')
    const requestId = `mitosis-test-proxy-${Date.now().toString(36)}`
    const xml = `<DeleteDBInstanceResponse xmlns="${RDS_XMLNS}"><DeleteDBInstanceResult>${instance}</DeleteDBInstanceResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DeleteDBInstanceResponse>`
    return {
      status: 200,
      statusMessage: 'OK',
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body: Buffer.from(xml, 'utf8'),
    }
  }
}

/**
 * Calls moto 5.2.1 does not implement at all, answered by the proxy (always, not an opt-in fix-up) as AWS answers
 * an account with RDS's default quotas and nothing shared through RAM: RDS DescribeAccountAttributes (moto raises
 * NotImplementedError, HTTP 500) and RAM ListResources (moto has no such route, HTTP 404). Only the maxima matter
 * to mitosis; Used is 0.
 */
function standInFor(action: string | undefined): { type: string; body: string } | undefined {
  if (action === 'DescribeAccountAttributes') {
    const quota = (name: string) => `<AccountQuota><AccountQuotaName>${name}</AccountQuotaName><Used>0</Used><Max>40</Max></AccountQuota>`
    return {
      type: 'text/xml',
      body:
        '<DescribeAccountAttributesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeAccountAttributesResult>' +
        `<AccountQuotas>${quota('DBInstances')}${quota('DBClusters')}</AccountQuotas></DescribeAccountAttributesResult>` +
        '<ResponseMetadata><RequestId>mitosis-test-proxy</RequestId></ResponseMetadata></DescribeAccountAttributesResponse>',
    }
  }
  if (action === 'ListResources') return { type: 'application/json', body: JSON.stringify({ resources: [] }) }
  return undefined
}

function startProxy(
  motoPort: number,
  record: (r: RecordedRequest) => void,
  fixups: AwsFixups | undefined,
  forwarded: ReadonlySet<string>,
  endpointAddress: string | undefined,
): Promise<{ server: http.Server; port: number; agent: http.Agent }> {
  const rewrites = (action: string | undefined): boolean =>
    endpointAddress !== undefined && (action === 'DescribeDBClusters' || action === 'DescribeDBInstances')
  const agent = new http.Agent({ keepAlive: true })
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('error', () => res.destroy())
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const method = req.method ?? 'GET'
      const url = req.url ?? '/'
      const q = url.indexOf('?')
      const params = Object.freeze(paramsOf(url, req.headers, body))
      const path = q >= 0 ? url.slice(0, q) : url
      // RAM is a REST API: its action is the path
      const action = actionOf(params, req.headers) ?? (path === '/listresources' ? 'ListResources' : undefined)
      record(Object.freeze({ method, path, action, params }))

      const standIn = action !== undefined && forwarded.has(action) ? undefined : standInFor(action)
      if (standIn !== undefined) {
        res.writeHead(200, { 'content-type': standIn.type, 'content-length': String(Buffer.byteLength(standIn.body)) })
        res.end(standIn.body)
        return
      }

      const headers: http.OutgoingHttpHeaders = { ...req.headers }
      delete headers['transfer-encoding']
      headers['content-length'] = String(body.length)
      const options = { host: LOOPBACK, port: motoPort, method, path: url, headers, agent }
      const unreachable = (e: Error): void => {
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'text/plain' })
          res.end(`mitosis test proxy: moto unreachable: ${e.message}`)
        } else {
          res.destroy(e)
        }
      }

      if ((fixups === undefined || !fixups.handles(action)) && !rewrites(action)) {
        const upstream = http.request(options, (up) => {
          res.writeHead(up.statusCode ?? 502, up.statusMessage, up.headers)
          up.pipe(res)
        })
        upstream.on('error', unreachable)
        upstream.end(body)
        return
      }

      // the fix-up layer (and the endpoint rewrite) sees the whole answer (and may ask moto first)
      const forward = (): Promise<Upstream> =>
        new Promise((resolve, reject) => {
          const upstream = http.request(options, (up) => {
            const parts: Buffer[] = []
            up.on('data', (c: Buffer) => parts.push(c))
            up.on('error', reject)
            up.on('end', () => resolve({ status: up.statusCode ?? 502, statusMessage: up.statusMessage, headers: up.headers, body: Buffer.concat(parts) }))
          })
          upstream.on('error', reject)
          upstream.end(body)
        })
      const exchanged = fixups !== undefined && fixups.handles(action) ? fixups.exchange(action, params, String(req.headers['authorization'] ?? ''), forward) : forward()
      exchanged.then(
        (answer) => {
          if (rewrites(action) && answer.status >= 200 && answer.status < 300) {
            answer = { ...answer, body: Buffer.from(withEndpointAddress(action, answer.body.toString('utf8'), endpointAddress!), 'utf8') }
          }
          const out: http.OutgoingHttpHeaders = { ...answer.headers }
          delete out['transfer-encoding']
          out['content-length'] = String(answer.body.length)
          res.writeHead(answer.status, answer.statusMessage, out)
          res.end(answer.body)
        },
        (e: unknown) => unreachable(e instanceof Error ? e : new Error(String(e))),
      )
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, LOOPBACK, () => {
      server.unref()
      const address = server.address()
      if (typeof address !== 'object' || address === null) {
        reject(new Error('proxy has no address'))
        return
      }
      resolve({ server, port: address.port, agent })
    })
  })
}

export async function startMoto(options: MotoOptions = {}): Promise<Moto> {
  const moto = await spawnMoto()
  const motoUrl = `http://${LOOPBACK}:${moto.port}`
  let recorded: RecordedRequest[] = []
  const fixups = options.awsFixups === true ? new AwsFixups(motoUrl) : undefined
  const onRequest = options.onRequest
  let proxy: Awaited<ReturnType<typeof startProxy>>
  try {
    proxy = await startProxy(
      moto.port,
      (r) => {
        recorded.push(r)
        onRequest?.(r)
      },
      fixups,
      new Set(options.forward ?? []),
      options.endpointAddress,
    )
  } catch (e) {
    killGroup(moto.child, 'SIGKILL')
    await moto.exited
    throw e
  }

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await new Promise<void>((resolve) => {
        proxy.server.close(() => resolve())
        proxy.server.closeAllConnections()
      })
      proxy.agent.destroy()
      if (liveChildren.has(moto.child)) {
        killGroup(moto.child, 'SIGTERM')
        const gone = await Promise.race([moto.exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)])
        if (!gone) {
          killGroup(moto.child, 'SIGKILL')
          await moto.exited
        }
      }
      // the pyenv shim's group may hold stragglers if python forked: make sure the whole group is gone
      killGroup(moto.child, 'SIGKILL')
      liveChildren.delete(moto.child)
    })()
    return stopping
  }

  const reset = async (): Promise<void> => {
    fixups?.reset()
    const r = await simpleRequest(`${motoUrl}/moto-api/reset`, 'POST', '')
    if (r.status < 200 || r.status >= 300) {
      throw new Error(`moto reset failed: HTTP ${r.status}: ${r.body}\n--- moto stderr ---\n${moto.stderr()}`)
    }
  }

  return Object.freeze({
    endpoint: `http://${LOOPBACK}:${proxy.port}`,
    requests: () => Object.freeze([...recorded]),
    clearRequests: () => {
      recorded = []
    },
    reset,
    stop,
  })
}

// ---------------------------------------------------------------------------------------------------------------
// seedFromFixture

const DUMMY_PASSWORD = 'not-a-real-secret-1'

/** Latest major version moto 5.2 accepts in CreateOptionGroup, per engine (it refuses e.g. postgres 14+). */
const MOTO_OPTION_GROUP_FALLBACK: Readonly<Record<string, string>> = {
  postgres: '13',
  mysql: '8.0',
  mariadb: '10.6',
  'oracle-ee': '19',
  'oracle-se2': '19',
  'oracle-ee-cdb': '21',
  'oracle-se2-cdb': '21',
  'sqlserver-ee': '15.00',
  'sqlserver-se': '15.00',
  'sqlserver-ex': '15.00',
  'sqlserver-web': '15.00',
}

function versionParts(version: string | undefined): [string, string] {
  const [major = '', minor = '0'] = (version ?? '').split('.')
  return [major, minor]
}

/** DB parameter group family, as AWS names them: postgres16, postgres9.6, mysql8.0, mariadb10.6, oracle-ee-19. */
export function parameterGroupFamily(engine: string, version: string | undefined): string {
  const [major, minor] = versionParts(version)
  if (engine === 'postgres') return Number(major) >= 10 ? `postgres${major}` : `postgres${major}.${minor}`
  if (engine === 'mysql' || engine === 'mariadb') return `${engine}${major}.${minor}`
  if (engine.startsWith('oracle-')) return `${engine}-${major}`
  if (engine.startsWith('sqlserver-')) return `${engine}-${major}.0`
  if (engine.startsWith('aurora-postgresql')) return `aurora-postgresql${major}`
  if (engine.startsWith('aurora-mysql')) return `aurora-mysql${major}.${minor}`
  return `${engine}${major}`
}

/** Option group MajorEngineVersion: "16" for postgres, "8.0" for mysql/mariadb, "15.00" for SQL Server. */
function optionGroupMajorVersion(engine: string, version: string | undefined): string {
  const [major, minor] = versionParts(version)
  if (engine === 'mysql' || engine === 'mariadb') return `${major}.${minor}`
  if (engine.startsWith('sqlserver-')) return `${major}.00`
  if (engine === 'postgres' && Number(major) < 10) return `${major}.${minor}`
  return major
}

function sdkTags(tags: ReadonlyArray<FixtureTag> | undefined): SdkTag[] {
  return (tags ?? []).map((t) => ({ Key: t.Key, Value: t.Value }))
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const meta = (e as { $metadata?: { httpStatusCode?: number } }).$metadata
    return `${e.name}: ${e.message}${meta?.httpStatusCode !== undefined ? ` (HTTP ${meta.httpStatusCode})` : ''}`
  }
  return String(e)
}

async function step<A>(what: string, run: () => Promise<A>): Promise<A> {
  try {
    return await run()
  } catch (e) {
    throw new Error(`seedFromFixture: ${what} failed: ${errorText(e)}`, { cause: e })
  }
}

/** EC2 query call to moto, which does not check signatures: a well-formed SigV4 scope routes it to EC2. */
async function ec2Call(endpoint: string, region: string, params: Readonly<Record<string, string>>): Promise<string> {
  const body = new URLSearchParams({ ...params, Version: '2016-11-15' }).toString()
  const r = await simpleRequest(`${endpoint.replace(/\/+$/, '')}/`, 'POST', body, {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
  })
  if (r.status !== 200) throw new Error(`EC2 ${params['Action']} answered HTTP ${r.status}: ${r.body}`)
  return r.body
}

/**
 * One VPC with `count` subnets (one per availability zone a, b, …) created in moto's EC2 through `endpoint`; their
 * subnet ids, e.g. for a test that passes real subnet ids to the code under test (CreateDBSubnetGroup checks them).
 */
export async function createSubnets(endpoint: string, region: string, count = 2, cidrIndex = 200): Promise<string[]> {
  const vpc = xmlValue(await ec2Call(endpoint, region, { Action: 'CreateVpc', CidrBlock: `10.${cidrIndex}.0.0/16` }), 'vpcId')
  const ids: string[] = []
  for (let k = 0; k < count; k++) {
    const az = `${region}${String.fromCharCode(97 + (k % 6))}`
    const xml = await ec2Call(endpoint, region, { Action: 'CreateSubnet', VpcId: vpc, CidrBlock: `10.${cidrIndex}.${k}.0/24`, AvailabilityZone: az })
    ids.push(xmlValue(xml, 'subnetId'))
  }
  return ids
}

function xmlValue(xml: string, tag: string): string {
  const m = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml)
  if (m?.[1] === undefined) throw new Error(`no <${tag}> in EC2 answer: ${xml.slice(0, 500)}`)
  return m[1]
}

function nameTag(resourceType: string, name: string): Record<string, string> {
  return {
    'TagSpecification.1.ResourceType': resourceType,
    'TagSpecification.1.Tag.1.Key': 'Name',
    'TagSpecification.1.Tag.1.Value': name,
  }
}

/** Instances in breadth-first order over the replica forest: every source comes before its replicas. */
function breadthFirst(instances: ReadonlyArray<FixtureDBInstance>): FixtureDBInstance[] {
  const byId = new Map(instances.map((i) => [i.DBInstanceIdentifier, i]))
  const sourceOf = (i: FixtureDBInstance): string | undefined => {
    const s = i.ReadReplicaSourceDBInstanceIdentifier
    if (s === undefined || s === '') return undefined
    // a same-region ARN names the source by its last segment
    return s.startsWith('arn:') ? s.slice(s.lastIndexOf(':') + 1) : s
  }
  for (const i of instances) {
    const s = sourceOf(i)
    if (s !== undefined && !byId.has(s)) {
      throw new Error(
        `seedFromFixture: ${i.DBInstanceIdentifier} replicates ${i.ReadReplicaSourceDBInstanceIdentifier}, which the fixture does not contain`,
      )
    }
  }
  const order: FixtureDBInstance[] = []
  let level = instances.filter((i) => sourceOf(i) === undefined)
  const seen = new Set<string>()
  while (level.length > 0) {
    const next: FixtureDBInstance[] = []
    for (const i of level) {
      if (seen.has(i.DBInstanceIdentifier)) continue
      seen.add(i.DBInstanceIdentifier)
      order.push(i)
      next.push(...instances.filter((c) => sourceOf(c) === i.DBInstanceIdentifier))
    }
    level = next
  }
  if (order.length !== instances.length) {
    const missing = instances.filter((i) => !seen.has(i.DBInstanceIdentifier)).map((i) => i.DBInstanceIdentifier)
    throw new Error(`seedFromFixture: replica links form a cycle through ${missing.join(', ')}`)
  }
  return order
}

/** moto keeps one parameter group per instance: the one the instance is set to use, as the planner reads it. */
function parameterGroupOf(i: FixtureDBInstance): string | undefined {
  const groups = (i.DBParameterGroups ?? []).flatMap((g) =>
    g.DBParameterGroupName === undefined ? [] : [{ DBParameterGroupName: g.DBParameterGroupName, ParameterApplyStatus: g.ParameterApplyStatus ?? 'in-sync' }],
  )
  return configuredParameterGroup(groups) ?? groups[0]?.DBParameterGroupName
}

function portOf(i: FixtureDBInstance): number | undefined {
  return i.Endpoint?.Port ?? (i.DbInstancePort !== undefined && i.DbInstancePort > 0 ? i.DbInstancePort : undefined)
}

function securityGroupsOf(i: FixtureDBInstance): string[] | undefined {
  const ids = (i.VpcSecurityGroups ?? []).flatMap((g) => (g.VpcSecurityGroupId === undefined ? [] : [g.VpcSecurityGroupId]))
  return ids.length > 0 ? ids : undefined
}

/** Settings CreateDBInstanceReadReplica cannot take; applied with ModifyDBInstance when moto's copy differs. */
function modificationsFor(i: FixtureDBInstance, actual: SdkDBInstance | undefined): ModifyDBInstanceCommandInput | undefined {
  const m: ModifyDBInstanceCommandInput = { DBInstanceIdentifier: i.DBInstanceIdentifier, ApplyImmediately: true }
  let any = false
  if (i.BackupRetentionPeriod !== undefined && actual?.BackupRetentionPeriod !== i.BackupRetentionPeriod) {
    m.BackupRetentionPeriod = i.BackupRetentionPeriod
    any = true
  }
  if (i.PreferredBackupWindow !== undefined && actual?.PreferredBackupWindow !== i.PreferredBackupWindow) {
    m.PreferredBackupWindow = i.PreferredBackupWindow
    any = true
  }
  if (
    i.PreferredMaintenanceWindow !== undefined &&
    actual?.PreferredMaintenanceWindow?.toLowerCase() !== i.PreferredMaintenanceWindow.toLowerCase()
  ) {
    m.PreferredMaintenanceWindow = i.PreferredMaintenanceWindow
    any = true
  }
  if (i.AllocatedStorage !== undefined && actual?.AllocatedStorage !== i.AllocatedStorage) {
    m.AllocatedStorage = i.AllocatedStorage
    any = true
  }
  if (i.EngineVersion !== undefined && actual?.EngineVersion !== i.EngineVersion) {
    m.EngineVersion = i.EngineVersion
    any = true
  }
  return any ? m : undefined
}

/**
 * Builds in moto, through the SDK, the environment a fixture describes: subnet groups (on EC2 subnets created for
 * them), parameter groups, option groups, primaries, replicas (sources before replicas) and manual snapshots.
 */
export async function seedFromFixture(endpoint: string, fixture: Fixture): Promise<void> {
  const region = fixture.region
  const rds = new RDSClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  })
  try {
    const instances = fixture.DBInstances
    for (const i of instances) {
      if (i.DBClusterIdentifier !== undefined && i.DBClusterIdentifier !== '') {
        throw new Error(
          `seedFromFixture: ${i.DBInstanceIdentifier} belongs to cluster ${i.DBClusterIdentifier}; fixtures with clusters are not supported`,
        )
      }
    }

    // --- subnet groups. moto resolves every SubnetId against its EC2 model and cannot take chosen subnet ids, so
    // create one VPC per fixture VpcId and one subnet per fixture subnet (same AZ), both tagged Name=<fixture id>.
    const subnetGroups = new Map<string, NonNullable<FixtureDBInstance['DBSubnetGroup']>>()
    for (const i of instances) {
      const g = i.DBSubnetGroup
      if (g?.DBSubnetGroupName !== undefined && !subnetGroups.has(g.DBSubnetGroupName)) subnetGroups.set(g.DBSubnetGroupName, g)
    }
    const vpcIds = new Map<string, string>() // fixture VpcId -> moto vpc id
    const subnetIds = new Map<string, string>() // fixture subnet id -> moto subnet id
    const subnetCount = new Map<string, number>()
    for (const [name, g] of subnetGroups) {
      const fixtureVpc = g.VpcId ?? `vpc-of-${name}`
      let vpc = vpcIds.get(fixtureVpc)
      if (vpc === undefined) {
        const n = vpcIds.size
        const xml = await step(`CreateVpc for ${fixtureVpc}`, () =>
          ec2Call(endpoint, region, { Action: 'CreateVpc', CidrBlock: `10.${n % 256}.0.0/16`, ...nameTag('vpc', fixtureVpc) }),
        )
        vpc = xmlValue(xml, 'vpcId')
        vpcIds.set(fixtureVpc, vpc)
        subnetCount.set(vpc, 0)
      }
      const ids: string[] = []
      for (const [k, s] of (g.Subnets ?? []).entries()) {
        const fixtureSubnet = s.SubnetIdentifier ?? `subnet-${k}-of-${name}`
        let subnet = subnetIds.get(fixtureSubnet)
        if (subnet === undefined) {
          const n = subnetCount.get(vpc) ?? 0
          subnetCount.set(vpc, n + 1)
          const vpcIndex = [...vpcIds.values()].indexOf(vpc)
          const az = s.SubnetAvailabilityZone?.Name
          const vpcId: string = vpc
          const xml = await step(`CreateSubnet for ${fixtureSubnet}`, () =>
            ec2Call(endpoint, region, {
              Action: 'CreateSubnet',
              VpcId: vpcId,
              CidrBlock: `10.${vpcIndex % 256}.${n % 256}.0/24`,
              ...(az !== undefined ? { AvailabilityZone: az } : {}),
              ...nameTag('subnet', fixtureSubnet),
            }),
          )
          subnet = xmlValue(xml, 'subnetId')
          subnetIds.set(fixtureSubnet, subnet)
        }
        ids.push(subnet)
      }
      await step(`CreateDBSubnetGroup ${name}`, () =>
        rds.send(
          new CreateDBSubnetGroupCommand({
            DBSubnetGroupName: name,
            DBSubnetGroupDescription: g.DBSubnetGroupDescription || `mitosis test fixture subnet group ${name}`,
            SubnetIds: ids,
          }),
        ),
      )
    }

    // --- parameter groups (default.* exist implicitly: AWS and moto both refuse to create them)
    const parameterGroups = new Map<string, FixtureDBInstance>()
    for (const i of instances) {
      for (const g of i.DBParameterGroups ?? []) {
        const name = g.DBParameterGroupName
        if (name !== undefined && !name.startsWith('default.') && !parameterGroups.has(name)) parameterGroups.set(name, i)
      }
    }
    for (const [name, i] of parameterGroups) {
      await step(`CreateDBParameterGroup ${name}`, () =>
        rds.send(
          new CreateDBParameterGroupCommand({
            DBParameterGroupName: name,
            DBParameterGroupFamily: parameterGroupFamily(i.Engine, i.EngineVersion),
            Description: `mitosis test fixture parameter group ${name}`,
          }),
        ),
      )
    }

    // --- option groups. AWS refuses to create default:* groups (they exist implicitly), but moto knows none of
    // them: it only derives a name of its own (default:postgres-16-3 for 16.3, where AWS says default:postgres-16)
    // and answers OptionGroupNotFoundFault when a call names the real one. So default:* groups the fixture uses are
    // created too, when moto lets us; the fixture's name then shows in DescribeDBInstances and is accepted by later
    // CreateDBInstance / Restore* calls of the code under test, as in AWS.
    const optionGroups = new Map<string, FixtureDBInstance>()
    for (const i of instances) {
      for (const m of i.OptionGroupMemberships ?? []) {
        const name = m.OptionGroupName
        if (name !== undefined && !optionGroups.has(name)) optionGroups.set(name, i)
      }
    }
    const knownOptionGroups = new Set<string>()
    for (const [name, i] of optionGroups) {
      const create = (major: string) =>
        rds.send(
          new CreateOptionGroupCommand({
            OptionGroupName: name,
            EngineName: i.Engine,
            MajorEngineVersion: major,
            OptionGroupDescription: `mitosis test fixture option group ${name}`,
          }),
        )
      const createWithFallback = async (): Promise<void> => {
        try {
          await create(optionGroupMajorVersion(i.Engine, i.EngineVersion))
        } catch (e) {
          // moto knows only old major versions (postgres <= 13): an instance needs just the name to exist
          const fallback = MOTO_OPTION_GROUP_FALLBACK[i.Engine]
          if (fallback === undefined || !/Cannot find major version/i.test(errorText(e))) throw e
          await create(fallback)
        }
      }
      if (name.startsWith('default:')) {
        try {
          await createWithFallback()
          knownOptionGroups.add(name)
        } catch {
          /* moto refused a default group: leave it implicit, as in AWS */
        }
      } else {
        await step(`CreateOptionGroup ${name}`, createWithFallback)
        knownOptionGroups.add(name)
      }
    }
    const optionGroupOf = (i: FixtureDBInstance): string | undefined => {
      const name = i.OptionGroupMemberships?.[0]?.OptionGroupName
      return name !== undefined && knownOptionGroups.has(name) ? name : undefined
    }

    // --- instances: primaries, then replicas level by level
    for (const i of breadthFirst(instances)) {
      const id = i.DBInstanceIdentifier
      const source = i.ReadReplicaSourceDBInstanceIdentifier
      const common = {
        DBInstanceIdentifier: id,
        DBInstanceClass: i.DBInstanceClass,
        Port: portOf(i),
        AvailabilityZone: i.MultiAZ === true ? undefined : i.AvailabilityZone,
        MultiAZ: i.MultiAZ,
        AutoMinorVersionUpgrade: i.AutoMinorVersionUpgrade,
        Iops: i.Iops,
        StorageThroughput: i.StorageThroughput,
        StorageType: i.StorageType,
        MaxAllocatedStorage: i.MaxAllocatedStorage,
        DBParameterGroupName: parameterGroupOf(i),
        OptionGroupName: optionGroupOf(i),
        PubliclyAccessible: i.PubliclyAccessible,
        DBSubnetGroupName: i.DBSubnetGroup?.DBSubnetGroupName,
        VpcSecurityGroupIds: securityGroupsOf(i),
        // always send a fresh list: moto builds a replica as a shallow copy of its source and would otherwise
        // share (and show) the source's tag list
        Tags: sdkTags(i.TagList),
        CopyTagsToSnapshot: i.CopyTagsToSnapshot,
        DeletionProtection: i.DeletionProtection,
        EnableIAMDatabaseAuthentication: i.IAMDatabaseAuthenticationEnabled,
        EnablePerformanceInsights: i.PerformanceInsightsEnabled,
        PerformanceInsightsRetentionPeriod: i.PerformanceInsightsEnabled === true ? i.PerformanceInsightsRetentionPeriod : undefined,
        PerformanceInsightsKMSKeyId: i.PerformanceInsightsEnabled === true ? i.PerformanceInsightsKMSKeyId : undefined,
        MonitoringInterval: i.MonitoringInterval,
        MonitoringRoleArn: i.MonitoringInterval !== undefined && i.MonitoringInterval > 0 ? i.MonitoringRoleArn : undefined,
        CACertificateIdentifier: i.CACertificateIdentifier,
        NetworkType: i.NetworkType,
      }
      if (source === undefined || source === '') {
        const input: CreateDBInstanceCommandInput = {
          ...common,
          DBInstanceClass: i.DBInstanceClass ?? 'db.t3.micro',
          Engine: i.Engine,
          EngineVersion: i.EngineVersion,
          DBName: i.DBName,
          AllocatedStorage: i.AllocatedStorage,
          StorageEncrypted: i.StorageEncrypted,
          KmsKeyId: i.StorageEncrypted === true ? i.KmsKeyId : undefined,
          BackupRetentionPeriod: i.BackupRetentionPeriod,
          PreferredBackupWindow: i.PreferredBackupWindow,
          PreferredMaintenanceWindow: i.PreferredMaintenanceWindow,
          LicenseModel: i.LicenseModel,
          CharacterSetName: i.CharacterSetName,
          EnableCloudwatchLogsExports:
            i.EnabledCloudwatchLogsExports !== undefined ? [...i.EnabledCloudwatchLogsExports] : undefined,
          MasterUsername: i.MasterUsername ?? 'mitosis',
          ...(i.MasterUserSecret !== undefined
            ? { ManageMasterUserPassword: true }
            : { MasterUserPassword: DUMMY_PASSWORD }),
        }
        await step(`CreateDBInstance ${id}`, () => rds.send(new CreateDBInstanceCommand(input)))
      } else {
        const input: CreateDBInstanceReadReplicaCommandInput = {
          ...common,
          SourceDBInstanceIdentifier: source,
          // sent for the wire's sake: moto ignores it on replicas (it stores it under another attribute name), so a
          // replica shows its source's EnabledCloudwatchLogsExports (the very same list object)
          EnableCloudwatchLogsExports: [...(i.EnabledCloudwatchLogsExports ?? [])],
          AllocatedStorage: i.AllocatedStorage,
          KmsKeyId: i.StorageEncrypted === true ? i.KmsKeyId : undefined,
        }
        const out = await step(`CreateDBInstanceReadReplica ${id} from ${source}`, () =>
          rds.send(new CreateDBInstanceReadReplicaCommand(input)),
        )
        // the replica call has no backup retention / windows: moto copies the source's; AWS also sets them with
        // a modify (e.g. to enable backups on a MySQL replica that has replicas itself)
        const modify = modificationsFor(i, out.DBInstance)
        if (modify !== undefined) {
          await step(`ModifyDBInstance ${id}`, () => rds.send(new ModifyDBInstanceCommand(modify)))
        }
      }
    }

    // --- manual snapshots (automated ones cannot be created through the API)
    const present = new Set(instances.map((i) => i.DBInstanceIdentifier))
    for (const s of fixture.DBSnapshots ?? []) {
      if (s.SnapshotType !== 'manual') continue
      const owner = s.DBInstanceIdentifier
      const temporary = !present.has(owner)
      if (temporary) {
        // the snapshot outlived its instance: create a stand-in, snapshot it, delete it
        await step(`CreateDBInstance ${owner} (stand-in for snapshot ${s.DBSnapshotIdentifier})`, () =>
          rds.send(
            new CreateDBInstanceCommand({
              DBInstanceIdentifier: owner,
              DBInstanceClass: 'db.t3.micro',
              Engine: s.Engine ?? 'postgres',
              EngineVersion: s.EngineVersion,
              AllocatedStorage: s.AllocatedStorage,
              Port: s.Port,
              MasterUsername: s.MasterUsername ?? 'mitosis',
              MasterUserPassword: DUMMY_PASSWORD,
            }),
          ),
        )
        present.add(owner)
      }
      await step(`CreateDBSnapshot ${s.DBSnapshotIdentifier} of ${owner}`, () =>
        rds.send(
          new CreateDBSnapshotCommand({
            DBSnapshotIdentifier: s.DBSnapshotIdentifier,
            DBInstanceIdentifier: owner,
            Tags: sdkTags(s.TagList),
          }),
        ),
      )
      if (temporary) {
        await step(`DeleteDBInstance ${owner} (stand-in)`, () =>
          rds.send(
            new DeleteDBInstanceCommand({ DBInstanceIdentifier: owner, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }),
          ),
        )
        present.delete(owner)
      }
    }
  } finally {
    rds.destroy()
  }
}

/**
 * Two Aurora PostgreSQL clusters, shop-prod and shop-staging, each with a writer and a reader, created
 * through `endpoint` as a user would with the SDK.
 */
export async function seedAuroraPair(endpoint: string, region = 'us-east-1'): Promise<void> {
  const rds = new RDSClient({ endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 })
  try {
    for (const [cluster, env, classes] of [
      ['shop-prod', 'production', ['db.r6g.2xlarge', 'db.r6g.2xlarge']],
      ['shop-staging', 'staging', ['db.r6g.large', 'db.t4g.medium']],
    ] as const) {
      await rds.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: cluster,
          Engine: 'aurora-postgresql',
          EngineVersion: '16.4',
          MasterUsername: 'shop_admin',
          MasterUserPassword: 'not-a-real-secret-1',
          DatabaseName: 'shop',
          Port: 5432,
          BackupRetentionPeriod: 7,
          StorageEncrypted: true,
          Tags: [{ Key: 'environment', Value: env }, { Key: 'service', Value: 'shop' }],
        }),
      )
      for (const [k, instanceClass] of classes.entries()) {
        await rds.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: `${cluster}-${k + 1}`,
            DBClusterIdentifier: cluster,
            DBInstanceClass: instanceClass,
            Engine: 'aurora-postgresql',
            PromotionTier: k + 1,
            Tags: [{ Key: 'environment', Value: env }],
          }),
        )
      }
    }
    // moto shows a new cluster as creating once, then available: the CLI should see what AWS would show later
    await rds.send(new DescribeDBClustersCommand({}))
  } finally {
    rds.destroy()
  }
}
